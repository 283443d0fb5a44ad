/**
 * `pnpm demo`: rdl against a local server on 127.0.0.1, the way it is meant to be used. A file of a few hundred MiB
 * is downloaded; the server drops the connection mid-way (rdl goes on by itself), the process is SIGKILLed and run
 * again (it resumes), paused with Ctrl-C (SIGINT), the file changes on the server (rdl starts again from 0), and
 * the result is checked against the server's SHA-256: by rdl itself (the last run is given it with `--sha256`, so
 * that a mismatch fails before the file appears), then by the demo, which hashes the file on its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256File, writeRandomFile } from '../test/support/randomFile.js';
import { DemoServer } from './demoServer.js';

const MiB = 1024 * 1024;
const size = 320 * MiB;
/** The server's pace: a whole pass takes about 5 s, slow enough to watch, quick enough for a demo. */
const rate = 64 * MiB;

// This runs compiled, from scripts/dist/scripts/.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const rdlBin = join(packageDir, 'bin/rdl.js');

const tty = process.stdout.isTTY === true;
const bold = (s: string): string => (tty ? `\u001b[1m${s}\u001b[22m` : s);
const dim = (s: string): string => (tty ? `\u001b[2m${s}\u001b[22m` : s);
const say = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};
const step = (n: number, title: string): void => {
  say();
  say(bold(`── ${n}. ${title}`));
};
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const listing = async (dir: string): Promise<string> => {
  const names = (await readdir(dir)).sort();
  const sized = await Promise.all(names.map(async (n) => `${n} (${mib((await stat(join(dir, n))).size)})`));
  return sized.join(', ');
};

/** Runs `rdl args` in `cwd` with the terminal as its output; resolves its exit code or signal. */
const rdl = (args: string[], cwd: string): { child: ChildProcess; exit: Promise<string> } => {
  say(dim(`$ rdl ${args.join(' ')}`));
  const child = spawn(process.execPath, [rdlBin, ...args], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  const exit = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
  );
  return { child, exit };
};

const until = async (condition: () => boolean, exit: Promise<string>): Promise<boolean> => {
  let ended = false;
  void exit.then(() => {
    ended = true;
  });
  while (!condition()) {
    if (ended) return false;
    await sleep(10);
  }
  return true;
};

const showRequests = (server: DemoServer, from: number): number => {
  for (const r of server.requests.slice(from)) {
    const range = r.range === null ? '' : ` Range: ${r.range}`;
    const ifRange = r.ifRange === null ? '' : ` If-Range: ${r.ifRange}`;
    say(dim(`  server saw: ${r.method}${range}${ifRange} → ${r.status}`));
  }
  return server.requests.length;
};

const main = async (): Promise<number> => {
  const work = await mkdtemp(join(tmpdir(), 'rdl-demo-'));
  const served = join(work, 'server');
  const client = join(work, 'client');
  await Promise.all([mkdir(served), mkdir(client)]);
  const file = join(served, 'demo.bin');
  const server = new DemoServer(file, 'demo.bin', rate);
  let current: ChildProcess | null = null;
  const cleanUp = async (): Promise<void> => {
    current?.kill('SIGKILL');
    await server.stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanUp().then(() => process.exit(130));
  });

  try {
    say(bold('rdl demo: a resumable download that survives a cut, a kill, a pause and a change'));
    say(`Working in ${work}`);
    say(`Generating ${mib(size)} of random data to serve…`);
    const sha1 = await writeRandomFile(file, size);
    const url = await server.start();
    say(`Serving it at ${url} (127.0.0.1 only, paced to ${mib(rate)}/s), ETag "v1-…"`);
    const args = [url, '-o', 'demo.bin'];

    step(1, 'Download. At 25 % the server drops the connection: rdl retries and goes on by itself.');
    server.cutAt(Math.floor(size * 0.25));
    let run = rdl(args, client);
    current = run.child;
    if (!(await until(() => server.position >= size * 0.55, run.exit))) throw new Error('rdl ended early');
    run.child.kill('SIGKILL');
    await run.exit;
    say();
    let seen = showRequests(server, 0);
    say(`The server dropped the first connection at ${mib(size * 0.25)}; rdl asked for the rest by itself.`);
    say(`At ${mib(server.position)} the process was killed with SIGKILL: no chance to clean up.`);
    say(`On disk: ${await listing(client)}`);
    say(
      'The .part file holds the bytes, .rdl.json the checkpoint (only bytes flushed before it was saved count),',
    );
    say('.lock the lock of the dead process, which the next run sees is stale.');

    step(2, 'The same command again: rdl resumes from the checkpoint (Range + If-Range). Ctrl-C at 80 %.');
    run = rdl(args, client);
    current = run.child;
    if (!(await until(() => server.position >= size * 0.8, run.exit))) throw new Error('rdl ended early');
    run.child.kill('SIGINT');
    say(dim(`(the demo sent SIGINT, as Ctrl-C does: rdl ${await run.exit})`));
    seen = showRequests(server, seen);
    say(`On disk: ${await listing(client)}`);

    step(
      3,
      'The file changes on the server (new content, new ETag). rdl notices and starts again from 0. This run is\n' +
        '   given the server’s SHA-256 (--sha256): rdl checks the file before it appears, and fails if it differs.',
    );
    const sha2 = await writeRandomFile(file, size);
    await server.replaced();
    // Only now does rdl hash: without --sha256 (or --json) it computes no SHA-256 nobody reads.
    run = rdl([...args, '--sha256', sha2], client);
    current = run.child;
    const ended = await run.exit;
    current = null;
    if (ended !== 'exit 0') throw new Error(`rdl ended with ${ended}`);
    showRequests(server, seen);
    say(
      'rdl exited 0: its own SHA-256 of the file matched the server’s (--sha256), checked before the rename.',
    );

    step(4, 'Check again, independently: the demo hashes the downloaded file itself and compares.');
    const got = await sha256File(join(client, 'demo.bin'));
    say(`server  sha256 ${sha2}`);
    say(`file    sha256 ${got}  (computed by the demo from the downloaded file)`);
    say(`(the first version was ${sha1.slice(0, 16)}…: none of its bytes are in the result)`);
    say(`On disk: ${await listing(client)}`);
    const ok = got === sha2 && (await readdir(client)).length === 1;
    say(
      bold(
        ok
          ? 'OK: identical (rdl verified it with --sha256, the demo again), and nothing but the file is left.'
          : 'MISMATCH',
      ),
    );
    return ok ? 0 : 1;
  } finally {
    await cleanUp();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
