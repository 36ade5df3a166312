import { HttpService } from '@nestjs/axios';
import { FactoryProvider, OnApplicationShutdown } from '@nestjs/common';
import type { AxiosInstance, CreateAxiosDefaults } from 'axios';
import { nestAxios } from './nest-axios';
import { createNodeHttpAdapter } from './node-http.adapter';
import { createRtcAgents, RtcAgents } from './rtc-agents';
import { RTC_HTTP_SERVICE, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';

/**
 * The module's own `HttpService` (injection token `RTC_HTTP_SERVICE`): its own axios instance and
 * keep-alive agents, closed on shutdown. Add axios interceptors to `axiosRef` to log or tag the
 * module's calls; they run on every call, including the health probe's.
 */
export class RtcHttpService extends HttpService implements OnApplicationShutdown {
  /**
   * The agents every call uses; the module destroys those it made (`owned`) on shutdown.
   * `#private`: an agent holds the sockets of the calls in flight, and each socket its request,
   * whose headers carry the Authorization signature and the session token; `util.inspect` of
   * anything that reaches this service would otherwise print them.
   */
  readonly #agents: RtcAgents;

  /**
   * @param agents the agents every call uses; the module destroys those it made (`owned`) on
   *   shutdown
   */
  constructor(agents: RtcAgents, timeoutMs: number, baseURL: string) {
    const instance = nestAxios.create();
    // Only the defaults the module's calls use. `axios.create` copies axios's global defaults
    // (XSRF names, form-data classes, body limits for its own adapter, transitional flags, an
    // `Accept` and a header bucket per method), and every request merges and re-checks each one:
    // 40% of axios's own cost per call, for settings our adapter never reads (bench/README.md).
    // `defaults.headers.common` stays, so headers set there the usual axios way are still sent.
    replaceDefaults(instance, {
      baseURL,
      timeout: timeoutMs,
      adapter: createNodeHttpAdapter(agents),
      // Failures are read from the envelope and the status, never thrown by axios.
      validateStatus: () => true,
      // The body is a Buffer signed byte for byte: no transformation may touch it.
      transformRequest: [(data: unknown) => data],
      // The client parses the envelope itself (and tells a non-JSON answer from a bad one).
      transformResponse: [(data: unknown) => data],
      headers: { common: {} },
      // The adapter follows no redirect, and reaches a proxy only through the agents' CONNECT
      // tunnel (`http.proxy`): a forwarding proxy would see the Authorization header.
    });
    // @nestjs/axios is ESM and sees axios's ESM typings; this CommonJS file sees the CJS ones. They
    // describe the same object, but TypeScript keeps them apart (the dual-package type hazard).
    super(instance as unknown as ConstructorParameters<typeof HttpService>[0]);
    this.#agents = agents;
  }

  /** The agent of the calls to a `scheme` endpoint (`'http:'` or `'https:'`). */
  agentFor(scheme: 'http:' | 'https:'): RtcAgents['http'] {
    return scheme === 'https:' ? this.#agents.https : this.#agents.http;
  }

  onApplicationShutdown(): void {
    for (const agent of this.#agents.owned) agent.destroy();
  }
}

/** Sets an instance's defaults to `defaults` alone, in place: the instance keeps its reference. */
function replaceDefaults(instance: AxiosInstance, defaults: CreateAxiosDefaults): void {
  const current = instance.defaults as unknown as Record<string, unknown>;
  for (const key of Object.keys(current)) delete current[key];
  Object.assign(current, defaults);
}

export const rtcHttpServiceProvider: FactoryProvider<RtcHttpService> = {
  provide: RTC_HTTP_SERVICE,
  inject: [RTC_MESSAGING_OPTIONS],
  useFactory: ({ endpoint, timeoutMs, http }: ResolvedRtcMessagingOptions) =>
    new RtcHttpService(createRtcAgents(http), timeoutMs, endpoint.origin),
};
