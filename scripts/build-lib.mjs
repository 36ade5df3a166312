#!/usr/bin/env node
// Compiles libs/rtc-messaging/src into libs/rtc-messaging/dist (CommonJS, .d.ts, source maps with
// the sources inlined, as the TypeScript sources are not published). The old dist goes first, so a
// file removed from src cannot linger in a package.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'libs/rtc-messaging');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

rmSync(join(lib, 'dist'), { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', join(lib, 'tsconfig.lib.json')], { stdio: 'inherit' });
} catch {
  console.error('build:lib: tsc failed (errors above)');
  process.exit(1);
}

// Every file the manifest points at must have been built.
const manifest = JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8'));
const targets = [manifest.main, manifest.types];
for (const entry of Object.values(manifest.exports)) {
  targets.push(...(typeof entry === 'string' ? [entry] : Object.values(entry)));
}
const missing = targets.filter((target) => !existsSync(join(lib, target)));
if (missing.length > 0) {
  console.error(`build:lib: the manifest names files that were not built: ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`build:lib: ${join(lib, 'dist')}`);
