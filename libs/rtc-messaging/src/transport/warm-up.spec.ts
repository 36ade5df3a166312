import type { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { HttpService } from '@nestjs/axios';
import { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { ConnectProxy } from '../../test/connect-proxy';
import { makeTestCertificates } from '../../test/test-certificates';
import { RTC_HTTP_SERVICE } from '../rtc-messaging.constants';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast/unicast.service';
import type { RtcHttpService } from './http-service.provider';
import { RtcOpenApiClient } from './rtc-openapi.client';

const idleSockets = (agent: Agent): Socket[] =>
  Object.values(agent.freeSockets).flatMap((sockets) => sockets ?? []);

/** The sockets the calls of `moduleRef` went out on, seen by a response interceptor. */
function recordSockets(moduleRef: TestingModule): Socket[] {
  const used: Socket[] = [];
  moduleRef.get<HttpService>(RTC_HTTP_SERVICE).axiosRef.interceptors.response.use((response) => {
    used.push((response.request as { socket: Socket }).socket);
    return response;
  });
  return used;
}

const sendFour = (moduleRef: TestingModule) =>
  Promise.all(
    ['u1', 'u2', 'u3', 'u4'].map((to) => moduleRef.get(UnicastService).sendText(to, 'hi')),
  );

/*
 * `warmUp(n)` opens n keep-alive sockets at once with the health probe's request (which no AppId's
 * limit counts) and leaves them idle, so that n concurrent calls right after connect nothing.
 */
describe('RtcOpenApiClient.warmUp', () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  describe('direct', () => {
    let emulator: RtcOpenApiEmulator;

    beforeAll(async () => {
      emulator = new RtcOpenApiEmulator();
      await emulator.start();
    });

    afterAll(() => emulator.stop());

    it('leaves 4 idle sockets, and the next 4 concurrent calls open none', async () => {
      moduleRef = await compileAgainst(emulator);
      const agent = moduleRef.get<RtcHttpService>(RTC_HTTP_SERVICE).agentFor('http:');
      const created = jest.spyOn(agent, 'createConnection');

      await moduleRef.get(RtcOpenApiClient).warmUp(4);

      const warmed = idleSockets(agent);
      expect(warmed).toHaveLength(4);
      expect(created).toHaveBeenCalledTimes(4);
      expect(emulator.acceptedCount).toBe(0);

      const used = recordSockets(moduleRef);
      await sendFour(moduleRef);
      expect(created).toHaveBeenCalledTimes(4);
      expect(used).toHaveLength(4);
      for (const socket of used) expect(warmed).toContain(socket);
      expect(emulator.acceptedCount).toBe(4);
    });

    it('uses the idle sockets it finds first: warming 4 with 4 idle opens none', async () => {
      moduleRef = await compileAgainst(emulator);
      const agent = moduleRef.get<RtcHttpService>(RTC_HTTP_SERVICE).agentFor('http:');
      const created = jest.spyOn(agent, 'createConnection');
      const client = moduleRef.get(RtcOpenApiClient);

      await client.warmUp(4);
      await client.warmUp(4);
      await client.warmUp(0);

      expect(created).toHaveBeenCalledTimes(4);
      expect(idleSockets(agent)).toHaveLength(4);
    });

    it.each([-1, 1.5, Number.NaN, 1_001])('refuses %p connections', async (connections) => {
      moduleRef = await compileAgainst(emulator);
      await expect(moduleRef.get(RtcOpenApiClient).warmUp(connections)).rejects.toThrow(
        'connections must be a whole number from 0 to 1000',
      );
    });
  });

  it('through a proxy: 4 tunnels, and the next 4 concurrent calls open no other', async () => {
    const certificates = makeTestCertificates();
    const emulator = new RtcOpenApiEmulator({ tls: certificates });
    const proxy = new ConnectProxy();
    try {
      await emulator.start();
      moduleRef = await compileAgainst(emulator, {
        http: { ca: certificates.ca, proxy: await proxy.start() },
      });

      await moduleRef.get(RtcOpenApiClient).warmUp(4);
      expect(proxy.tunnels).toHaveLength(4);

      await sendFour(moduleRef);
      expect(proxy.tunnels).toHaveLength(4);
      expect(emulator.acceptedCount).toBe(4);
    } finally {
      await moduleRef?.close();
      moduleRef = undefined;
      await proxy.stop();
      await emulator.stop();
    }
  });
});
