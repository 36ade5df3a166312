#!/usr/bin/env node
/**
 * Packaging test of nestjs-volcengine-rtc (`npm run test:packaging`).
 *
 * 1. Packs the library (scripts/pack-lib.mjs), or takes PACKAGING_TARBALL=/abs/path.tgz.
 * 2. Checks the tarball: every file the manifest names exists, no spec, no TypeScript source, no
 *    `dependencies` but the proxy tunnel's two (everything else is a peer).
 * 3. For Nest 12 and Nest 11 at once, in scratch apps outside the workspace (own package.json, no
 *    path aliases, none of the workspace's node_modules), installs the tarball and its peers from
 *    the registry, without the optional peer ioredis; then
 *    - compiles test/packaging/consumer/main.ts with tsc, strict: nodenext with TypeScript 6 on
 *      Nest 12, commonjs with node10 resolution (which reads typesVersions) and TypeScript 5 on 11;
 *    - checks test/packaging/consumer/types-check.ts (type-only imports of every subpath) with
 *      skipLibCheck off, in each resolution mode of `typeChecks`;
 *    - runs the consumer: forRootAsync fed by ConfigService, a message to the emulator, /health
 *      up, the testing module;
 *    - requires `.` and `./testing` with @nestjs/terminus, ioredis, @nestjs/bullmq and bullmq made unloadable, and imports
 *      every subpath from an ES module.
 * 4. Beside them, a Nest 12 app made the way `nest new` makes one today (`"type": "module"`,
 *    `nodenext`, `NestFactory.create(AppModule, { instrument: ObserveInstrument })` of
 *    @nestjs/observe, which proxies every provider): test/packaging/observe-consumer/ makes a
 *    token, sends a message, reads /health and runs a fan-out job (Redis at REDIS_URL, default
 *    127.0.0.1:6379) through that instrumentation.
 * Exits non-zero on any failure, after a summary; removes its scratch directories unless
 * KEEP_PACKAGING_DIRS=1.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test/packaging');
const PACKAGE = 'nestjs-volcengine-rtc';
/**
 * The only dependencies the package may have: the proxy tunnel and the NO_PROXY rules of
 * `http.proxy`, which nothing in a Nest app provides. Everything else (Nest, axios, rxjs, the
 * validators) is a peer, so the app has one copy of it.
 */
const ALLOWED_DEPENDENCIES = new Set(['https-proxy-agent', 'proxy-from-env']);

/**
 * @typedef {object} ConsumerSpec What one scratch app installs and how it compiles.
 * @property {string} fixture the folder of test/packaging/ whose .ts files are the app's src/
 * @property {'module'} [type] the app's package.json `type`: ESM, as `nest new` makes apps now
 * @property {Record<string, string>} dependencies
 * @property {Record<string, string>} devDependencies
 * @property {{ module: string; moduleResolution: string; target: string }} compilerOptions
 * @property {{ module: string; moduleResolution: string }[]} typeChecks the resolution modes
 *   in which the declarations of every subpath are checked
 *
 * @typedef {object} Manifest The fields of the packed package.json that are checked.
 * @property {string} name
 * @property {string} version
 * @property {string} main
 * @property {string} types
 * @property {Record<string, string | Record<string, string>>} [exports]
 * @property {Record<string, Record<string, string[]>>} [typesVersions]
 * @property {Record<string, string>} [dependencies]
 *
 * @typedef {object} CheckResult
 * @property {string} scope
 * @property {string} name
 * @property {boolean} ok
 * @property {unknown} [error]
 *
 * @typedef {object} RunOptions
 * @property {string} [cwd]
 * @property {number} [timeoutMs] killed after this long; default 180 s
 */

/**
 * What each scratch app installs. Only majors are pinned: the point is what users get today.
 * @type {Record<string, ConsumerSpec>}
 */
