import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  createServer,
  IncomingMessage,
  OutgoingHttpHeaders,
  Server,
  ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { GATEWAY_ERRORS } from '../../errors/gateway-error-codes';
import { MESSAGING_API_VERSION, RTC_SERVICE } from '../../rtc-openapi.constants';
import type { OpenApiEnvelope, OpenApiError } from '../../transport/openapi-envelope';
import {
  MAX_REQUEST_BODY_BYTES,
  ResolvedEmulatorOptions,
  resolveEmulatorOptions,
  RtcOpenApiEmulatorOptions,
} from './emulator.options';
import { busyWait, EventLoopStall, EventLoopStalls } from './event-loop-stalls';
import { EmulatorFault, FaultQueue, InjectFaultOptions } from './faults';
import { MessagingAction } from '../../rtc-openapi.constants';
import { checkMessageBody, isMessagingAction, ValidMessageBody } from './message-rules';
import { SignatureVerifier } from './signature-verifier';
import { SlidingWindowCounter } from './sliding-window-counter';

/** A message the emulator accepted (answered, or would have answered, with `Success`). */
export interface AcceptedMessage extends ValidMessageBody {
  readonly action: MessagingAction;
  /** The `ResponseMetadata.RequestId` of the call. */
  readonly requestId: string;
  readonly receivedAt: Date;
  /**
   * When the rate window counted the call (its `countAt` point), in epoch ms on the emulator's
   * clock: `receivedAt` at full precision, or the moment its answer was written.
   */
  readonly countedAt: number;
  /** The access key that signed the call. */
  readonly accessKeyId: string;
}

/** A call the emulator answered with an error envelope. */
export interface RejectedCall {
  /** The `Action` query parameter, `''` when missing. */
  readonly action: string;
  readonly requestId: string;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** When the answer was written, in epoch ms on the emulator's clock. */
  readonly at: number;
}

/** Events of {@link RtcOpenApiEmulator}. */
export interface RtcOpenApiEmulatorEvents {
  /** A message was accepted (also when an injected fault hides it from the caller). */
  accepted: [message: AcceptedMessage];
  /** A call was answered with an error envelope, injected or not. */
  rejected: [call: RejectedCall];
  /** The emulator's event loop was blocked by a `stallEveryMs` stall (told once it ended). */
  stall: [stall: EventLoopStall];
}

interface CallContext {
  readonly action: string;
  readonly version: string;
  readonly requestId: string;
}

/** How a call ends, before it is written out. */
interface Answer {
  readonly status: number;
  readonly error?: OpenApiError;
  readonly headers?: OutgoingHttpHeaders;
  /** `Result` of a success, when a fault replaces `SUCCESS_RESULT` (present even if undefined). */
  readonly result?: unknown;
}

const SUCCESS: Answer = { status: 200 };
const SUCCESS_RESULT = Object.freeze({ Message: 'Success' });

function gatewayError(code: keyof typeof GATEWAY_ERRORS, message: string): Answer {
  const { status, codeN } = GATEWAY_ERRORS[code];
  return {
    status,
    error:
      codeN === undefined
        ? { Code: code, Message: message }
        : { Code: code, CodeN: codeN, Message: message },
  };
}

/** Service-level (RTC) errors carry no CodeN: the gateway passed the call on. */
function serviceError(code: string, message: string, status = 400): Answer {
  return { status, error: { Code: code, Message: message } };
}

function faultAnswer(fault: Extract<EmulatorFault, { type: 'error' }>): Answer {
  const known = Object.hasOwn(GATEWAY_ERRORS, fault.code)
    ? GATEWAY_ERRORS[fault.code as keyof typeof GATEWAY_ERRORS]
    : undefined;
  const codeN = fault.codeN ?? known?.codeN;
  const message = fault.message ?? `injected fault: ${fault.code}`;
  return {
    status: fault.status ?? known?.status ?? 500,
    error:
      codeN === undefined
        ? { Code: fault.code, Message: message }
        : { Code: fault.code, CodeN: codeN, Message: message },
    headers:
      fault.retryAfterSeconds === undefined
        ? undefined
        : { 'Retry-After': String(fault.retryAfterSeconds) },
  };
}

