/**
 * `pnpm bench`: rdl against curl and aria2c on files from nginx on 127.0.0.1, in alternating runs, in two sections
 * that each print a table.
 *
 * One connection: curl and aria2c -x1 against rdl on a 1 GiB file, rdl with no flags as a user runs it (which is its
 * adaptive count, R43: on loopback it may try a second connection); then rdl alone on 4 GiB (peak memory must not
 * grow with the size), and the time from start to the first byte of a resume. Files live in a temp folder.
 *
 * Segments (several connections a file): (a) nginx paces each connection (`limit_rate 20m`, as hosts that limit a
 * connection do): rdl with no flags (its adaptive count) and `rdl -x 16` against `aria2c -x16 -s16 -k1M`,
 * `aria2c -x4 -s4` and curl. curl, on one connection, would spend about 50 s a run on 1 GiB: it fetches a quarter of
 * the file, and its row shows that time scaled to the whole file, marked so. (b) The same file unpaced: rdl with no
 * flags, `-x 1` and `-x 16` against curl and `aria2c -x16 -s16 -k1M`. Files live on a tmpfs (/dev/shm) when it has
 * room, so that the disk's writeback does not weigh on the network's part; the bench says when it falls back.
 *
 * Every run's file is checked, its size and its SHA-256, outside the timed window, so that a broken run cannot look
 * fast. Plain `rdl` computes no hash (nobody reads one), like curl; `rdl --sha256` checks the file against its known
 * SHA-256 and is measured against `curl` followed by `sha256sum -c` of its file, which checks the same.
 *
 * Environment: RDL_BENCH_ONLY (`single` or `segments`: that section alone; default both), RDL_BENCH_RUNS (default 5,
 * the paced runs 3), RDL_BENCH_MIB (1024), RDL_BENCH_BIG_MIB (4096, 0 skips), RDL_BENCH_CPU_PROF=<dir> (rdl runs
 * write V8 CPU profiles there).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, statfs } from 'node:fs/promises';
import { freemem, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import { nginxBinary, startNginx } from '../test/support/nginx.js';
import { sha256File, writeRepeatedFile } from '../test/support/randomFile.js';
import { median, quantile } from './stats.js';

const MiB = 1024 * 1024;
const runsOr = (fallback: number): number => Number(process.env.RDL_BENCH_RUNS ?? fallback);
const sizeMiB = Number(process.env.RDL_BENCH_MIB ?? 1024);
const bigMiB = Number(process.env.RDL_BENCH_BIG_MIB ?? 4096);
const cpuProfDir = process.env.RDL_BENCH_CPU_PROF;
const sections = ['single', 'segments'] as const;
type Section = (typeof sections)[number];

/** nginx's pace of a connection in the paced runs, as `limit_rate` writes it, and in bytes a second. */
const pace = '20m';
const paceBytes = 20 * MiB;
/** rdl's memory goal, whatever its options (the hash's worker thread counts too). */
const rssGoalMiB = 96;
/** The statfs type of a tmpfs (TMPFS_MAGIC). */
const tmpfsMagic = 0x01021994;

// This runs compiled, from scripts/dist/scripts/.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const rdlBin = join(packageDir, 'bin/rdl.js');
const rdlShim = existsSync(join(packageDir, '../../node_modules/.bin/rdl'))
  ? join(packageDir, '../../node_modules/.bin/rdl')
  : join(packageDir, 'bin/rdl.js');
const timeBin = '/usr/bin/time';