const CONSUMERS = {
  nest12: {
    fixture: 'consumer',
    dependencies: {
      '@nestjs/common': '^12.0.0',
      '@nestjs/core': '^12.0.0',
      '@nestjs/axios': '^12.0.0',
      '@nestjs/config': '^12.0.0',
      '@nestjs/terminus': '^12.0.0',
      '@nestjs/platform-express': '^12.0.0',
      '@nestjs/testing': '^12.0.0',
      axios: '^1.7.0',
      'class-transformer': '^0.5.1',
      'class-validator': '^0.15.0',
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
    },
    devDependencies: { typescript: '~6.0.3', '@types/node': '^20.19.0' },
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2023' },
    typeChecks: [
      { module: 'nodenext', moduleResolution: 'nodenext' },
      // Apps built by a bundler (or TypeScript-only ESM setups) resolve through `exports` too.
      { module: 'preserve', moduleResolution: 'bundler' },
    ],
  },
  nest11: {
    fixture: 'consumer',
    dependencies: {
      '@nestjs/common': '^11.0.0',
      '@nestjs/core': '^11.0.0',
      '@nestjs/axios': '^4.0.0',
      '@nestjs/config': '^4.0.0',
      '@nestjs/terminus': '^11.0.0',
      '@nestjs/platform-express': '^11.0.0',
      '@nestjs/testing': '^11.0.0',
      // The lower ends of the peer ranges, where they still install cleanly.
      axios: '~1.7.0',
      'class-transformer': '^0.5.1',
      'class-validator': '~0.14.0',
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
    },
    devDependencies: { typescript: '~5.7.0', '@types/node': '^20.19.0' },
    // Nest 11's classic starter: CommonJS with node10 resolution, which ignores `exports`.
    compilerOptions: { module: 'commonjs', moduleResolution: 'node', target: 'ES2021' },
    typeChecks: [{ module: 'commonjs', moduleResolution: 'node' }],
  },
  // What `nest new` generates today (@nestjs/schematics' ts-esm template, with @nestjs/observe,
  // the CLI's default answer), plus this package's peers for messaging, health and jobs.
  'nest12-observe': {
    fixture: 'observe-consumer',
    type: 'module',
    dependencies: {
      '@nestjs/common': '^12.0.1',
      '@nestjs/core': '^12.0.1',
      '@nestjs/observe': '^0.3.0',
      '@nestjs/platform-express': '^12.0.1',
      'reflect-metadata': '^0.2.2',
      rxjs: '^7.8.1',
      '@nestjs/axios': '^12.0.0',
      '@nestjs/terminus': '^12.0.0',
      '@nestjs/bullmq': '^12.0.0',
      axios: '^1.7.0',
      bullmq: '^6.0.0',
      ioredis: '^5.0.0',
      'class-transformer': '^0.5.1',
      'class-validator': '^0.15.0',
    },
    devDependencies: { typescript: '~6.0.3', '@types/node': '^24.0.0' },
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2023' },
    // The declarations are checked by the nest12 app already.
    typeChecks: [],
  },
};

const COMMON_COMPILER_OPTIONS = {
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  forceConsistentCasingInFileNames: true,
  types: ['node'],
  rootDir: 'src',
  outDir: 'dist',
};

const keep = process.env.KEEP_PACKAGING_DIRS === '1';
const scratch = mkdtempSync(join(tmpdir(), 'rtc-packaging-'));
const started = performance.now();
/** @type {CheckResult[]} */
const results = [];

/** The workspace's npm and Node settings must not leak into the scratch apps. */
function cleanEnv() {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, CI: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  for (const name of Object.keys(env)) {
    if (
      /^npm_(?!config_(audit|fund)$)/i.test(name) ||
      name === 'INIT_CWD' ||
      name === 'NODE_PATH'
    ) {
      delete env[name];
    }
  }
  env.PATH = (env.PATH ?? '')
    .split(':')
    .filter((entry) => !entry.startsWith(root))
    .join(':');
  return env;
}
const env = cleanEnv();

/**
 * Runs a command; resolves its output, rejects with it (and the command) on a non-zero exit.
 * @param {string} command
 * @param {string[]} args
 * @param {RunOptions} [options]
 * @returns {Promise<string>}
 */
function run(command, args, { cwd, timeoutMs = 180_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    /** @param {Buffer} chunk */
    const collect = (chunk) => (output += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(output);
      else {
        const how = signal ? `killed by ${signal} (timeout ${timeoutMs} ms?)` : `exit ${code}`;
        // An inline script (node -e) is named, not printed.
        const shown = args.map((arg) => (arg.includes('\n') ? '<script>' : arg)).join(' ');
        reject(new Error(`${command} ${shown}: ${how}\n${output.trim()}`));
      }
    });
  });
}

/**
 * Runs and records a named check; a failure keeps its message for the summary.
 * @param {string} scope
 * @param {string} name
 * @param {() => Promise<string | void>} fn resolves an optional detail to print
 * @returns {Promise<boolean>} whether it passed
 */
