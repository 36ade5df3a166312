import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast';
import { OPEN_TELEMETRY_API } from './open-telemetry-api';

// As if the app had not installed the optional peer: requiring it fails as Node fails it.
jest.mock('@opentelemetry/api', () => {
  const error = new Error("Cannot find module '@opentelemetry/api'") as NodeJS.ErrnoException;
  error.code = 'MODULE_NOT_FOUND';
  throw error;
});

/** `@opentelemetry/api` is an optional peer: without it the module loads and sends as before. */
describe('the module without @opentelemetry/api', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: 0 });
    await emulator.start();
  });

  afterEach(async () => {
    await moduleRef?.close();
    await emulator.stop();
  });

  it('finds no API', () => {
    expect(OPEN_TELEMETRY_API).toBeUndefined();
    expect(() => jest.requireActual('@opentelemetry/api')).not.toThrow();
  });

  it('loads, sends one message and a fan-out, and closes', async () => {
    moduleRef = await compileAgainst(emulator, { logger: false });
    const unicast = moduleRef.get(UnicastService);
    await expect(unicast.send({ to: 'user_1', message: 'hi' })).resolves.toMatchObject({
      message: 'Success',
    });
    await expect(unicast.sendToMany(['user_2', 'user_3'], 'hi')).resolves.toMatchObject({
      sent: 2,
    });
    expect(emulator.received).toBe(3);
  });

  it('rethrows any other failure of the package, which is not a missing peer', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw new SyntaxError('broken package');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(() => require('./open-telemetry-api')).toThrow('broken package');
    });
  });
});
