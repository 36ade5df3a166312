import { EMULATOR_DEMO_CREDENTIALS } from 'nestjs-volcengine-rtc/testing';
import { ENV_VARIABLES, type EnvVariable } from '../config';
import { LOCAL_REDIS, REDIS_PROBE_TIMEOUT_MS, redisAnswersPing } from './local-redis.probe';

/** The demo's API key. */
export const API_KEY = 'demo-key';
/** Tokens carry the AppId at a fixed 24 characters, as real AppIds are. */
export const APP_ID = '661e000000000000000543cf';
/** A demo AppKey: the tokens it signs are refused by the real RTC service, as they should be. */
export const APP_KEY = 'demo-app-key-0123456789abcdef';
/** The demo's sender id. */
export const FROM = 'server_bot';

type Env = Partial<Record<EnvVariable, string>>;

/** The Redis the demo uses, if any, and a line for the user saying which and why. */
export interface DemoRedis {
  readonly url?: string;
  readonly note: string;
}

const LOCAL_REDIS_URL = `redis://${LOCAL_REDIS.host}:${LOCAL_REDIS.port}`;

/**
 * The demo's Redis: the shell's `REDIS_URL` when set (never printed: it may hold a password),
 * else the usual local one when it answers within `REDIS_PROBE_TIMEOUT_MS`, else none (fan-out
 * jobs off). The note says which, so a user learns how to turn jobs on.
 */
export async function demoRedis(
  shell: Readonly<Record<string, string | undefined>>,
  answers: (host: string, port: number) => Promise<boolean> = redisAnswersPing,
): Promise<DemoRedis> {
  const given = shell.REDIS_URL;
  if (given !== undefined && given !== '') {
    return { url: given, note: 'Redis: REDIS_URL (fan-out jobs on, the budget shared in it)' };
  }
  if (await answers(LOCAL_REDIS.host, LOCAL_REDIS.port)) {
    return {
      url: LOCAL_REDIS_URL,
      note: `Redis: found at ${LOCAL_REDIS.host}:${LOCAL_REDIS.port} (fan-out jobs on); REDIS_URL=… for another`,
    };
  }
  return {
    note:
      `Redis: none at ${LOCAL_REDIS.host}:${LOCAL_REDIS.port} (asked for ${REDIS_PROBE_TIMEOUT_MS} ms) ` +
      'and REDIS_URL unset, so fan-out jobs are off (/v1/fan-outs answers 503). ' +
      'Start a Redis there, or REDIS_URL=redis://… npm run demo',
  };
}

/**
 * The demo app's environment: the shell's variables the app reads (`PORT`, `REDIS_URL`,
 * `FAN_OUT_*`, `LOG_LEVEL`, …), with what must match the emulator and the printed instructions
 * fixed: its credentials and endpoint, the region it checks, the AppId, sender, AppKey and API
 * key. `LOG_FORMAT` defaults to `pretty`, `PORT` to 3000.
 */
export function demoAppEnv(
  shell: Readonly<Record<string, string | undefined>>,
  emulator: { readonly endpoint: string },
  redis: DemoRedis,
): Env {
  const fromShell: Env = {};
  for (const name of ENV_VARIABLES) {
    const value = shell[name];
    if (value !== undefined) fromShell[name] = value;
  }
  return {
    ...fromShell,
    VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
    VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
    // The emulator's credentials have no session token, and it checks the default region.
    VOLC_SESSION_TOKEN: undefined,
    RTC_REGION: undefined,
    RTC_APP_ID: APP_ID,
    RTC_APP_KEY: APP_KEY,
    RTC_FROM: FROM,
    RTC_ENDPOINT: emulator.endpoint,
    API_KEYS: API_KEY,
    REDIS_URL: redis.url,
    // Request lines for a person, between the emulator's lines.
    LOG_FORMAT: fromShell.LOG_FORMAT ?? 'pretty',
    PORT: fromShell.PORT ?? '3000',
  };
}
