/**
 * `pnpm bench`: rdl against curl and aria2c (one connection) on a 1 GiB file from nginx on 127.0.0.1, in
 * alternating runs; then rdl alone on 4 GiB (peak memory must not grow with the size), and the time from start to
 * the first byte of a resume. Prints a table. Files live in a temp folder, deleted at the end.
 *
 * Plain `rdl` computes no hash (nobody reads one), like curl; `rdl --sha256` checks the file against its known
 * SHA-256 and is measured against `curl` followed by `sha256sum -c` of its file, which checks the same.
 *
 * Environment: RDL_BENCH_RUNS (default 5), RDL_BENCH_MIB (1024), RDL_BENCH_BIG_MIB (4096, 0 skips),
 * RDL_BENCH_CPU_PROF=<dir> (rdl runs write V8 CPU profiles there).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxBinary, startNginx } from '../test/support/nginx.js';
import { writeRepeatedFile } from '../test/support/randomFile.js';
import { median, quantile } from './stats.js';

const MiB = 1024 * 1024;
const runs = Number(process.env.RDL_BENCH_RUNS ?? 5);
const sizeMiB = Number(process.env.RDL_BENCH_MIB ?? 1024);
const bigMiB = Number(process.env.RDL_BENCH_BIG_MIB ?? 4096);
const cpuProfDir = process.env.RDL_BENCH_CPU_PROF;

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
 */
type Tool = 'rdl' | 'rdl --sha256' | 'curl' | 'curl+fsync' | 'curl+sha256sum' | 'aria2c -x1';

/**
 * rdl as README runs it, `./node_modules/.bin/rdl` (pnpm's shim of `bin/rdl.js`, then node); straight
 * through node when profiling, which needs node's flags.
 */
const rdlCommand = (args: readonly string[]): [string, string[]] =>
  cpuProfDir === undefined
    ? [rdlShim, [...args]]
    : [process.execPath, ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, rdlBin, ...args]];

/** The command of `tool` downloading `url` to `out`; `sha256` is the file's, for the tools that check it. */
const commandOf = (tool: Tool, url: string, out: string, sha256: string): [string, string[]] => {
  switch (tool) {
    case 'rdl':
      return rdlCommand([url, '-o', out, '--quiet']);
    case 'rdl --sha256':
      return rdlCommand([url, '-o', out, '--quiet', '--sha256', sha256]);
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
      return [
        'aria2c',
        [
          '-x1',
          '-s1',
          '-q',
          '--allow-overwrite=true',
          '--auto-file-renaming=false',
          '--file-allocation=none',
          '-d',
          dirname(out),
          '-o',
          out.split('/').at(-1)!,
          url,
        ],
      ];
  }
};

/** Deletes the output and writes back dirty pages, so that one run's writeback does not slow the next. */
const settle = async (out: string): Promise<void> => {
  await rm(out, { force: true });
  spawnSync('sync');
};

