/**
 * One run of the queue section, in a process of its own started with `node --expose-gc`: a paused queue kept in
 * `<dir>/.rdl-queue`, `count` items added in one turn, the store's write awaited. Prints one JSON line of
 * `QueueRun` on stdout. Its own process, so that no other section's heap or RSS counts.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createQueue } from '@rdl/adapter-node';

/** What one run measured; memory in bytes, times in ms. */
export interface QueueRun {
  readonly addMs: number;
  readonly flushMs: number;
  /** Heap used and RSS after a full GC, over the same for the empty queue (created, loaded, paused). */
  readonly heapGrowth: number;
  readonly rssGrowth: number;
  /** The process's peak RSS over the empty queue's RSS. */
  readonly peakRssGrowth: number;
  readonly journalBytes: number;
}

const [countArg, dir] = process.argv.slice(2);
if (countArg === undefined || dir === undefined) throw new Error('usage: queueChild.js COUNT DIR');
const count = Number(countArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const settled = (): { heap: number; rss: number } => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
};

const file = join(dir, '.rdl-queue');
const queue = createQueue({ paused: true, file });
await queue.ready;
await queue.flushed();
const empty = settled();

const t0 = performance.now();
for (let i = 0; i < count; i++)
  queue.add({ url: `http://127.0.0.1:9/files/${i}.bin`, target: join(dir, 'out', `${i}.bin`) });
const addMs = performance.now() - t0;
await queue.flushed();
const flushMs = performance.now() - t0 - addMs;
const full = settled();
const run: QueueRun = {
  addMs,
  flushMs,
  heapGrowth: full.heap - empty.heap,
  rssGrowth: full.rss - empty.rss,
  peakRssGrowth: process.resourceUsage().maxRSS * 1024 - empty.rss,
  journalBytes: (await stat(file)).size,
};
process.stdout.write(`${JSON.stringify(run)}\n`);
process.exit(0);
