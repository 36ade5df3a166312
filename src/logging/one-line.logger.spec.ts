import { OneLineLogger } from './one-line.logger';

describe('OneLineLogger', () => {
  let output: string;
  let logger: OneLineLogger;

  beforeEach(() => {
    output = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += String(chunk);
      return true;
    });
    logger = new OneLineLogger({ colors: false });
  });
  afterEach(() => jest.restoreAllMocks());

  it('prints an error object as its name and message, without the stack', () => {
    const error = new TypeError('the detail');
    logger.error(error);
    expect(output).toContain('TypeError: the detail');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('drops a stack passed beside the message, keeping the context', () => {
    const { stack } = new Error('boom');
    logger.error('it failed', stack, 'Bootstrap');
    expect(output).toContain('it failed');
    expect(output).toContain('[Bootstrap]');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('drops the stack of a fatal error too', () => {
    logger.fatal(new RangeError('out of range'), new Error('x').stack);
    expect(output).toContain('RangeError: out of range');
    expect(output).not.toMatch(/\n\s+at /);
  });
});
