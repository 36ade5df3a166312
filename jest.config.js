// Nest 12 ships ESM only; on Node 20 Jest loads it only once it is transformed to CommonJS,
// so @swc/jest transforms our TypeScript and the ESM packages below (everything else is skipped).
const esmPackages = ['@nestjs', 'file-type', 'load-esm', 'uid', 'strtok3', 'token-types', 'peek-readable', '@tokenizer', 'uint8array-extras'];

const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^nestjs-volcengine-rtc$': '<rootDir>/libs/rtc-messaging/src',
    '^nestjs-volcengine-rtc/(.*)$': '<rootDir>/libs/rtc-messaging/src/$1',
  },
  rootDir: __dirname,
};

module.exports = {
  reporters: ['default', '<rootDir>/test/support/plain-summary.reporter.js'],
  // Once per run: the Redis of REDIS_URL (else 127.0.0.1:6379) answers, or one is started, or one
  // line says how to start it (libs/rtc-messaging/test/test-redis.ts is the setting every spec reads).
  globalSetup: '<rootDir>/test/support/redis.global-setup.ts',
  globalTeardown: '<rootDir>/test/support/redis.global-teardown.ts',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
