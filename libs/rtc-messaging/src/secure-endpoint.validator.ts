import { registerDecorator, ValidationArguments } from 'class-validator';

/**
 * Whether a URL's host is this machine: `localhost`, `127.0.0.0/8` or `[::1]` (as `URL#hostname`
 * writes it, lower-cased). Traffic to it never crosses a network, so clear text there exposes nothing.
 * IPv4-mapped forms (`[::ffff:127.0.0.1]`) are not counted: the short list is the safe one.
 */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    // `URL` writes every IPv4 form (`127.1`, `0x7f.1`, ...) as four decimal octets.
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/**
 * An `http://` endpoint would carry `X-Security-Token` (and every message) in clear text, so it is
 * allowed only on a loopback host (the emulator, a local proxy), or when the options say
 * `allowInsecureEndpoint: true`. Runs after the URL check: a malformed URL is that check's problem.
 */
export function IsSecureEndpoint(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'secureEndpoint',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => {
          const url = parseUrl(value);
          if (url?.protocol !== 'http:') return true;
          const options = args?.object as { allowInsecureEndpoint?: unknown } | undefined;
          return options?.allowInsecureEndpoint === true || isLoopbackHost(url.hostname);
        },
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be https:// unless its host is loopback ` +
          `(127.0.0.0/8, ::1, localhost) or allowInsecureEndpoint is true`,
      },
    });
}

const parseUrl = (value: unknown): URL | undefined => {
  try {
    return typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
};