async function check(scope, name, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    results.push({ scope, name, ok: true });
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`[${scope}] ok    ${name} (${seconds} s)${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (error) {
    results.push({ scope, name, ok: false, error });
    const message = error instanceof Error ? error.message : String(error);
    console.log(`[${scope}] FAIL  ${name}\n${indent(message)}`);
    return false;
  }
}

/** @param {string} text */
const indent = (text) =>
  text
    .split('\n')
    .slice(0, 60)
    .map((line) => `        ${line}`)
    .join('\n');

/** @returns {Promise<string>} the tarball's absolute path */
async function pack() {
  if (process.env.PACKAGING_TARBALL) return resolve(process.env.PACKAGING_TARBALL);
  const dist = join(root, 'libs/rtc-messaging/dist');
  const hadDist = existsSync(dist);
  const output = await run(process.execPath, [join(root, 'scripts/pack-lib.mjs'), scratch], {
    cwd: root,
  });
  // The build is only a means to the tarball here: leave the workspace as it was.
  if (!hadDist) rmSync(dist, { recursive: true, force: true });
  return output.trim().split('\n').at(-1) ?? '';
}

/**
 * Every file the packed manifest points at is in the tarball; nothing that should not be is.
 * @param {string} tarball
 */
async function checkTarball(tarball) {
  const listing = (await run('tar', ['-tzf', tarball])).split('\n').filter(Boolean);
  const files = new Set(listing.map((entry) => entry.replace(/^package\//, '')));
  const unpacked = join(scratch, 'unpacked');
  mkdirSync(unpacked, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', unpacked]);
  /** @type {Manifest} */
  const manifest = JSON.parse(readFileSync(join(unpacked, 'package/package.json'), 'utf8'));

  /** @type {string[]} */
  const problems = [];
  if (manifest.name !== PACKAGE) problems.push(`name is ${manifest.name}`);
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    if (!ALLOWED_DEPENDENCIES.has(dependency)) {
      problems.push(
        `depends on ${dependency}; only ${[...ALLOWED_DEPENDENCIES].join(', ')} may be`,
      );
    }
  }
  const named = [manifest.main, manifest.types];
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target === 'string') named.push(target);
    else {
      if (!target.types || !target.default)
        problems.push(`exports["${subpath}"] lacks types/default`);
      named.push(...Object.values(target));
    }
  }
  for (const paths of Object.values(manifest.typesVersions?.['*'] ?? {})) named.push(...paths);
  for (const target of named) {
    if (!files.has(target.replace(/^\.\//, ''))) problems.push(`missing ${target}`);
  }
  for (const required of ['README.md', 'CHANGELOG.md', 'package.json']) {
    if (!files.has(required)) problems.push(`missing ${required}`);
  }
  const stray = [...files].filter(
    (file) =>
      /\.spec\.|\.tsbuildinfo$/.test(file) || (file.endsWith('.ts') && !file.endsWith('.d.ts')),
  );
  if (stray.length > 0) problems.push(`should not ship: ${stray.slice(0, 5).join(', ')}`);
  if (![...files].some((file) => file.endsWith('.js.map'))) problems.push('no source maps');
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return `${files.size} files, exports ${Object.keys(manifest.exports ?? {}).join(' ')}`;
}

/** Blocks the optional peers, then loads the entry points that must not need them. */
const OPTIONAL_PEERS_CHECK = `
const Module = require('node:module');
const blocked = new Set(['@nestjs/terminus', 'ioredis', '@nestjs/bullmq', 'bullmq']);
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (blocked.has(request)) {
    const error = new Error("Cannot find module '" + request + "' (blocked by the packaging test)");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};
for (const entry of ['${PACKAGE}', '${PACKAGE}/testing']) {
  try {
    require(entry);
  } catch (error) {
    console.error(entry + ' needs an optional peer at load time: ' + error.message);
    process.exit(1);
  }
}
let healthLoaded = true;
try { require('${PACKAGE}/health'); } catch { healthLoaded = false; }
if (healthLoaded) {
  console.error('the block did not work: ${PACKAGE}/health loaded without @nestjs/terminus');
  process.exit(1);
}
let jobsLoaded = true;
try { require('${PACKAGE}/jobs'); } catch { jobsLoaded = false; }
if (jobsLoaded) {
  console.error('the block did not work: ${PACKAGE}/jobs loaded without @nestjs/bullmq');
  process.exit(1);
}
console.log('. and ./testing load without @nestjs/terminus, ioredis, @nestjs/bullmq and bullmq');
`;

const ESM_IMPORT_CHECK = `
import { RtcMessagingModule, UnicastService, RtcError } from '${PACKAGE}';
import { RtcMessagingTestingModule, RtcOpenApiEmulator } from '${PACKAGE}/testing';
import { RtcMessagingHealthIndicator } from '${PACKAGE}/health';
import manifest from '${PACKAGE}/package.json' with { type: 'json' };
for (const [name, value] of Object.entries({ RtcMessagingModule, UnicastService, RtcError,
  RtcMessagingTestingModule, RtcOpenApiEmulator, RtcMessagingHealthIndicator })) {
  if (typeof value !== 'function') throw new Error(name + ' is not a named export');
}
console.log('named ESM imports of ' + manifest.name + '@' + manifest.version);
`;

/**
 * Builds one scratch app around the tarball and runs every consumer check in it.
 * @param {string} name
 * @param {ConsumerSpec} spec
 * @param {string} tarball
 */
async function consumer(name, spec, tarball) {
  const dir = join(scratch, name);
  // Only the sources: a fixture's own tsconfig.json and package.json are for the workspace's editor.
  cpSync(join(fixtures, spec.fixture), join(dir, 'src'), {
    recursive: true,
    filter: (source) => !/\.json$/.test(source),
  });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `rtc-packaging-${name}`,
        private: true,
        ...(spec.type ? { type: spec.type } : {}),
        dependencies: { [PACKAGE]: `file:${tarball}`, ...spec.dependencies },
        devDependencies: spec.devDependencies,
      },
      null,
      2,
    ),
  );
  const compilerOptions = { ...COMMON_COMPILER_OPTIONS, ...spec.compilerOptions };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, files: ['src/main.ts'] }, null, 2),
  );
  // skipLibCheck off: errors in this package's declarations show (the @nestjs ones are checked too).
  const typeConfigs = spec.typeChecks.map((mode) => {
    const file = `tsconfig.types-${mode.moduleResolution}.json`;
    const options = { ...compilerOptions, ...mode, skipLibCheck: false, noEmit: true };
    writeFileSync(
      join(dir, file),
      JSON.stringify({ compilerOptions: options, files: ['src/types-check.ts'] }, null, 2),
    );
    return { file, mode };
  });
  const tsc = join(dir, 'node_modules/typescript/bin/tsc');

  const installed = await check(
    name,
    'npm install (tarball + peers from the registry)',
    async () => {
      await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: dir,
        timeoutMs: 150_000,
      });
      return ['@nestjs/common', '@nestjs/axios', '@nestjs/terminus', 'typescript']
        .map((dep) => `${dep}@${versionOf(join(dir, 'node_modules', dep))}`)
        .join(' ');
    },
  );
  if (!installed) return;

  const compiled = await check(name, 'tsc (strict) compiles the consumer', async () => {
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir });
    return `${compilerOptions.module}/${compilerOptions.moduleResolution}`;
  });
  for (const { file, mode } of typeConfigs) {
    await check(name, `the .d.ts of every subpath type-check (${mode.moduleResolution})`, () =>
      run(process.execPath, [tsc, '-p', file], { cwd: dir }).then(() => undefined),
    );
  }
  if (compiled) {
    await check(name, 'the consumer runs against the emulator', async () => {
      const output = await run(process.execPath, ['dist/main.js'], { cwd: dir, timeoutMs: 60_000 });
      if (!output.includes('consumer: all checks passed')) throw new Error(output);
      const passed = output.split('\n').filter((line) => /^\s*ok\s/.test(line));
      return passed.map((line) => `\n        ${line.trim()}`).join('');
    });
  }
  await check(name, 'optional peers are not loaded by . and ./testing', async () =>
    (await run(process.execPath, ['-e', OPTIONAL_PEERS_CHECK], { cwd: dir })).trim(),
  );
  await check(name, 'named imports from an ES module', async () =>
    (
      await run(process.execPath, ['--input-type=module', '-e', ESM_IMPORT_CHECK], { cwd: dir })
    ).trim(),
  );
}

/**
 * @param {string} packageDir
 * @returns {string}
 */
function versionOf(packageDir) {
  /** @type {{ version: string }} */
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  return manifest.version;
}

function cleanUp() {
  if (keep) console.log(`scratch directories kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

try {
  console.log(`packaging test of ${PACKAGE} (node ${process.version}), scratch ${scratch}`);
  let tarball = '';
  const packed = await check('pack', 'pack the library', async () => {
    tarball = await pack();
    return tarball;
  });
  if (packed && (await check('pack', 'tarball contents', () => checkTarball(tarball)))) {
    await Promise.all(
      Object.entries(CONSUMERS).map(([name, spec]) => consumer(name, spec, tarball)),
    );
  }
} catch (error) {
  results.push({ scope: 'runner', name: 'unexpected error', ok: false, error });
  console.error(error);
} finally {
  cleanUp();
}

const failed = results.filter((r) => !r.ok);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`\npackaging test summary (${seconds} s)`);
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'}  [${r.scope}] ${r.name}`);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