const mibS = (bytes: number, ms: number): string => (bytes / MiB / (ms / 1000)).toFixed(0);
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

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
  // Killed past half the file, once a checkpoint counts 40 % of it (one is saved every second).
  const committed = async (): Promise<number> => {
    const text = await readFile(`${out}.rdl.json`, 'utf8').catch(() => '{}');
    try {
      return (JSON.parse(text) as { ranges?: [number, number][] }).ranges?.[0]?.[1] ?? 0;
    } catch {
      return 0;
    }
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
    if (half && (await committed()) >= bytes * 0.4) {
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

const main = async (): Promise<void> => {
  ensureTools();
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
  try {
    say(`rdl bench: ${sizeMiB} MiB from nginx on 127.0.0.1, ${runs} alternating runs each (temp: ${work})`);
    say(
      `node ${process.version}; ${spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`,
    );
    say(
      `${spawnSync('aria2c', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}; ${spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr.trim()}`,
    );
    const sha256 = await writeRepeatedFile(join(root, 'data.bin'), bytes);
    const url = `${server.origin}/data.bin`;
    const out = join(outDir, 'data.bin');
    const rssFile = join(work, 'rss.txt');

    // Warm-up: the served file into the page cache, and each tool's binaries.
    for (const tool of ['curl', 'rdl', 'aria2c -x1'] as const) {
      const [cmd, args] = commandOf(tool, url, out, sha256);
      await measure(cmd, args, outDir, rssFile);
      await settle(out);
    }

    const tools: Tool[] = ['rdl', 'curl', 'curl+fsync', 'aria2c -x1', 'rdl --sha256', 'curl+sha256sum'];
    const results = new Map<Tool, Measure[]>(tools.map((t) => [t, []]));
    for (let r = 0; r < runs; r++) {
      const order = tools.map((_, i) => tools[(i + r) % tools.length]!);
      for (const tool of order) {
        const [cmd, args] = commandOf(tool, url, out, sha256);
        const m = await measure(cmd, args, outDir, rssFile);
        const got = (await stat(out)).size;
        if (got !== bytes) throw new Error(`${tool} wrote ${got} bytes, expected ${bytes}`);
        results.get(tool)!.push(m);
        process.stdout.write(`  run ${r + 1}/${runs} ${pad(tool, 14)} ${(m.wallMs / 1000).toFixed(2)} s\n`);
        await settle(out);
      }
    }

    say();
    say(
      `${pad('tool', 16)}${lpad('median s', 9)}${lpad('min s', 8)}${lpad('max s', 8)}${lpad('MiB/s', 8)}${lpad('peak RSS MiB', 14)}`,
    );
    for (const tool of tools) {
      const ms = results.get(tool)!;
      const walls = ms.map((m) => m.wallMs);
      const med = median(walls);
      say(
        `${pad(tool, 16)}${lpad((med / 1000).toFixed(2), 9)}${lpad((Math.min(...walls) / 1000).toFixed(2), 8)}${lpad((Math.max(...walls) / 1000).toFixed(2), 8)}${lpad(mibS(bytes, med), 8)}${lpad((Math.max(...ms.map((m) => m.peakRssKiB)) / 1024).toFixed(1), 14)}`,
      );
    }
    const med = (t: Tool): number => median(results.get(t)!.map((m) => m.wallMs));
    const ratioCurl = med('rdl') / med('curl');
    const ratioAria = med('rdl') / med('aria2c -x1');
    const peakOf = (t: Tool): number => Math.max(...results.get(t)!.map((m) => m.peakRssKiB)) / 1024;
    const rdlPeak = peakOf('rdl');
    // The memory goal holds whatever the options: the hash's worker thread counts too.
    const rdlPeakAny = Math.max(rdlPeak, peakOf('rdl --sha256'));
    say();
    say(
      `rdl/curl   median wall ratio ${ratioCurl.toFixed(2)}  (goal ≤ 1.00: ${ratioCurl <= 1 ? 'met' : 'NOT met'})`,
    );
    say(
      `rdl/(curl+fsync) median wall ratio ${(med('rdl') / med('curl+fsync')).toFixed(2)}  (same durability)`,
    );
    say(`rdl/aria2c median wall ratio ${ratioAria.toFixed(2)}`);
    say(
      `rdl --sha256/(curl+sha256sum) median wall ratio ${(med('rdl --sha256') / med('curl+sha256sum')).toFixed(2)}  (same check)`,
    );
    say(
      `rdl peak RSS ${rdlPeak.toFixed(1)} MiB, with --sha256 ${peakOf('rdl --sha256').toFixed(1)} MiB  (goal ≤ 96 MiB: ${rdlPeakAny <= 96 ? 'met' : 'NOT met'})`,
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
      await rm(join(outDir, 'resume.bin'), { force: true });
      for (const suffix of ['.part', '.rdl.json', '.lock'])
        await rm(join(outDir, `resume.bin${suffix}`), { force: true });
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
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true, maxRetries: 3 });
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