const say = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};
const ensureTools = (): void => {
  const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (existsSync(nginxBinary()) && have('curl') && have('aria2c') && existsSync(timeBin)) return;
  say('Installing nginx, curl, aria2c and GNU time (scripts/ensure-tools.sh)…');
  const r = spawnSync('sh', [join(packageDir, 'scripts/ensure-tools.sh')], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error('scripts/ensure-tools.sh failed: the bench needs nginx, curl, aria2c, time');
};

/** The sections RDL_BENCH_ONLY names, both when it is unset. */
const sectionsToRun = (): ReadonlySet<Section> => {
  const only = process.env.RDL_BENCH_ONLY;
  if (only === undefined || only === '') return new Set(sections);
  const named = sections.find((s) => s === only);
  if (named === undefined) throw new Error(`RDL_BENCH_ONLY=${only}: expected one of ${sections.join(', ')}`);
  return new Set([named]);
};

/**
 * What an interrupted bench must still undo: nginx, and the temp folders, which on a tmpfs hold RAM until they are
 * removed. Each section adds its clean-up while it runs.
 */
const onInterrupt = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([...onInterrupt].map((undo) => undo())).then(() => process.exit(130));
  });
}
const cleanedUpAfter = async <T>(cleanUp: () => Promise<void>, body: () => Promise<T>): Promise<T> => {
  onInterrupt.add(cleanUp);
  try {
    return await body();
  } finally {
    onInterrupt.delete(cleanUp);
    await cleanUp();
  }
};

interface Measure {
  readonly wallMs: number;
  readonly peakRssKiB: number;
  /** VmRSS samples of the measured process, KiB, every 100 ms. */
  readonly rssSamplesKiB: readonly number[];
}

const readStatus = async (pid: number, field: string): Promise<number | null> => {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
};

const childOf = async (pid: number): Promise<number | null> => {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const first = text.trim().split(/\s+/)[0];
  return first === undefined || first === '' ? null : Number(first);
};

