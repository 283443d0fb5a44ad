import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The launcher of the built command: the tests run `rdl` exactly as a user does, as its own process. */
export const rdlBin = join(packageDir, 'bin/rdl.js');
const builtMain = join(packageDir, 'dist/cli/rdl.js');

/** The CLI tests drive the compiled command: fail with the reason rather than with a module error. */
export const assertBuilt = (): void => {
  if (!existsSync(builtMain))
    throw new Error(`${builtMain} is missing: run \`pnpm build\` before these tests`);
};

/** One `--json` line of the command. */
export type JsonEvent = { readonly event: string } & Record<string, unknown>;

export interface RdlExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--json` lines of stdout, parsed. */
  readonly events: readonly JsonEvent[];
}

export interface RdlProcess {
  readonly child: ChildProcess;
  /** The `--json` events so far. */
  readonly events: readonly JsonEvent[];
  /** Resolves with the first event `predicate` accepts (seen or to come), or `null` if the process ends first. */
  waitFor(predicate: (event: JsonEvent) => boolean): Promise<JsonEvent | null>;
  readonly exit: Promise<RdlExit>;
}

const parseLines = (text: string): JsonEvent[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JsonEvent);

/** How a script is run: the runtime's binary and its arguments before the script. Default: this Node.js. */
export type RuntimeCommand = readonly [string, ...string[]];

/**
 * Starts `script args…` in `cwd` under `runtime`, stdout and stderr piped (not a TTY: no bar), its JSON lines
 * parsed as they come; `input`, when given, is written to its stdin, which is then closed (else stdin is empty).
 */
export const spawnScript = (
  runtime: RuntimeCommand,
  script: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  input?: string,
): RdlProcess => {
  const [binary, ...before] = runtime;
  const child = spawn(binary, [...before, script, ...args], {
    cwd,
    env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  let pending = '';
  const events: JsonEvent[] = [];
  const waiters = new Set<{ predicate: (e: JsonEvent) => boolean; resolve: (e: JsonEvent | null) => void }>();
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const event of parseLines(lines.join('\n'))) {
      events.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(event)) {
          waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<RdlExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      for (const waiter of waiters) waiter.resolve(null);
      waiters.clear();
      resolve({ code, signal, stdout, stderr, events: parseLines(stdout) });
    });
  });
  return {
    child,
    events,
    exit,
    waitFor: (predicate) => {
      const seen = events.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(null);
      return new Promise((resolve) => waiters.add({ predicate, resolve }));
    },
  };
};

/** Starts `rdl args…` in `cwd` (under `runtime`), stdout and stderr piped (not a TTY: no bar). */
export const spawnRdl = (
  args: readonly string[],
  cwd: string,
  runtime: RuntimeCommand = [process.execPath],
  env?: NodeJS.ProcessEnv,
): RdlProcess => {
  assertBuilt();
  return spawnScript(runtime, rdlBin, args, cwd, env);
};

/** Runs `rdl args…` in `cwd` to its end, `input` written to its stdin. */
export const runRdlWithInput = (args: readonly string[], cwd: string, input: string): Promise<RdlExit> => {
  assertBuilt();
  return spawnScript([process.execPath], rdlBin, args, cwd, process.env, input).exit;
};

/** Runs `rdl args…` in `cwd` (under `runtime`) to its end. */
export const runRdl = (
  args: readonly string[],
  cwd: string,
  runtime?: RuntimeCommand,
  env?: NodeJS.ProcessEnv,
): Promise<RdlExit> => spawnRdl(args, cwd, runtime, env).exit;

/** The progress of an event, or -1 for other events. */
export const bytesOf = (event: JsonEvent): number => (event.event === 'progress' ? Number(event.bytes) : -1);
