/**
 * The rate section: how close `rdl --limit-rate` keeps to its limit, against `curl --limit-rate`, on a file from
 * nginx sized for some seconds at each rate.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, statfs } from 'node:fs/promises';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File, writeRepeatedFile } from '../../test/support/randomFile.js';
import { median } from '../stats.js';
import { rdlCommand, settle } from './entrants.js';
import { MiB, runsOr, say, tmpfsMagic, withNginx } from './environment.js';
import { lpad, pad } from './measure.js';

/** The limits, in curl's syntax (K and M are 1024 and 1024²), and the seconds each transfer is sized for. */
const rates = (process.env.RDL_BENCH_RATES ?? '1M,10M,100M').split(',').map((r) => r.trim());
const transferSeconds = Number(process.env.RDL_BENCH_RATE_SECONDS ?? 10);
/** What the first second of a transfer is left out for: connecting, and a limiter's first burst. */
const warmupMs = 1000;

const bytesOfRate = (rate: string): number => {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(rate);
  if (m === null) throw new Error(`RDL_BENCH_RATES: ${rate} is not a rate like 10M`);
  const unit = { '': 1, K: 1024, M: MiB, G: 1024 * MiB }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
};

/** One transfer: bytes a second after the first second, and over the whole transfer, both against the limit. */
interface RateRun {
  readonly steady: number;
  readonly whole: number;
}

/** Runs `cmd`, resolving its stdout lines, each with the ms since spawn it arrived at. */
const timedLines = (cmd: string, args: readonly string[]): Promise<{ at: number; line: string }[]> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: { at: number; line: string }[] = [];
    let buffer = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      const at = performance.now() - t0;
      buffer += c.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) if (line !== '') lines.push({ at, line });
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const at = performance.now() - t0;
      if (buffer !== '') lines.push({ at, line: buffer });
      if (code === 0) resolve(lines);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });

/** rdl --json: the progress lines give bytes over time; the steady rate is from the first line past a second on. */
const rdlRun = async (url: string, out: string, rate: string, bytes: number): Promise<RateRun> => {
  const [cmd, args] = rdlCommand([url, '-o', out, '--json', '--limit-rate', rate]);
  const lines = await timedLines(cmd, args);
  const events = lines.map(({ at, line }) => ({
    at,
    e: JSON.parse(line) as { event: string; bytes?: number },
  }));
  const progress = events.filter((x) => x.e.event === 'progress');
  const done = events.find((x) => x.e.event === 'done');
  const first = progress[0];
  if (done === undefined || first === undefined)
    throw new Error(`rdl --json printed no progress or no done event`);
  const from = progress.find((x) => x.at >= first.at + warmupMs) ?? first;
  return {
    steady: (bytes - (from.e.bytes ?? 0)) / ((done.at - from.at) / 1000),
    whole: bytes / ((done.at - first.at) / 1000),
  };
};

/**
 * curl prints no progress a program can read: its bytes over time are its output file's size, sampled every 50 ms
 * (curl writes what it reads at once); the steady rate is from the first sample past a second after the first
 * byte, to the exit.
 */
const curlRun = async (url: string, out: string, rate: string, bytes: number): Promise<RateRun> => {
  const samples: { at: number; size: number }[] = [];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const at = performance.now() - t0;
    void stat(out).then(
      (s) => {
        if (s.size > 0) samples.push({ at, size: s.size });
      },
      () => undefined,
    );
  }, 50);
  try {
    await timedLines('curl', ['-sS', '-f', '--limit-rate', rate, '-o', out, url]);
  } finally {
    clearInterval(sampler);
  }
  const end = performance.now() - t0;
  const first = samples[0];
  // Done before the first sample: only the wall time from the spawn says how fast.
  if (first === undefined) return { steady: bytes / (end / 1000), whole: bytes / (end / 1000) };
  const from = samples.find((x) => x.at >= first.at + warmupMs) ?? first;
  return {
    steady: (bytes - from.size) / ((end - from.at) / 1000),
    whole: bytes / ((end - first.at) / 1000),
  };
};

