/** Running a command under GNU time and printing the measures as a table. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { median } from '../stats.js';
import { MiB, say, timeBin } from './environment.js';

export interface Measure {
  readonly wallMs: number;
  readonly peakRssKiB: number;
  /** VmRSS samples of the measured process, KiB, every 100 ms. */
  readonly rssSamplesKiB: readonly number[];
}

export const readStatus = async (pid: number, field: string): Promise<number | null> => {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
};

export const childOf = async (pid: number): Promise<number | null> => {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const first = text.trim().split(/\s+/)[0];
  return first === undefined || first === '' ? null : Number(first);
};

/** Runs `cmd args` under GNU time (peak RSS), timing the wall clock here, sampling RSS; fails on non-zero exit. */
export const measure = async (
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

export const mibS = (bytes: number, ms: number): string => (bytes / MiB / (ms / 1000)).toFixed(0);
export const pad = (s: string, n: number): string => s.padEnd(n);
export const lpad = (s: string, n: number): string => s.padStart(n);
export const seconds = (ms: number): string => (ms / 1000).toFixed(2);
export const medianWall = (ms: readonly Measure[]): number => median(ms.map((m) => m.wallMs));
export const peakMiB = (ms: readonly Measure[]): number => Math.max(...ms.map((m) => m.peakRssKiB)) / 1024;

/** One line of a printed table; `scale` multiplies the walls of a row measured on a part of the file. */
export interface Row {
  readonly name: string;
  readonly measures: readonly Measure[];
  /** The bytes its times are for, after `scale`. */
  readonly bytes: number;
  readonly scale?: number;
}

export const wallsOf = (row: Row): number[] => row.measures.map((m) => m.wallMs * (row.scale ?? 1));

/**
 * Prints one line a row: median, min and max wall time, speed, peak RSS, and, given `baseline` (a row's name), the
 * median's ratio to that row's.
 */
export const printTable = (rows: readonly Row[], baseline: string | null): void => {
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

export const exited = (child: ChildProcess): Promise<unknown> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
