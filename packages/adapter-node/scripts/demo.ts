/**
 * `pnpm demo`: rdl against local servers on 127.0.0.1, the way it is meant to be used, in two parts.
 *
 * One connection (`-x 1`, so that the checkpoint is one range growing from 0): a file of a few hundred MiB is
 * downloaded; the server drops the connection mid-way (rdl goes on by itself), the process is SIGKILLed and run
 * again (it resumes), paused with Ctrl-C (SIGINT), the file changes on the server (rdl starts again from 0), and
 * the result is checked against the server's SHA-256: by rdl itself (the last run is given it with `--sha256`, so
 * that a mismatch fails before the file appears), then by the demo, which hashes the file on its own.
 *
 * Segments: a server that paces each connection. rdl with no flags adds connections while they add speed (the
 * `connections` of its `--json` progress lines), is SIGKILLed once its checkpoint holds several ranges, and the next
 * run fetches only the gaps (the decoded checkpoint beside what the server sent); then the same file without
 * interruption, on its own count and on one connection (`-x 1`), timed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ByteRange, coveredBytes, decodeCheckpoint, missingRanges } from '@rdl/core/rules';
import { sha256File, writeRandomFile } from '../test/support/randomFile.js';
import { DemoServer, type RequestLine } from './demoServer.js';

const MiB = 1024 * 1024;
const size = 256 * MiB;
/** The server's pace: a whole pass takes about 4 s, slow enough to watch, quick enough for a demo. */
const rate = 64 * MiB;
/**
 * The segments part: a pace a connection, as hosts set one, and a file that one connection fetches in about 20 s
 * (the longest run of the demo) and 16 in under 2 s: long enough that rdl's first checkpoint (one a second) comes
 * before the end, for the kill.
 */
const segmentRate = 4 * MiB;
const segmentSize = 80 * MiB;

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
const part = (title: string): void => {
  say();
  say(bold(`━━ ${title}`));
};
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const connections = (n: number): string => (n === 1 ? '1 connection' : `${n} connections`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const listing = async (dir: string): Promise<string> => {
  const names = (await readdir(dir)).sort();
  const sized = await Promise.all(names.map(async (n) => `${n} (${mib((await stat(join(dir, n))).size)})`));
  return sized.join(', ');
};

/** The rdl processes running now: an interrupted demo kills them before it removes their folders. */
const live = new Set<ChildProcess>();

interface Run {
  readonly child: ChildProcess;
  /** Its exit code (`exit 0`) or the signal that ended it. */
  readonly exit: Promise<string>;
}

const started = (child: ChildProcess): Run => {
  live.add(child);
  const exit = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(signal ?? `exit ${code}`);
    }),
  );
  return { child, exit };
};

/** Runs `rdl args` in `cwd` with the terminal as its output. */
const rdl = (args: string[], cwd: string): Run => {
  say(dim(`$ rdl ${args.join(' ')}`));
  return started(
    spawn(process.execPath, [rdlBin, ...args], { cwd, stdio: ['ignore', 'inherit', 'inherit'] }),
  );
};

/** The `--json` lines the demo reads (the command documents them all). */
interface JsonLine {
  readonly event: string;
  readonly bytes?: number;
  readonly bytesPerSecond?: number;
  readonly connections?: number;
  readonly resumedFrom?: number;
  readonly sha256?: string | null;
}

/** Runs `rdl args` (which hold `--json`) in `cwd`, handing each line to `onLine` with the ms since the start. */
const rdlJson = (args: string[], cwd: string, onLine: (line: JsonLine, ms: number) => void): Run => {
  say(dim(`$ rdl ${args.join(' ')}`));
  const t0 = performance.now();
  const run = started(
    spawn(process.execPath, [rdlBin, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  let buffer = '';
  run.child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line !== '') onLine(JSON.parse(line) as JsonLine, performance.now() - t0);
  });
  return run;
};

