import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpService } from '@nestjs/axios';
import { FactoryProvider, OnApplicationShutdown } from '@nestjs/common';
import axios, { AxiosInstance, CreateAxiosDefaults } from 'axios';
import { createNodeHttpAdapter } from './node-http.adapter';
import { RTC_HTTP_SERVICE, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';

/**
 * Idle keep-alive sockets are closed by us before the server would close them: Node servers drop
 * idle connections after 5 s, many gateways after 60 s. A request written to a socket the server is
 * closing fails after it was sent, which would turn into an "unknown outcome" for no reason.
 * (Node also shortens this further when the server announces `Keep-Alive: timeout=N`.)
 */
export const IDLE_SOCKET_TTL_MS = 4_000;

/** The module's own `HttpService`: its own axios instance and keep-alive agents, closed on shutdown. */
export class RtcHttpService extends HttpService implements OnApplicationShutdown {
  constructor(
    /** The keep-alive agents every call uses. */
    readonly agents: { readonly http: HttpAgent; readonly https: HttpsAgent },
    timeoutMs: number,
    baseURL: string,
  ) {
    const instance = axios.create();
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
      // The adapter follows no redirect and uses no proxy (one from the environment would see
      // the Authorization header).
    });
    // @nestjs/axios is ESM and sees axios's ESM typings; this CommonJS file sees the CJS ones. They
    // describe the same object, but TypeScript keeps them apart (the dual-package type hazard).
    super(instance as unknown as ConstructorParameters<typeof HttpService>[0]);
  }

  onApplicationShutdown(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
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
  useFactory: ({ endpoint, timeoutMs }: ResolvedRtcMessagingOptions) => {
    const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_TTL_MS };
    return new RtcHttpService(
      { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) },
      timeoutMs,
      endpoint.origin,
    );
  },
};