/** A proxy's error page: HTML, no envelope, no RequestId. */
function sendHtmlPage(res: ServerResponse, status: number): void {
  const html = `<html><head><title>${status}</title></head><body><h1>${status}</h1></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(html),
  });
  res.end(html);
}

/**
 * Query pairs decoded as the gateway (Go `url.ParseQuery`) decodes them: `+` is a space; the first
 * of repeated names wins. A null prototype keeps names like `__proto__` plain data.
 */
function parseQuery(raw: string): Record<string, string> {
  const query = Object.create(null) as Record<string, string>;
  if (raw === '') return query;
  for (const [name, value] of new URLSearchParams(raw)) {
    if (!(name in query)) query[name] = value;
  }
  return query;
}

/** A key and certificate (PEM) for an emulator that serves HTTPS. */
export interface RtcOpenApiEmulatorTlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

/**
 * A local stand-in for the Volcengine RTC OpenAPI messaging endpoint
 * (`POST /?Action=…&Version=2023-07-20`), for tests, demos and benchmarks.
 *
 * It checks what the real gateway checks, in the gateway's order: route, V4 signature (with the
 * library's own signing rules), injected faults, body, the per-AppId (or per-account) sliding
 * one-second rate limit, then each action's field rules; and it answers with the real envelopes
 * and error codes. Accepted messages are recorded in {@link accepted} and emitted as `'accepted'`.
 *
 * It can be made as hard on a client's pacing as a real gateway (see {@link RtcOpenApiEmulatorOptions}):
 * `countAt` (the window counts a call at receipt or only at its answer), `processingUs` (CPU per
 * call, so requests queue), `stallEveryMs`/`stallMs` (its event loop blocks) and
 * `arrivalJitterMs` (one-way network jitter).
 *
 * @example
 * const emulator = new RtcOpenApiEmulator({ appIds: ['my-app'] });
 * const endpoint = await emulator.start();
 * // … point the client at `endpoint` with EMULATOR_DEMO_CREDENTIALS …
 * await emulator.stop();
 */
export class RtcOpenApiEmulator extends EventEmitter<RtcOpenApiEmulatorEvents> {
  private readonly options: ResolvedEmulatorOptions;
  private readonly tls: RtcOpenApiEmulatorTlsOptions | undefined;
  private readonly verifier: SignatureVerifier;
  private readonly limiter: SlidingWindowCounter | undefined;
  private readonly faults = new FaultQueue();
  private readonly records: AcceptedMessage[] = [];
  private readonly latencyTimers = new Set<NodeJS.Timeout>();
  private readonly stalls: EventLoopStalls;
  private server: Server | undefined;
  private starting: Promise<string> | undefined;
  private baseUrl: string | undefined;
  private receivedCount = 0;
  private acceptedTotal = 0;
  private throttledTotal = 0;
  private probeCount = 0;
  private idSecond = -1;
  private idStamp = '';

  /**
   * @param options see {@link RtcOpenApiEmulatorOptions}; invalid values throw here. With `tls`,
   * it serves HTTPS with that key and certificate (to test CA bundles and proxy tunnels).
   */
  constructor(
    options: RtcOpenApiEmulatorOptions & { readonly tls?: RtcOpenApiEmulatorTlsOptions } = {},
  ) {
    super();
    this.options = resolveEmulatorOptions(options);
    this.tls = options.tls;
    this.verifier = new SignatureVerifier(this.options);
    this.limiter =
      this.options.rateLimitPerSecond === undefined
        ? undefined
        : new SlidingWindowCounter(this.options.rateLimitPerSecond, 1000);
    this.stalls = new EventLoopStalls(
      this.options.stallEveryMs,
      this.options.stallMs,
      this.options.now,
      (stall) => this.emit('stall', stall),
    );
  }

  /**
   * Starts listening; resolves the base URL, e.g. `http://127.0.0.1:41234` (`https://` with
   * `tls`). Idempotent.
   */
  start(): Promise<string> {
    if (this.starting) return this.starting;
    const server: Server = this.tls
      ? createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, this.onRequest)
      : createServer(this.onRequest);
    server.keepAliveTimeout = this.options.keepAliveTimeoutMs;
    server.headersTimeout = this.options.keepAliveTimeoutMs + 1000;
    this.server = server;
    this.starting = new Promise<string>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.server = undefined;
        this.starting = undefined;
        reject(error);
      };
      server.once('error', onError);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', onError);
        const { port } = server.address() as AddressInfo;
        const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
        this.baseUrl = `${this.tls ? 'https' : 'http'}://${host}:${port}`;
        this.stalls.start();
        resolve(this.baseUrl);
      });
    });
    return this.starting;
  }

  /** The base URL; throws before {@link start} has resolved. */
  get url(): string {
    if (this.baseUrl === undefined) throw new Error('RtcOpenApiEmulator is not started');
    return this.baseUrl;
  }

  /**
   * Stops listening and destroys every open connection, idle keep-alive ones included, so a test
   * ends without waiting for client timeouts. Calls still waiting on a latency fault are dropped.
   */
  async stop(): Promise<void> {
    const { server, starting } = this;
    if (!server) return;
    await starting?.catch(() => undefined);
    this.server = undefined;
    this.starting = undefined;
    this.baseUrl = undefined;
    this.stalls.stop();
    for (const timer of this.latencyTimers) clearTimeout(timer);
    this.latencyTimers.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /**
   * Messages accepted since the last {@link reset}, oldest first (at most `recordLimit` of them).
   * The array is live: later calls append to it.
   */
  get accepted(): readonly AcceptedMessage[] {
    return this.records;
  }

  /** Every message accepted since the last {@link reset}, including those no longer recorded. */
  get acceptedCount(): number {
    return this.acceptedTotal;
  }

  /**
   * Calls refused with `FlowLimitExceeded.QPSOverLimit` since the last {@link reset}: what a
   * client's pacing let through too many of (other requests, such as health probes, are neither
   * accepted nor throttled).
   */
  get throttled(): number {
    return this.throttledTotal;
  }

  /**
   * `GET /` requests that name no action, since the last {@link reset}: what a health check and
   * the module's connection warm-up send (they call nothing, and no limit counts them).
   */
  get probes(): number {
    return this.probeCount;
  }

  /**
   * Every request received since the last {@link reset}, whatever its answer, but for probes (see
   * {@link probes}): what a test means by "nothing reached the upstream".
   */
  get received(): number {
    return this.receivedCount;
  }

  /** Forgets recorded messages, counters, queued faults and rate-limit windows. */
  reset(): void {
    this.records.length = 0;
    this.receivedCount = 0;
    this.acceptedTotal = 0;
    this.throttledTotal = 0;
    this.probeCount = 0;
    this.faults.clear();
    this.limiter?.clear();
  }

  /**
   * Makes the next matching calls misbehave. Faults apply after the signature check passed and
   * are consumed in the order they were injected.
   */
  injectFault(fault: EmulatorFault, options?: InjectFaultOptions): void {
    this.faults.add(fault, options);
  }

  /** Drops every queued fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const probe = req.method === 'GET' && url === '/';
    if (probe) this.probeCount++;
    else this.receivedCount++;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = parseQuery(q === -1 ? '' : url.slice(q + 1));
    const ctx: CallContext = {
      action: query.Action ?? '',
      version: query.Version ?? '',
      requestId: this.nextRequestId(this.options.now()),
    };

    const routeError = this.checkRoute(path, ctx, req.method);
    if (routeError) {
      // A probe gets the gateway's answer, but is no rejected call (see `probes`).
      this.send(res, ctx, routeError, !probe);
      return;
    }
    const declaredLength = req.headers['content-length'];
    if (declaredLength !== undefined && Number(declaredLength) > MAX_REQUEST_BODY_BYTES) {
      this.refuseTooLarge(res, ctx);
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_REQUEST_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        this.refuseTooLarge(res, ctx);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      this.process(req, res, ctx, query, body);
    });
    // An aborted upload just ends the call; without a listener it would crash the process.
    req.on('error', () => undefined);
  };

  private checkRoute(
    path: string,
    ctx: CallContext,
    method: string | undefined,
  ): Answer | undefined {
    if (path !== '/') return gatewayError('ServiceNotFound', `no service at path ${path}`);
    if (!ctx.action || !ctx.version) {
      return gatewayError(
        'MissingParameter',
        'the Action and Version query parameters are required',
      );
    }
    if (!isMessagingAction(ctx.action) || ctx.version !== MESSAGING_API_VERSION) {
      return gatewayError(
        'InvalidActionOrVersion',
        `action ${ctx.action} is not available in version ${ctx.version}`,
      );
    }
    if (method !== 'POST') return gatewayError('MethodNotAllowed', `${method} is not allowed`);
    return undefined;
  }

  private refuseTooLarge(res: ServerResponse, ctx: CallContext): void {
    // Closing the connection is the only way to stop the client's upload without reading it.
    this.send(res, ctx, {
      ...serviceError(
        'InvalidParameter.SizeOverLimit',
        `request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`,
        413,
      ),
      headers: { Connection: 'close' },
    });
  }

  private process(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: CallContext,
    query: Readonly<Record<string, string>>,
    body: Buffer,
  ): void {
    const jitter = this.options.arrivalJitterMs;
    if (jitter === 0) {
      this.arrive(req, res, ctx, query, body);
      return;
    }
    const timer = setTimeout(() => {
      this.latencyTimers.delete(timer);
      this.arrive(req, res, ctx, query, body);
    }, Math.random() * jitter);
    this.latencyTimers.add(timer);
  }

  /**
   * A request as it reaches the upstream: checked, processed (the `processingUs` cost), counted
   * at its `countAt` point, answered.
   */
  private arrive(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: CallContext,
    query: Readonly<Record<string, string>>,
    body: Buffer,
  ): void {
    const receivedAt = this.options.now();
    // Synchronous, so requests that arrive meanwhile queue behind it, as at a busy gateway.
    busyWait(this.options.processingUs / 1000);
    const auth = this.verifier.verify(
      { method: 'POST', query, headers: req.headers, body },
      receivedAt,
    );
    if (!auth.ok) {
      this.send(res, ctx, gatewayError(auth.code, auth.message));
      return;
    }
    const { accessKeyId } = auth;
    /** Evaluates the call now; counted at receipt, or at this moment when counted at answer. */
    const evaluate = (countRate: boolean): Answer =>
      this.evaluate(ctx, body, accessKeyId, receivedAt, this.countingTime(receivedAt), countRate);
    const fault = this.faults.take(ctx.action);
    if (fault === undefined) {
      this.send(res, ctx, evaluate(true));
      return;
    }
    switch (fault.type) {
      case 'latency': {
        // Counted at answer, the call is only counted once its late answer is written.
        const early = this.options.countAt === 'receipt' ? evaluate(true) : undefined;
        const timer = setTimeout(() => {
          this.latencyTimers.delete(timer);
          this.send(res, ctx, early ?? evaluate(true));
        }, fault.ms);
        this.latencyTimers.add(timer);
        return;
      }
      case 'error':
        if (fault.deliver) evaluate(false);
        this.send(res, ctx, faultAnswer(fault));
        return;
      case 'reset':
        if (fault.deliver) evaluate(false);
        req.socket.destroy();
        return;
      case 'html-page':
        if (fault.deliver) evaluate(false);
        sendHtmlPage(res, fault.status ?? 502);
        return;
      case 'result': {
        const answer = evaluate(true);
        this.send(res, ctx, answer.error ? answer : { ...answer, result: fault.result });
        return;
      }
    }
  }

  /** Where the rate window counts a call received at `receivedAt`, if it is counted now. */
  private countingTime(receivedAt: number): number {
    return this.options.countAt === 'receipt' ? receivedAt : this.options.now();
  }

  /**
   * Body, rate limit and field rules; records the message when they pass. A delivery hidden by a
   * fault (`countRate` false) does not spend rate budget: the caller never saw it succeed.
   */
  private evaluate(
    ctx: CallContext,
    body: Buffer,
    accessKeyId: string,
    receivedAt: number,
    countedAt: number,
    countRate: boolean,
  ): Answer {
    if (body.length === 0) {
      return serviceError('InvalidParameter.BodyIsEmpty', 'the request body is empty');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return serviceError('InvalidParameter.Unmarshal', 'the request body is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return serviceError('InvalidParameter.Unmarshal', 'the request body is not a JSON object');
    }
    const fields = parsed as Record<string, unknown>;

    if (countRate && this.limiter) {
      const key =
        this.options.rateLimitKey === 'accessKey'
          ? accessKeyId
          : typeof fields.AppId === 'string'
            ? fields.AppId
            : '';
      if (!this.limiter.tryAcquire(key, countedAt)) {
        this.throttledTotal++;
        return serviceError(
          'FlowLimitExceeded.QPSOverLimit',
          `more than ${this.limiter.limit} calls per second`,
          429,
        );
      }
    }

    const action = ctx.action as MessagingAction;
    const outcome = checkMessageBody(action, fields, this.options.appIds);
    if (!outcome.ok) return serviceError(outcome.code, outcome.message);

    const { appId, from, to, roomId, binary, message } = outcome.body;
    this.record({
      action,
      requestId: ctx.requestId,
      appId,
      from,
      to,
      roomId,
      binary,
      message,
      receivedAt: new Date(receivedAt),
      countedAt,
      accessKeyId,
    });
    return SUCCESS;
  }

  private record(message: AcceptedMessage): void {
    this.acceptedTotal++;
    if (this.options.recordLimit > 0) {
      if (this.records.length >= this.options.recordLimit) this.records.shift();
      this.records.push(message);
    }
    this.emit('accepted', message);
  }

  private send(res: ServerResponse, ctx: CallContext, answer: Answer, report = true): void {
    const metadata = {
      RequestId: ctx.requestId,
      Action: ctx.action,
      Version: ctx.version,
      Service: RTC_SERVICE,
      Region: this.options.region,
    };
    const envelope: OpenApiEnvelope =
      answer.error === undefined
        ? {
            ResponseMetadata: metadata,
            Result: 'result' in answer ? answer.result : SUCCESS_RESULT,
          }
        : { ResponseMetadata: { ...metadata, Error: answer.error } };
    const json = JSON.stringify(envelope);
    res.writeHead(answer.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
      ...answer.headers,
    });
    res.end(json);
    if (answer.error !== undefined && report) {
      this.emit('rejected', {
        action: ctx.action,
        requestId: ctx.requestId,
        status: answer.status,
        code: answer.error.Code,
        message: answer.error.Message,
        at: this.options.now(),
      });
    }
  }

  /** `YYYYMMDDHHMMSS` (UTC) and 24 upper-case hex digits, the shape of the gateway's ids. */
  private nextRequestId(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.idSecond) {
      this.idSecond = second;
      const iso = new Date(second * 1000).toISOString();
      this.idStamp =
        iso.slice(0, 4) +
        iso.slice(5, 7) +
        iso.slice(8, 10) +
        iso.slice(11, 13) +
        iso.slice(14, 16) +
        iso.slice(17, 19);
    }
    const uuid = randomUUID();
    return this.idStamp + (uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(24)).toUpperCase();
  }
}