export const rate = async (): Promise<void> => {
  const runs = runsOr(3);
  const limits = rates.map((r) => ({ rate: r, bytesPerSecond: bytesOfRate(r) }));
  const biggest = Math.max(...limits.map((l) => l.bytesPerSecond * transferSeconds));
  const shm = await statfs('/dev/shm').catch(() => null);
  const onShm =
    shm !== null &&
    shm.type === tmpfsMagic &&
    Math.min(shm.bavail * shm.bsize, freemem() - 512 * MiB) > 2.2 * biggest;
  const work = await mkdtemp(join(onShm ? '/dev/shm' : tmpdir(), 'rdl-bench-rate-'));
  const root = join(work, 'root');
  await mkdir(root);
  await withNginx(
    { root },
    () => [work],
    async (server) => {
      say();
      say(
        `Rate: rdl --limit-rate against curl --limit-rate, a file from nginx sized for ${transferSeconds} s at each rate, ${runs} alternating runs each (files in ${work})`,
      );
      const rows: { rate: string; tool: string; runs: RateRun[] }[] = [];
      for (const { rate: limit, bytesPerSecond } of limits) {
        const bytes = Math.round(bytesPerSecond * transferSeconds);
        const name = `rate-${limit}.bin`;
        const sha256 = await writeRepeatedFile(join(root, name), bytes);
        const url = `${server.origin}/${name}`;
        const out = join(work, name);
        const byTool = { rdl: [] as RateRun[], curl: [] as RateRun[] };
        for (let r = 0; r < runs; r++) {
          for (const tool of r % 2 === 0 ? (['rdl', 'curl'] as const) : (['curl', 'rdl'] as const)) {
            const run = await (tool === 'rdl' ? rdlRun : curlRun)(url, out, limit, bytes);
            const got = (await stat(out)).size;
            if (got !== bytes || (await sha256File(out)) !== sha256)
              throw new Error(`${tool} --limit-rate ${limit} wrote a wrong file (${got} bytes of ${bytes})`);
            await settle(out);
            byTool[tool].push(run);
            say(
              `  ${limit} run ${r + 1}/${runs} ${pad(tool, 4)} ${(run.steady / MiB).toFixed(2)} MiB/s (${(run.steady / bytesPerSecond).toFixed(3)} of the limit)`,
            );
          }
        }
        await rm(join(root, name));
        rows.push(
          { rate: limit, tool: 'rdl', runs: byTool.rdl },
          { rate: limit, tool: 'curl', runs: byTool.curl },
        );
      }
      say();
      say(
        `${pad('limit', 8)}${pad('tool', 6)}${lpad('MiB/s', 9)}${lpad('÷ limit', 9)}${lpad('min', 8)}${lpad('max', 8)}${lpad('whole ÷ limit', 15)}`,
      );
      for (const row of rows) {
        const limit = bytesOfRate(row.rate);
        const steady = row.runs.map((r) => r.steady / limit);
        say(
          `${pad(row.rate, 8)}${pad(row.tool, 6)}${lpad((median(row.runs.map((r) => r.steady)) / MiB).toFixed(2), 9)}` +
            `${lpad(median(steady).toFixed(3), 9)}${lpad(Math.min(...steady).toFixed(3), 8)}${lpad(Math.max(...steady).toFixed(3), 8)}` +
            `${lpad(median(row.runs.map((r) => r.whole / limit)).toFixed(3), 15)}`,
        );
      }
      say(
        `÷ limit: the measured rate over the limit (1.000: exact), median, min and max of the runs. rdl's is from its --json progress lines after the first ${warmupMs / 1000} s; curl's from its output file's size, sampled every 50 ms, after the first ${warmupMs / 1000} s. whole: from the first line or sample (the first bytes) to the end. A tool that keeps the average (a burst, then waits) shows a steady rate below its whole one.`,
      );
    },
  );
};