/** Runs `cmd args` under GNU time (peak RSS), timing the wall clock here, sampling RSS; fails on non-zero exit. */
const measure = async (
  cmd: string,
  args: readonly string[],
  cwd: string,
  rssFile: string,
): Promise<Measure> => {
  const started = performance.now();
  const child = spawn(timeBin, ['-f', '%M', '-o', rssFile, cmd, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const samples: number[] = [];
  const sampler = setInterval(() => {
    void (async () => {
      const pid = child.pid === undefined ? null : await childOf(child.pid);
      const rss = pid === null ? null : await readStatus(pid, 'VmRSS');
      if (rss !== null) samples.push(rss);
    })();
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`);
  const peakRssKiB = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1));
  return { wallMs, peakRssKiB, rssSamplesKiB: samples };
};

/**
 * `curl+fsync` is curl followed by `sync <file>` (fdatasync): the durability rdl gives (R19, R20: every byte on disk
 * before the file appears), which plain curl and aria2c leave to the kernel's writeback. `rdl --sha256` checks the
 * file against the SHA-256 given on the command line (R27); `curl+sha256sum` is curl followed by `sha256sum -c` of
 * its file against the same value, timed together: the same check done after the download instead of during it.
 * Plain `rdl` is its adaptive connection count (R43), `rdl -x N` a fixed one.
 */
type Tool =
  | 'rdl'
  | 'rdl --sha256'
  | 'rdl -x 1'
  | 'rdl -x 16'
  | 'curl'
  | 'curl+fsync'
  | 'curl+sha256sum'
  | 'aria2c -x1'
  | 'aria2c -x4 -s4'
  | 'aria2c -x16 -s16 -k1M';

/**
 * rdl as README runs it, `./node_modules/.bin/rdl` (pnpm's shim of `bin/rdl.js`, then node); straight
 * through node when profiling, which needs node's flags.
 */
const rdlCommand = (args: readonly string[]): [string, string[]] =>
  cpuProfDir === undefined
    ? [rdlShim, [...args]]
    : [process.execPath, ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, rdlBin, ...args]];

/** aria2c with `flags`, writing over `out` without renaming and without allocating the file first. */
const aria2cCommand = (flags: readonly string[], url: string, out: string): [string, string[]] => [
  'aria2c',
  [
    ...flags,
    '-q',
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    '--file-allocation=none',
    '-d',
    dirname(out),
    '-o',
    basename(out),
    url,
  ],
];

/** The command of `tool` downloading `url` to `out`; `sha256` is the file's, for the tools that check it. */
const commandOf = (tool: Tool, url: string, out: string, sha256: string): [string, string[]] => {
  switch (tool) {
    case 'rdl':
      return rdlCommand([url, '-o', out, '--quiet']);
    case 'rdl --sha256':
      return rdlCommand([url, '-o', out, '--quiet', '--sha256', sha256]);
    case 'rdl -x 1':
      return rdlCommand([url, '-o', out, '--quiet', '-x', '1']);
    case 'rdl -x 16':
      return rdlCommand([url, '-o', out, '--quiet', '-x', '16']);
    case 'curl':
      return ['curl', ['-sS', '-f', '-o', out, url]];
    case 'curl+fsync':
      return ['sh', ['-c', 'curl -sS -f -o "$1" "$2" && sync "$1"', 'sh', out, url]];
    case 'curl+sha256sum':
      return [
        'sh',
        [
          '-c',
          'curl -sS -f -o "$1" "$2" && printf "%s  %s\\n" "$3" "$1" | sha256sum -c --status',
          'sh',
          out,
          url,
          sha256,
        ],
      ];
    case 'aria2c -x1':
      return aria2cCommand(['-x1', '-s1'], url, out);
    case 'aria2c -x4 -s4':
      return aria2cCommand(['-x4', '-s4'], url, out);
    case 'aria2c -x16 -s16 -k1M':
      return aria2cCommand(['-x16', '-s16', '-k1M'], url, out);
  }
};

/**
 * Deletes the output, and what a failed run of any tool may have left beside it (an aria2c control file or rdl's
 * checkpoint would make the next run resume, and look fast), then writes back dirty pages, so that one run's
 * writeback does not slow the next.
 */
const settle = async (out: string): Promise<void> => {
  for (const suffix of ['', '.aria2', '.part', '.rdl.json', '.lock'])
    await rm(`${out}${suffix}`, { force: true });
  spawnSync('sync');
};

/** One row of a table: a tool fetching a file whose size and SHA-256 its output is checked against. */
interface Entrant {
  readonly name: string;
  readonly tool: Tool;
  readonly url: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Fails unless `out` is the entrant's file, byte for byte. */
const verify = async (entrant: Entrant, out: string): Promise<void> => {
  const got = (await stat(out)).size;
  if (got !== entrant.bytes) throw new Error(`${entrant.name} wrote ${got} bytes, expected ${entrant.bytes}`);
  const sha = await sha256File(out);
  if (sha !== entrant.sha256)
    throw new Error(`${entrant.name} wrote a file of SHA-256 ${sha}, not ${entrant.sha256}`);
};

/** One unmeasured run of each entrant: the served files into the page cache, and each tool's binaries. */
const warmUp = async (entrants: readonly Entrant[], out: string, rssFile: string): Promise<void> => {
  for (const e of entrants) {
    const [cmd, args] = commandOf(e.tool, e.url, out, e.sha256);
    await measure(cmd, args, dirname(out), rssFile);
    await settle(out);
  }
};

/**
 * `runs` rounds of every entrant, the order rotated each round (A B C, B C A, …) so that no tool always runs after
 * the same one; each file is checked after its timed run, then deleted. Resolves the measures by entrant name.
 */
const alternate = async (
  entrants: readonly Entrant[],
  runs: number,
  out: string,
  rssFile: string,
): Promise<Map<string, Measure[]>> => {
  const results = new Map<string, Measure[]>(entrants.map((e) => [e.name, []]));
  const width = Math.max(...entrants.map((e) => e.name.length));
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < entrants.length; i++) {
      const e = entrants[(i + r) % entrants.length]!;
      const [cmd, args] = commandOf(e.tool, e.url, out, e.sha256);
      const m = await measure(cmd, args, dirname(out), rssFile);
      await verify(e, out);
      results.get(e.name)!.push(m);
      say(`  run ${r + 1}/${runs} ${pad(e.name, width)} ${(m.wallMs / 1000).toFixed(2)} s`);
      await settle(out);
    }
  }
  return results;
};

const mibS = (bytes: number, ms: number): string => (bytes / MiB / (ms / 1000)).toFixed(0);
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const medianWall = (ms: readonly Measure[]): number => median(ms.map((m) => m.wallMs));
const peakMiB = (ms: readonly Measure[]): number => Math.max(...ms.map((m) => m.peakRssKiB)) / 1024;

/** One line of a printed table; `scale` multiplies the walls of a row measured on a part of the file. */
interface Row {
  readonly name: string;
  readonly measures: readonly Measure[];
  /** The bytes its times are for, after `scale`. */
  readonly bytes: number;
  readonly scale?: number;
}

const wallsOf = (row: Row): number[] => row.measures.map((m) => m.wallMs * (row.scale ?? 1));

/**
 * Prints one line a row: median, min and max wall time, speed, peak RSS, and, given `baseline` (a row's name), the
 * median's ratio to that row's.
 */
const printTable = (rows: readonly Row[], baseline: string | null): void => {
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const base = rows.find((r) => r.name === baseline);
  const baseMedian = base === undefined ? null : median(wallsOf(base));
  say(
    `${pad('tool', width)}${lpad('median s', 9)}${lpad('min s', 8)}${lpad('max s', 8)}${lpad('MiB/s', 8)}` +
      `${baseMedian === null ? '' : lpad('ratio', 8)}${lpad('peak RSS MiB', 14)}`,
  );
  for (const row of rows) {
    const walls = wallsOf(row);
    const med = median(walls);
    say(
      `${pad(row.name, width)}${lpad(seconds(med), 9)}${lpad(seconds(Math.min(...walls)), 8)}` +
        `${lpad(seconds(Math.max(...walls)), 8)}${lpad(mibS(row.bytes, med), 8)}` +
        `${baseMedian === null ? '' : lpad((med / baseMedian).toFixed(2), 8)}` +
        `${lpad(peakMiB(row.measures).toFixed(1), 14)}`,
    );
  }
  if (base !== undefined) say(`ratio: median wall time ÷ ${base.name}'s (below 1.00: faster)`);
};

const rowsOf = (entrants: readonly Entrant[], results: Map<string, Measure[]>): Row[] =>
  entrants.map((e) => ({ name: e.name, measures: results.get(e.name)!, bytes: e.bytes }));

const exited = (child: ChildProcess): Promise<unknown> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));

/** Time from spawn to the first progress past the resume point, after a SIGKILL at half the file. */
const resumeFirstByte = async (
  url: string,
  cwd: string,
  bytes: number,
): Promise<{ firstByteMs: number; startMs: number }> => {
  const out = join(cwd, 'resume.bin');
  const first = spawn(rdlShim, [url, '-o', out, '--json'], {
    cwd,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // Killed past half the file, once a checkpoint counts 40 % of it (one is saved every second) but not all of it (a
  // run that holds every byte has nothing to resume). On several connections its bytes are several ranges.
  const committed = async (): Promise<number> => {
    const decoded = decodeCheckpoint(await readFile(`${out}.rdl.json`, 'utf8').catch(() => ''));
    return decoded._tag === 'Right' ? coveredBytes(decoded.right.ranges) : 0;
  };
  let half = false;
  let buffer = '';
  first.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const e = JSON.parse(line) as { event: string; bytes?: number };
      if (e.event === 'progress' && (e.bytes ?? 0) >= bytes / 2) half = true;
    }
  });
  while (first.exitCode === null && first.signalCode === null) {
    const held = half ? await committed() : 0;
    if (held >= bytes * 0.4 && held < bytes) {
      first.kill('SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await exited(first);
  if (first.exitCode !== null) throw new Error('the first run ended before it could be killed half-way');

  const t0 = performance.now();
  const second = spawn(rdlShim, [url, '-o', out, '--json'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let secondErr = '';
  second.stderr?.on('data', (c: Buffer) => {
    secondErr += c.toString();
  });
  const measured = new Promise<{ firstByteMs: number; startMs: number }>((resolve, reject) => {
    let buffer = '';
    let startMs = 0;
    let from = -1;
    second.stdout?.on('data', (c: Buffer) => {
      buffer += c.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const e = JSON.parse(line) as { event: string; bytes?: number; resumedFrom?: number };
        if (e.event === 'start') {
          startMs = performance.now() - t0;
          from = e.resumedFrom ?? 0;
          if (from === 0 || from === bytes)
            reject(new Error(`the second run resumed from ${from}: ${secondErr}`));
        }
        if (e.event === 'progress' && from > 0 && (e.bytes ?? 0) > from) {
          resolve({ firstByteMs: performance.now() - t0, startMs });
        }
      }
    });
    second.once('close', () => reject(new Error(`the second run ended before its first byte: ${secondErr}`)));
  });
  try {
    return await measured;
  } finally {
    // Measured (or failed): the rest of the run is not needed.
    if (second.exitCode === null && second.signalCode === null) second.kill('SIGKILL');
    await exited(second);
    await settle(out);
  }
};

/**
 * The connection counts the progress lines of one untimed `rdl --json` run (no flags) showed, each once as it
 * changed; the file is checked against the done event's SHA-256 and deleted.
 */
const connectionCounts = async (entrant: Entrant, out: string): Promise<number[]> => {
  const run = spawnSync(rdlShim, [entrant.url, '-o', out, '--json'], {
    cwd: dirname(out),
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  if (run.status !== 0) throw new Error(`rdl --json exited ${run.status}: ${run.stderr}`);
  const lines = run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { event: string; connections?: number; sha256?: string });
  if (lines.at(-1)?.sha256 !== entrant.sha256)
    throw new Error(`rdl --json ended with ${JSON.stringify(lines.at(-1))}`);
  await verify(entrant, out);
  await settle(out);
  const counts: number[] = [];
  for (const line of lines) {
    if (line.event === 'progress' && line.connections !== undefined && line.connections !== counts.at(-1))
      counts.push(line.connections);
  }
  return counts;
};

const singleConnection = async (): Promise<void> => {
  const runs = runsOr(5);
  const work = await mkdtemp(join(tmpdir(), 'rdl-bench-'));
  const root = join(work, 'root');
  const outDir = join(work, 'out');
  await mkdir(root);
  await mkdir(outDir);
  const fs = await statfs(work);
  const free = fs.bavail * fs.bsize;
  const bigBytes = bigMiB * MiB;
  const runBig = bigMiB > 0 && free > 2.2 * bigBytes + 2.2 * sizeMiB * MiB;
  const bytes = sizeMiB * MiB;
  const server = await startNginx({ root });
  await cleanedUpAfter(
    async () => {
      await server.stop();
      await rm(work, { recursive: true, force: true, maxRetries: 3 });
    },
    async () => {
      say();
      say(
        `One connection: ${sizeMiB} MiB from nginx, curl and aria2c -x1 against rdl with no flags (its adaptive count), ${runs} alternating runs each (temp: ${work})`,
      );
      const sha256 = await writeRepeatedFile(join(root, 'data.bin'), bytes);
      const url = `${server.origin}/data.bin`;
      const out = join(outDir, 'data.bin');
      const rssFile = join(work, 'rss.txt');
      const entrantOf = (tool: Tool): Entrant => ({ name: tool, tool, url, bytes, sha256 });

      await warmUp(
        ['curl', 'rdl', 'aria2c -x1'].map((t) => entrantOf(t as Tool)),
        out,
        rssFile,
      );
      const tools: Tool[] = ['rdl', 'curl', 'curl+fsync', 'aria2c -x1', 'rdl --sha256', 'curl+sha256sum'];
      const entrants = tools.map(entrantOf);
      const results = await alternate(entrants, runs, out, rssFile);

      say();
      printTable(rowsOf(entrants, results), null);
      const med = (t: Tool): number => medianWall(results.get(t)!);
      const peakOf = (t: Tool): number => peakMiB(results.get(t)!);
      const ratioCurl = med('rdl') / med('curl');
      const rdlPeak = peakOf('rdl');
      const rdlPeakAny = Math.max(rdlPeak, peakOf('rdl --sha256'));
      say();
      say(
        `rdl/curl   median wall ratio ${ratioCurl.toFixed(2)}  (goal ≤ 1.00: ${ratioCurl <= 1 ? 'met' : 'NOT met'})`,
      );
      say(
        `rdl/(curl+fsync) median wall ratio ${(med('rdl') / med('curl+fsync')).toFixed(2)}  (same durability)`,
      );
      say(`rdl/aria2c median wall ratio ${(med('rdl') / med('aria2c -x1')).toFixed(2)}`);
      say(
        `rdl --sha256/(curl+sha256sum) median wall ratio ${(med('rdl --sha256') / med('curl+sha256sum')).toFixed(2)}  (same check)`,
      );
      say(
        `rdl peak RSS ${rdlPeak.toFixed(1)} MiB, with --sha256 ${peakOf('rdl --sha256').toFixed(1)} MiB  (goal ≤ ${rssGoalMiB} MiB: ${rdlPeakAny <= rssGoalMiB ? 'met' : 'NOT met'})`,
      );

      const nodeStart = median(
        [0, 1, 2].map(() => {
          const t = performance.now();
          spawnSync(process.execPath, ['-e', '0']);
          return performance.now() - t;
        }),
      );
      // A sample is void when the first run got too far before a checkpoint let it be killed (a small file).
      const resumes: { firstByteMs: number; startMs: number }[] = [];
      for (let attempt = 0; attempt < 6 && resumes.length < 3; attempt++) {
        try {
          resumes.push(await resumeFirstByte(url, outDir, bytes));
        } catch (error) {
          say(`  resume sample void: ${error instanceof Error ? error.message : String(error)}`);
        }
        await settle(join(outDir, 'resume.bin'));
      }
      if (resumes.length === 0) {
        say(
          'resume after SIGKILL at 50 %: not measured (the file downloads faster than a checkpoint lets it be killed)',
        );
      } else {
        say(
          `resume after SIGKILL at 50 %: first byte past the resume point after ${median(resumes.map((r) => r.firstByteMs)).toFixed(0)} ms (start event ${median(resumes.map((r) => r.startMs)).toFixed(0)} ms; node start-up alone ${nodeStart.toFixed(0)} ms; median of ${resumes.length})`,
        );
      }

      if (runBig) {
        await rm(join(root, 'data.bin'));
        await writeRepeatedFile(join(root, 'big.bin'), bigBytes);
        const bigOut = join(outDir, 'big.bin');
        // Plain rdl hashes nothing, so the big file's SHA-256 is not needed.
        const [cmd, args] = commandOf('rdl', `${server.origin}/big.bin`, bigOut, '');
        const m = await measure(cmd, args, outDir, rssFile);
        const got = (await stat(bigOut)).size;
        if (got !== bigBytes) throw new Error(`rdl wrote ${got} bytes of ${bigBytes}`);
        await settle(bigOut);
        const s = m.rssSamplesKiB.slice(Math.floor(m.rssSamplesKiB.length / 10)).map((k) => k / 1024);
        say(
          `rdl on ${bigMiB} MiB: ${(m.wallMs / 1000).toFixed(1)} s, ${mibS(bigBytes, m.wallMs)} MiB/s, peak RSS ${(m.peakRssKiB / 1024).toFixed(1)} MiB (${sizeMiB} MiB: ${rdlPeak.toFixed(1)}); RSS after warm-up p10 ${quantile(s, 0.1).toFixed(1)} / p50 ${quantile(s, 0.5).toFixed(1)} / p90 ${quantile(s, 0.9).toFixed(1)} / max ${Math.max(...s).toFixed(1)} MiB over ${s.length} samples`,
        );
      } else if (bigMiB > 0) {
        say(
          `rdl on ${bigMiB} MiB: skipped, ${(free / MiB / 1024).toFixed(1)} GiB free in ${tmpdir()} is not enough`,
        );
      }
    },
  );
};

/**
 * A new folder for the segments section: on /dev/shm when it is a tmpfs with room for `need` bytes (counting the
 * RAM its pages take), else in the temp folder. Resolves it and a sentence saying where it is and why.
 */
const segmentsFolder = async (need: number): Promise<{ dir: string; where: string }> => {
  const shm = '/dev/shm';
  const fs = await statfs(shm).catch(() => null);
  const room = fs === null ? 0 : Math.min(fs.bavail * fs.bsize, freemem() - 512 * MiB);
  if (fs !== null && fs.type === tmpfsMagic && room >= need)
    return { dir: await mkdtemp(join(shm, 'rdl-bench-')), where: `on tmpfs ${shm}` };
  const dir = await mkdtemp(join(tmpdir(), 'rdl-bench-'));
  const tmp = await statfs(dir);
  if (tmp.bavail * tmp.bsize < need) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `the segments section needs ${(need / MiB).toFixed(0)} MiB free, in ${shm} or ${tmpdir()}`,
    );
  }
  const why =
    fs === null || fs.type !== tmpfsMagic
      ? `${shm} is not a tmpfs`
      : `${shm} has room for ${(room / MiB).toFixed(0)} MiB, not ${(need / MiB).toFixed(0)}`;
  return { dir, where: `NOT on a tmpfs but in ${tmpdir()}, on its disk (${why})` };
};

const segments = async (): Promise<void> => {
  const bytes = sizeMiB * MiB;
  // curl's one paced connection fetches a quarter of the file, which takes about as long as a few other runs.
  const curlShare = 4;
  const quarterBytes = bytes / curlShare;
  const { dir: work, where } = await segmentsFolder(bytes + quarterBytes + bytes + 64 * MiB);
  const root = join(work, 'root');
  const outDir = join(work, 'out');
  await mkdir(root);
  await mkdir(outDir);
  const server = await startNginx({ root, slow: [{ prefix: '/paced/', rate: pace }] });
  await cleanedUpAfter(
    async () => {
      await server.stop();
      await rm(work, { recursive: true, force: true, maxRetries: 3 });
    },
    async () => {
      const file = {
        path: 'data.bin',
        bytes,
        sha256: await writeRepeatedFile(join(root, 'data.bin'), bytes),
      };
      const quarter = {
        path: 'quarter.bin',
        bytes: quarterBytes,
        sha256: await writeRepeatedFile(join(root, 'quarter.bin'), quarterBytes),
      };
      const out = join(outDir, 'data.bin');
      const rssFile = join(work, 'rss.txt');
      const entrant = (name: string, tool: Tool, location: string, of: typeof file): Entrant => ({
        name,
        tool,
        url: `${server.origin}${location}${of.path}`,
        bytes: of.bytes,
        sha256: of.sha256,
      });
      const curlQuarter = entrant(
        `curl (${quarterBytes / MiB} MiB, ×${curlShare})*`,
        'curl',
        '/paced/',
        quarter,
      );
      await warmUp(
        (['rdl', 'curl', 'aria2c -x16 -s16 -k1M'] as const).map((t) => entrant(t, t, '/', quarter)),
        out,
        rssFile,
      );

      const pacedRuns = runsOr(3);
      say();
      say(
        `Segments (a): ${sizeMiB} MiB from nginx paced to ${paceBytes / MiB} MiB/s a connection (limit_rate ${pace}), ${pacedRuns} alternating runs each, files ${where} (${work})`,
      );
      const paced = [
        entrant('rdl (no flags)', 'rdl', '/paced/', file),
        entrant('rdl -x 16', 'rdl -x 16', '/paced/', file),
        entrant('aria2c -x16 -s16 -k1M', 'aria2c -x16 -s16 -k1M', '/paced/', file),
        entrant('aria2c -x4 -s4', 'aria2c -x4 -s4', '/paced/', file),
        curlQuarter,
      ];
      const pacedResults = await alternate(paced, pacedRuns, out, rssFile);
      const pacedCounts = await connectionCounts(paced[0]!, out);
      const curlMeasured = medianWall(pacedResults.get(curlQuarter.name)!);
      say();
      printTable(
        paced.map((e) =>
          e === curlQuarter
            ? { name: e.name, measures: pacedResults.get(e.name)!, bytes, scale: curlShare }
            : { name: e.name, measures: pacedResults.get(e.name)!, bytes: e.bytes },
        ),
        'aria2c -x16 -s16 -k1M',
      );
      say(
        `* curl, one connection, fetched ${(quarterBytes / MiB).toFixed(0)} MiB (median ${seconds(curlMeasured)} s); its times are scaled ×${curlShare} to the whole file, not measured on it. Its peak RSS is of the ${(quarterBytes / MiB).toFixed(0)} MiB run.`,
      );
      say(
        `At ${paceBytes / MiB} MiB/s a connection the floor is ${seconds((bytes / (16 * paceBytes)) * 1000)} s on 16 connections, ${seconds((bytes / (4 * paceBytes)) * 1000)} s on 4, ${seconds((bytes / paceBytes) * 1000)} s on 1.`,
      );
      say(
        `rdl (no flags), one more untimed --json run: connections ${pacedCounts.join(' → ')} (the count falls as lanes finish)`,
      );

      const unpacedRuns = runsOr(5);
      say();
      say(
        `Segments (b): ${sizeMiB} MiB from nginx unpaced, ${unpacedRuns} alternating runs each, files ${where}`,
      );
      const unpaced = [
        entrant('rdl (no flags)', 'rdl', '/', file),
        entrant('rdl -x 1', 'rdl -x 1', '/', file),
        entrant('rdl -x 16', 'rdl -x 16', '/', file),
        entrant('curl', 'curl', '/', file),
        entrant('aria2c -x16 -s16 -k1M', 'aria2c -x16 -s16 -k1M', '/', file),
      ];
      const unpacedResults = await alternate(unpaced, unpacedRuns, out, rssFile);
      const unpacedCounts = await connectionCounts(unpaced[0]!, out);
      say();
      printTable(rowsOf(unpaced, unpacedResults), 'curl');
      say(
        `rdl (no flags), one more untimed --json run: connections ${unpacedCounts.join(' → ')} (the count falls as lanes finish)`,
      );

      const rdlPeaks = [...pacedResults, ...unpacedResults]
        .filter(([name]) => name.startsWith('rdl'))
        .map(([, ms]) => peakMiB(ms));
      const worst = Math.max(...rdlPeaks);
      say(
        `rdl peak RSS over both tables at most ${worst.toFixed(1)} MiB  (goal ≤ ${rssGoalMiB} MiB: ${worst <= rssGoalMiB ? 'met' : 'NOT met'})`,
      );
    },
  );
};

const main = async (): Promise<void> => {
  const toRun = sectionsToRun();
  ensureTools();
  say(`rdl bench on nginx at 127.0.0.1 (sections: ${[...toRun].join(', ')})`);
  say(
    `node ${process.version}; ${spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`,
  );
  say(
    `${spawnSync('aria2c', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}; ${spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr.trim()}`,
  );
  if (toRun.has('single')) await singleConnection();
  if (toRun.has('segments')) await segments();
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
