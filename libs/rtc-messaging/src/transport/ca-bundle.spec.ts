import { Agent as HttpsAgent } from 'node:https';
import { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { makeTestCertificates, TestCertificates } from '../../test/test-certificates';
import { RtcTransportError } from '../errors';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast/unicast.service';

/*
 * An endpoint whose certificate chains to a private CA (a TLS-terminating sidecar, a corporate
 * gateway): trusted only through `http.ca` or an agent of your own, refused otherwise, and the
 * refusal surely did not deliver.
 */
describe('http.ca against an HTTPS emulator with a private CA', () => {
  let certificates: TestCertificates;
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    emulator = new RtcOpenApiEmulator({ tls: certificates });
    await emulator.start();
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    emulator.reset();
  });

  afterAll(() => emulator.stop());

  it('serves https://', () => {
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('without ca: the call fails with a TLS error, not delivered, and nothing arrives', async () => {
    moduleRef = await compileAgainst(emulator, { retry: { maxAttempts: 1 } });
    const error = await moduleRef
      .get(UnicastService)
      .sendText('user_1', 'hi')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RtcTransportError);
    expect(error).toMatchObject({ outcome: 'not_delivered', failure: 'connect' });
    expect((error as Error).message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT/);
    expect(emulator.received).toBe(0);
  });

  it('with ca: the call succeeds', async () => {
    moduleRef = await compileAgainst(emulator, { http: { ca: certificates.ca } });
    await expect(moduleRef.get(UnicastService).sendText('user_1', 'hi')).resolves.toMatchObject({
      message: 'Success',
    });
    expect(emulator.accepted.map((m) => m.message)).toEqual(['hi']);
  });

  it('with ca as an array of Buffers: the call succeeds', async () => {
    moduleRef = await compileAgainst(emulator, {
      http: { ca: [Buffer.from(certificates.ca)] },
    });
    await expect(moduleRef.get(UnicastService).sendText('user_1', 'hi')).resolves.toBeDefined();
  });

  it('with your own httpsAgent: it is used, and not destroyed when the module closes', async () => {
    const agent = new HttpsAgent({ ca: certificates.ca, keepAlive: true });
    const destroy = jest.spyOn(agent, 'destroy');
    const created = jest.spyOn(agent, 'createConnection');
    try {
      moduleRef = await compileAgainst(emulator, { http: { httpsAgent: agent } });
      await moduleRef.get(UnicastService).sendText('user_1', 'hi');
      await moduleRef.close();
      moduleRef = undefined;

      expect(created).toHaveBeenCalledTimes(1);
      expect(destroy).not.toHaveBeenCalled();
    } finally {
      agent.destroy();
    }
  });
});
