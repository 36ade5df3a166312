#!/usr/bin/env node
// Builds the library and packs it with `npm pack`.
//   node scripts/pack-lib.mjs [destination-dir]   (default: libs/rtc-messaging; *.tgz is ignored by git)
// The tarball's absolute path is the last line printed on stdout.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'libs/rtc-messaging');
const destination = resolve(process.argv[2] ?? lib);
mkdirSync(destination, { recursive: true });

// The build's own output goes to stderr, so that stdout ends with the path alone.
try {
  execFileSync(process.execPath, [join(root, 'scripts/build-lib.mjs')], {
    stdio: ['ignore', process.stderr, 'inherit'],
  });
} catch {
  console.error('pack:lib: the build failed');
  process.exit(1);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const report = execFileSync(
  npm,
  ['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
  { cwd: lib, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const [{ filename, files }] = JSON.parse(report);
console.error(`pack:lib: ${files.length} files`);
console.log(join(destination, filename));
