#!/usr/bin/env node
/**
 * Type-checks the TypeScript examples of the READMEs (`npm run test:readme`), so that they cannot
 * drift from the library's API.
 *
 * Every ```ts (or ```typescript) block of README.md and libs/rtc-messaging/README.md becomes one
 * module in a scratch project (node_modules/.cache/readme-examples), checked with
 * `tsc --strict --noEmit`. `nestjs-volcengine-rtc` is a symlink there to libs/rtc-messaging, so
 * the package and its subpaths (`/health`, `/testing`) resolve through its `exports` to the built
 * `dist` (npm run build:lib), as in a consumer's app.
 *
 * A block must compile as it is: it imports what it uses, and code that needs `this` sits in a
 * class. A block whose first line is a comment naming a file (`// app.module.ts`) is written under
 * that name, so that a later block of the same README can import it (`./app.module`); the others
 * are named by their line. The one prelude (PRELUDE below) declares the reader's own classes that the package
 * README's testing examples use, and the project's Jest types give `describe`/`it`/`expect`.
 * Errors name the README, the line in it, and tsc's message; the exit code is 1 if any block fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'libs/rtc-messaging');
const READMES = ['README.md', 'libs/rtc-messaging/README.md'];
// Inside the workspace, so that the blocks' other imports (@nestjs/*, jest types) resolve from
// the workspace's node_modules by walking up, as they would in an app.
const scratch = join(root, 'node_modules/.cache/readme-examples');

/**
 * The reader's own code that the package README's examples refer to without defining: the
 * `OrderNotifier` of its Quick start and the module that provides it. Kept to declarations of the
 * reader's side only; nothing of the library is declared here.
 */
const PRELUDE = `declare class OrderNotifier {
  shipped(userId: string, orderId: string): Promise<string>;
}
declare class OrdersModule {}
`;

// The compiler options of a NestJS app made by \`nest new\` (decorators, CommonJS under nodenext),
// with every strict check on.
const COMPILER_OPTIONS = {
  strict: true,
  noEmit: true,
  module: 'nodenext',
  moduleResolution: 'nodenext',
  target: 'ES2023',
  lib: ['ES2023'],
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node', 'jest'],
};

/**
 * @typedef {object} Block One fenced TypeScript block of a README.
 * @property {string} readme the README's path, relative to the workspace
 * @property {number} fenceLine the 1-based line of its opening fence in the README
 * @property {string} code its text, without the fences
 * @property {string} file the scratch module it is written to
 */

/**
 * The ```ts and ```typescript blocks of one README (CommonMark fences of backticks or tildes,
 * indented up to 3 spaces; a fence closes on the same character, at least as long).
 * @param {string} readme
 * @returns {Omit<Block, 'file'>[]}
 */
function extractBlocks(readme) {
  const lines = readFileSync(join(root, readme), 'utf8').split(/\r?\n/);
  /** @type {Omit<Block, 'file'>[]} */
  const blocks = [];
  /** @type {{ fence: string; line: number; typescript: boolean; body: string[] } | undefined} */
  let open;
  lines.forEach((line, index) => {
    if (open === undefined) {
      const start = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (start) {
        const language = start[2].toLowerCase();
        open = {
          fence: start[1],
          line: index + 1,
          typescript: language === 'ts' || language === 'typescript',
          body: [],
        };
      }
      return;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (close && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
      if (open.typescript)
        blocks.push({ readme, fenceLine: open.line, code: open.body.join('\n') });
      open = undefined;
      return;
    }
    open.body.push(line);
  });
  if (open?.typescript) {
    throw new Error(`${readme}:${open.line}: the \`\`\`ts block is never closed`);
  }
  return blocks;
}

/** Writes the scratch project and returns its blocks, each with the module it is written to. */
function writeScratchProject() {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(join(scratch, 'node_modules'), { recursive: true });
  symlinkSync(lib, join(scratch, 'node_modules/nestjs-volcengine-rtc'), 'junction');

  /** @type {Block[]} */
  const blocks = READMES.flatMap(extractBlocks).map((block) => {
    // One directory per README, so that its named files cannot meet another README's.
    const directory = block.readme.replace(/[^A-Za-z0-9]+/g, '-');
    const named = /^\/\/ ([\w.-]+\.ts)\s*$/.exec(block.code.split('\n', 1)[0]);
    return { ...block, file: `${directory}/${named ? named[1] : `L${block.fenceLine}.ts`}` };
  });
  const seen = new Map();
  for (const block of blocks) {
    const earlier = seen.get(block.file);
    if (earlier !== undefined) {
      throw new Error(
        `${block.readme}:${block.fenceLine}: a second block named ${block.file.split('/')[1]} (the first is at line ${earlier})`,
      );
    }
    seen.set(block.file, block.fenceLine);
    mkdirSync(dirname(join(scratch, block.file)), { recursive: true });
    // `export {}` makes every block a module of its own, so two blocks may declare the same name;
    // it goes after the code, so the block's lines keep their numbers.
    writeFileSync(join(scratch, block.file), `${block.code}\nexport {};\n`);
  }
  writeFileSync(join(scratch, 'prelude.d.ts'), PRELUDE);
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: COMPILER_OPTIONS,
        files: ['prelude.d.ts', ...blocks.map((block) => block.file)],
      },
      null,
      2,
    ),
  );
  return blocks;
}

/**
 * Runs tsc on the scratch project.
 * @returns {string} its output; empty when every block compiles
 */
function typeCheck() {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', scratch, '--pretty', 'false'], {
      cwd: scratch,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return '';
  } catch (error) {
    const { stdout = '', stderr = '' } = /** @type {{ stdout?: string; stderr?: string }} */ (
      error
    );
    const output = `${stdout}${stderr}`.trim();
    return output === '' ? String(error) : output;
  }
}

/**
 * Rewrites tsc's `file(line,col): error` lines to point into the READMEs.
 * @param {string} output
 * @param {Block[]} blocks
 */
function toReadmeLocations(output, blocks) {
  const byFile = new Map(blocks.map((block) => [block.file, block]));
  return output
    .split(/\r?\n/)
    .map((line) => {
      const match = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
      const block = match && byFile.get(match[1]);
      if (!match || !block) return line;
      const readmeLine = block.fenceLine + Number(match[2]);
      return `${block.readme}:${readmeLine}:${match[3]} (in the \`\`\`ts block at line ${block.fenceLine}): ${match[4]}`;
    })
    .join('\n');
}

if (!existsSync(join(lib, 'dist/index.d.ts'))) {
  console.error('test:readme: the library is not built; run `npm run build:lib` first');
  process.exit(1);
}
const blocks = writeScratchProject();
const output = typeCheck();
if (output !== '') {
  console.error(toReadmeLocations(output, blocks));
  console.error(
    `test:readme: README TypeScript examples do not compile (scratch project: ${relative(root, scratch)})`,
  );
  process.exit(1);
}
const counts = READMES.map((readme) => {
  const count = blocks.filter((block) => block.readme === readme).length;
  return `${count} in ${readme}`;
});
console.log(`test:readme: ${blocks.length} TypeScript examples compile (${counts.join(', ')})`);
