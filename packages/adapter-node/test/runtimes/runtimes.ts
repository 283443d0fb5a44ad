import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeCommand } from '../support/cliProcess.js';

/** Where `packages/runtimes` installs the runtimes: npm packages with the binary inside. */
const installed = join(dirname(fileURLToPath(import.meta.url)), '../../../runtimes/node_modules');

/** One runtime the suite runs the library and the command under. */
export interface Runtime {
  /** `Node.js 22`, `Bun`, `Deno`. */
  readonly name: string;
  /** The version its package pins (`22.23.5`). */
  readonly version: string;
  /** How it runs a script: the binary, then what goes before the script's path. */
  readonly command: RuntimeCommand;
  /** What it needs in the environment on top of the test's own. */
  readonly env: NodeJS.ProcessEnv;
}

const versionOf = (packageName: string): string =>
  (JSON.parse(readFileSync(join(installed, packageName, 'package.json'), 'utf8')) as { version: string })
    .version;

const runtime = (
  name: string,
  packageName: string,
  binary: string,
  before: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Runtime => {
  const path = join(installed, packageName, binary);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm install\` (packages/runtimes)`);
  return { name, version: versionOf(packageName), command: [path, ...before], env };
};

/**
 * The runtimes of the suite, as `packages/runtimes/package.json` pins them. Deno runs with every permission (a
 * download reads and writes files and opens sockets, as under Node), and never checks for its own updates.
 */
export const runtimes: readonly Runtime[] = [
  runtime('Node.js 20', 'node20', 'bin/node'),
  runtime('Node.js 22', 'node22', 'bin/node'),
  runtime('Node.js 24', 'node24', 'bin/node'),
  runtime('Bun', 'bun', 'bin/bun'),
  runtime('Deno', 'deno', 'deno', ['run', '--allow-all'], { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' }),
];
