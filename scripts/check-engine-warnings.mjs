#!/usr/bin/env node
/**
 * Fails when `npm ci` warned `EBADENGINE` for a package not listed below (`.ci/run` pipes its
 * install's output here): on a Node.js the workspace claims (`engines`), a new dependency that
 * does not declare it must be a decision, with its reason written here, not a line lost among
 * the install's warnings.
 *
 *     npm ci 2>&1 | tee install.log && node scripts/check-engine-warnings.mjs install.log
 *
 * On a Node.js that every package declares (22.22.3+, 24.15+) npm warns nothing, and this passes.
 * Exit code 1 names each package not listed; 0 lists the known ones it saw.
 */
import { readFileSync } from 'node:fs';

/**
 * Packages that declare a Node.js range without 20.19+ and that no version we can use avoids
 * (checked with `npm view <package>@<range> engines`), each with why it is acceptable.
 */
const KNOWN = {
  '@angular-devkit/core':
    'dev only: pinned exactly by every @nestjs/cli 12 (the build tool); runs on Node.js 20.19+',
  '@angular-devkit/schematics': 'dev only: pinned exactly by every @nestjs/cli 12',
  '@angular-devkit/schematics-cli': 'dev only: pinned exactly by every @nestjs/cli 12',
  commander: 'dev only: pinned exactly (15.x) by every @nestjs/cli 12',
  '@nestjs/schematics':
    'dev only: every 12.x declares ^22.22.3 || ^24.15.0 || >=26.0.0 (only @nestjs/cli uses it)',
  'file-type':
    'pinned exactly (22.x, node >=22) by every @nestjs/common 12; loaded only by FileTypeValidator, which nothing here uses',
  'nestjs-pino':
    "the demo's logger, not the library's: every 5.x (the only line whose peers include Nest 12) declares node >=22.12.0",
};

const log = process.argv[2];
if (!log) {
  process.stderr.write('usage: node scripts/check-engine-warnings.mjs <npm ci output>\n');
  process.exit(2);
}
// npm prints each warning as a block: `npm warn EBADENGINE   package: 'name@version',`.
const warned = [
  ...readFileSync(log, 'utf8').matchAll(/EBADENGINE\s+package: '((?:@[^/@']+\/)?[^@']+)@[^']*'/g),
].map(([, name]) => name);
const unknown = [...new Set(warned.filter((name) => !(name in KNOWN)))];
if (unknown.length > 0) {
  process.stderr.write(
    `npm ci warned EBADENGINE for ${unknown.join(', ')}: pick a version whose engines include ` +
      'the Node.js the workspace claims, or list it in scripts/check-engine-warnings.mjs with why.\n',
  );
  process.exit(1);
}
process.stdout.write(
  `EBADENGINE: ${warned.length} warning(s), all known (${[...new Set(warned)].join(', ') || 'none'})\n`,
);
