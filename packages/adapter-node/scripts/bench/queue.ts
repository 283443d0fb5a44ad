/**
 * The queue section: a paused Node `createQueue` kept in a file (FileQueueStore) in a temp folder, `count` items
 * added in one turn, the journal's write awaited; each run in a child `node --expose-gc` (bench/queueChild.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../stats.js';
import { benchDistDir, cleanedUpAfter, MiB, runsOr, say } from './environment.js';
import { lpad, pad } from './measure.js';
import type { QueueRun } from './queueChild.js';

const count = Number(process.env.RDL_BENCH_QUEUE_ITEMS ?? 100_000);
/** Goals of issue 11: adding is quick, and a queued item costs little memory. */
const addGoalMs = 1000;
const growthGoalMiB = 64;

const oneRun = async (): Promise<QueueRun> => {
  const dir = await mkdtemp(join(tmpdir(), 'rdl-bench-queue-'));
  return cleanedUpAfter(
    () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
    async () => {
      const run = spawnSync(
        process.execPath,
        ['--expose-gc', join(benchDistDir, 'queueChild.js'), String(count), dir],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`queueChild exited ${run.status}: ${run.stderr}`);
      return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as QueueRun;
    },
  );
};

export const queue = async (): Promise<void> => {
  const runs = runsOr(5);
  say();
  say(
    `Queue: ${count} items added to a paused createQueue kept in a file (FileQueueStore, in ${tmpdir()}), the journal's write awaited; ${runs} runs, each in a child node --expose-gc`,
  );
  const results: QueueRun[] = [];
  for (let r = 0; r < runs; r++) {
    const run = await oneRun();
    results.push(run);
    say(
      `  run ${r + 1}/${runs} add ${run.addMs.toFixed(0)} ms, write ${run.flushMs.toFixed(0)} ms, heap +${(run.heapGrowth / MiB).toFixed(1)} MiB, peak RSS +${(run.peakRssGrowth / MiB).toFixed(1)} MiB`,
    );
  }
  const med = (f: (r: QueueRun) => number): number => median(results.map(f));
  const rows: [string, string][] = [
    ['time to add (ms)', med((r) => r.addMs).toFixed(0)],
    ['time to the journal written and fsynced (ms, after the adds)', med((r) => r.flushMs).toFixed(0)],
    ['heap used growth after GC (MiB)', (med((r) => r.heapGrowth) / MiB).toFixed(1)],
    ['RSS growth after GC (MiB)', (med((r) => r.rssGrowth) / MiB).toFixed(1)],
    ['peak RSS growth (MiB)', (med((r) => r.peakRssGrowth) / MiB).toFixed(1)],
    ['journal size (MiB)', (med((r) => r.journalBytes) / MiB).toFixed(1)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  say();
  say(`${pad('median over the runs', width)}${lpad('value', 8)}`);
  for (const [name, value] of rows) say(`${pad(name, width)}${lpad(value, 8)}`);
  say('growth: over the same queue created, loaded and paused with no items, in the same process');
  const add = med((r) => r.addMs);
  const heap = med((r) => r.heapGrowth) / MiB;
  const peak = med((r) => r.peakRssGrowth) / MiB;
  say();
  say(
    `time to add ${count} items ${add.toFixed(0)} ms  (goal < ${addGoalMs} ms: ${add < addGoalMs ? 'met' : 'NOT met'})`,
  );
  say(
    `heap growth ${heap.toFixed(1)} MiB, peak RSS growth ${peak.toFixed(1)} MiB  (goal ≤ ${growthGoalMiB} MiB each: ${heap <= growthGoalMiB && peak <= growthGoalMiB ? 'met' : 'NOT met'})`,
  );
};