/** Waits until `condition` holds (true) or the run ends first (false), looking every 10 ms. */
const until = async (
  condition: () => boolean | Promise<boolean>,
  exit: Promise<string>,
): Promise<boolean> => {
  let ended = false;
  void exit.then(() => {
    ended = true;
  });
  while (!(await condition())) {
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

const oneConnection = async (work: string, server: DemoServer): Promise<boolean> => {
  const served = join(work, 'server');
  const client = join(work, 'client');
  await mkdir(client);
  const file = join(served, 'demo.bin');
  say(`Generating ${mib(size)} of random data to serve…`);
  const sha1 = await writeRandomFile(file, size);
  const url = await server.start();
  say(`Serving it at ${url} (127.0.0.1 only, paced to ${mib(rate)}/s), ETag "v1-…"`);
  say('One connection (-x 1) in this part, so that the checkpoint is one range that grows from 0.');
  const args = [url, '-o', 'demo.bin', '-x', '1'];

  step(1, 'Download. At 25 % the server drops the connection: rdl retries and goes on by itself.');
  server.cutAt(Math.floor(size * 0.25));
  let run = rdl(args, client);
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
  const ended = await run.exit;
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
  // Its 320 MiB are no longer needed: the folder may be a small tmpfs.
  await rm(client, { recursive: true, force: true });
  return ok;
};

/** The checkpoint beside `target`, decoded as rdl decodes it; `null` while there is none or it does not decode. */
const checkpointRanges = async (target: string): Promise<readonly ByteRange[] | null> => {
  const text = await readFile(`${target}.rdl.json`, 'utf8').catch(() => null);
  if (text === null) return null;
  const decoded = decodeCheckpoint(text);
  return decoded._tag === 'Right' ? decoded.right.ranges : null;
};

/** A strip of 64 cells over the file: █ held, ▒ partly held, · missing. */
const strip = (ranges: readonly ByteRange[], total: number): string => {
  const cells = 64;
  let out = '';
  for (let i = 0; i < cells; i++) {
    const start = Math.floor((i * total) / cells);
    const end = Math.floor(((i + 1) * total) / cells);
    const held = coveredBytes(
      ranges.map(([a, b]): ByteRange => [Math.max(a, start), Math.min(b, end)]).filter(([a, b]) => a < b),
    );
    out += held === end - start ? '█' : held > 0 ? '▒' : '·';
  }
  return out;
};

/** Ranges as `a–b` in MiB, several a line. */
const rangeLines = (ranges: readonly ByteRange[]): string[] => {
  const texts = ranges.map(([a, b]) => `${(a / MiB).toFixed(1)}–${(b / MiB).toFixed(1)}`);
  const lines: string[] = [];
  for (let i = 0; i < texts.length; i += 8) lines.push(`    ${texts.slice(i, i + 8).join(', ')}`);
  return lines;
};

/** The bytes a request asked for (`bytes=a-b`, `b` absent up to the end), as a half-open range. */
const requested = (line: RequestLine, total: number): ByteRange => {
  const m = /^bytes=(\d+)-(\d*)$/.exec(line.range ?? '');
  if (m === null) return [0, total];
  return [Number(m[1]), m[2] === '' ? total : Number(m[2]) + 1];
};

/**
 * How the bodies the server sent at once rose, seen from the server: each step is a burst of requests that came
 * within 50 ms of one another, given as the count it reached and when it began, in ms after `from`.
 */
const risingSteps = (lines: readonly RequestLine[], from: number): { count: number; ms: number }[] => {
  const steps: { count: number; ms: number }[] = [];
  let lastAt = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    if (line.atOnce <= (steps.at(-1)?.count ?? 0)) continue;
    const last = steps.at(-1);
    if (last !== undefined && line.at - lastAt < 50) last.count = line.atOnce;
    else steps.push({ count: line.atOnce, ms: line.at - from });
    lastAt = line.at;
  }
  return steps;
};

/**
 * Prints a line each time the `connections` of a run's progress lines change: when, how many, the bytes so far,
 * and with `withSpeed` rdl's speed. `seen` holds the last count and bytes.
 */
const connectionWatch = (
  total: number,
  withSpeed: boolean,
): { seen: { connections: number; bytes: number }; onLine: (line: JsonLine, ms: number) => void } => {
  const seen = { connections: 0, bytes: 0 };
  const onLine = (line: JsonLine, ms: number): void => {
    if (line.event !== 'progress' || line.connections === undefined) return;
    seen.bytes = line.bytes ?? seen.bytes;
    if (line.connections === seen.connections) return;
    seen.connections = line.connections;
    const speed = withSpeed ? `, ${mib(line.bytesPerSecond ?? 0)}/s` : '';
    say(
      `  ${secs(ms).padStart(7)}  ${connections(seen.connections).padEnd(15)} ${mib(seen.bytes).padStart(9)} of ${mib(total)}${speed}`,
    );
  };
  return { seen, onLine };
};

const segments = async (work: string, server: DemoServer): Promise<boolean> => {
  const file = join(work, 'server', 'segments.bin');
  const client = join(work, 'segments');
  const compare = join(work, 'compare');
  await Promise.all([mkdir(client), mkdir(compare)]);
  say(`Generating ${mib(segmentSize)} of random data to serve…`);
  const sha = await writeRandomFile(file, segmentSize);
  const url = await server.start();
  say(`Serving it at ${url}, each connection paced to ${mib(segmentRate)}/s: more connections, more speed.`);
  const args = [url, '-o', 'segments.bin', '--json'];
  const target = join(client, 'segments.bin');

  step(
    5,
    'rdl with no flags: it starts on one connection and adds more while every connection waits on the server.\n' +
      '   The demo prints the `connections` of its --json progress lines as they change, and SIGKILLs it once its\n' +
      '   checkpoint holds several ranges.',
  );
  const growth = connectionWatch(segmentSize, true);
  const firstFrom = performance.now();
  const first = rdlJson(args, client, growth.onLine);
  const several = async (): Promise<boolean> => {
    const ranges = await checkpointRanges(target);
    return ranges !== null && ranges.length >= 2 && coveredBytes(ranges) >= 0.25 * segmentSize;
  };
  if (!(await until(several, first.exit)))
    throw new Error('rdl ended before its checkpoint held several ranges');
  first.child.kill('SIGKILL');
  await first.exit;
  say(
    `Killed with SIGKILL on ${connections(growth.seen.connections)}, its last progress line at ${mib(growth.seen.bytes)}.`,
  );
  const steps = risingSteps(server.requests, firstFrom).map((s) => `${s.count} at ${secs(s.ms)}`);
  say(`The server, sending bodies at once (one a connection): ${steps.join(', ')}.`);
  const held = await checkpointRanges(target);
  if (held === null) throw new Error('the checkpoint does not decode');
  const heldBytes = coveredBytes(held);
  const gaps = missingRanges(held, segmentSize);
  say();
  say(
    `The checkpoint segments.bin.rdl.json, decoded with decodeCheckpoint, holds ${mib(heldBytes)} of ${mib(segmentSize)} in ${held.length} ranges (MiB):`,
  );
  for (const line of rangeLines(held)) say(line);
  say(`  [${strip(held, segmentSize)}]  █ held, ▒ partly, · missing`);
  say(
    `Missing: ${mib(segmentSize - heldBytes)} in ${gaps.length} gaps. (Bytes that arrived after the last save are not counted: they come again.)`,
  );

  step(6, 'The same command again: rdl reads the checkpoint and asks the server only for the gaps.');
  const before = server.requests.length;
  // No speed here: rdl's meter begins at 0 bytes, so for a resumed run's first seconds its speed counts the bytes
  // the checkpoint held as if they had just arrived.
  const regrowth = connectionWatch(segmentSize, false);
  let resumedFrom = -1;
  let doneSha: string | null = null;
  const second = rdlJson(args, client, (line, ms) => {
    if (line.event === 'start') resumedFrom = line.resumedFrom ?? 0;
    if (line.event === 'done') doneSha = line.sha256 ?? null;
    regrowth.onLine(line, ms);
  });
  const ended = await second.exit;
  if (ended !== 'exit 0') throw new Error(`rdl ended with ${ended}`);
  say(`rdl started from ${mib(resumedFrom)} held (the checkpoint's ${mib(heldBytes)}), and the server saw:`);
  const gets = server.requests.slice(before).filter((r) => r.method === 'GET');
  let inGaps = 0;
  for (const r of gets) {
    const [a, b] = requested(r, segmentSize);
    const inside = gaps.some(([start, end]) => a >= start && b <= end);
    if (inside) inGaps += 1;
    say(
      dim(
        `  GET Range: ${r.range ?? '(none)'} → ${r.status}, sent ${mib(r.sent)}${inside ? '' : '  ← NOT inside a gap'}`,
      ),
    );
  }
  const sent = gets.reduce((sum, r) => sum + r.sent, 0);
  const missing = segmentSize - heldBytes;
  say(
    `${inGaps} of ${gets.length} requests lie inside the gaps; the server sent ${mib(sent)} for the ${mib(missing)} missing (${sent >= missing ? '+' : ''}${(((sent - missing) / missing) * 100).toFixed(1)} %).`,
  );
  const got = await sha256File(target);
  say(`server  sha256 ${sha}`);
  say(`rdl     sha256 ${doneSha ?? '(none)'}  (its done event)`);
  say(`file    sha256 ${got}  (computed by the demo from the downloaded file)`);
  say(`On disk: ${await listing(client)}`);
  const resumedOk =
    got === sha &&
    doneSha === sha &&
    resumedFrom === heldBytes &&
    inGaps === gets.length &&
    (await readdir(client)).length === 1;
  say(
    bold(resumedOk ? 'OK: the file is whole, and only the missing ranges were fetched again.' : 'MISMATCH'),
  );

  step(
    7,
    `Uninterrupted, on the same server: rdl with no flags, then on one connection (-x 1, about ${(segmentSize / segmentRate).toFixed(0)} s).`,
  );
  const timed = async (flags: string[]): Promise<{ ms: number; most: number }> => {
    const from = server.requests.length;
    const t0 = performance.now();
    let sha256: string | null = null;
    const run = rdlJson([url, '-o', 'timed.bin', '--json', ...flags], compare, (line) => {
      if (line.event === 'done') sha256 = line.sha256 ?? null;
    });
    const end = await run.exit;
    const ms = performance.now() - t0;
    if (end !== 'exit 0' || sha256 !== sha)
      throw new Error(`rdl ${flags.join(' ')} ended with ${end}, sha256 ${sha256}`);
    await rm(join(compare, 'timed.bin'));
    return { ms, most: Math.max(...server.requests.slice(from).map((r) => r.atOnce)) };
  };
  const adaptive = await timed([]);
  say(`  no flags: ${secs(adaptive.ms)}, the server sending up to ${adaptive.most} bodies at once`);
  const single = await timed(['-x', '1']);
  say(`  -x 1:     ${secs(single.ms)}, the server sending up to ${single.most} body at once`);
  say(
    bold(
      `rdl with no flags took ${secs(adaptive.ms)}, one connection ${secs(single.ms)}: ${(single.ms / adaptive.ms).toFixed(1)}× as fast (both files checked against the server's SHA-256).`,
    ),
  );
  return resumedOk;
};

const main = async (): Promise<number> => {
  const work = await mkdtemp(join(tmpdir(), 'rdl-demo-'));
  await mkdir(join(work, 'server'));
  const single = new DemoServer(join(work, 'server', 'demo.bin'), 'demo.bin', rate);
  const paced = new DemoServer(join(work, 'server', 'segments.bin'), 'segments.bin', segmentRate);
  const cleanUp = async (): Promise<void> => {
    for (const child of live) child.kill('SIGKILL');
    await Promise.all([single.stop(), paced.stop()]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanUp().then(() => process.exit(130));
  });

  try {
    say(
      bold('rdl demo: a resumable download that survives a cut, a kill, a pause and a change, then segments'),
    );
    say(`Working in ${work}`);
    part('Part 1: one connection');
    const first = await oneConnection(work, single);
    part('Part 2: several connections (segments)');
    const second = await segments(work, paced);
    return first && second ? 0 : 1;
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
