import { describe, expect, it } from 'vitest';
import { createDownload } from '../../src/api/createDownload.js';
import { createQueue } from '../../src/api/createQueue.js';
import { fault } from '../../src/memory/faults.js';
import type { DownloadEvent, DownloadPorts } from '../../src/model/download.js';
import type { Queue, QueueEvent, QueueOptions } from '../../src/model/queue.js';
import { bytesOf, runUntil, type World, world } from '../support/machineHarness.js';
import { FAST, target, url } from '../support/queueItems.js';
import { loggedHttp, mostInAWindow, type Read } from '../support/readWindows.js';

/**
 * The queue's typed events (`added`, `progress`, `retrying`), and its one rate limit changed while its items run
 * (R44), over the memory ports on the manual clock.
 */

const CHUNK = 1_000;

const publishFiles = (w: World, count: number, size: number): Map<number, Uint8Array> => {
  const contents = new Map<number, Uint8Array>();
  for (let n = 0; n < count; n++) {
    const content = bytesOf(size, n + 1);
    w.server.publish(url(n), content);
    contents.set(n, content);
  }
  return contents;
};

const queueOf = (w: World, options: QueueOptions, ports: DownloadPorts = w.ports) => {
  const queue = createQueue(options, {
    clock: w.clock,
    createDownload: (o, bindings) => createDownload(o, ports, bindings),
  });
  const events: QueueEvent[] = [];
  queue.subscribe((event) => events.push(event));
  return { queue, events };
};

const runToIdle = async (w: World, queue: Queue) => {
  let settled = false;
  void queue.idle().then(() => {
    settled = true;
  });
  await runUntil(w, () => settled);
};

const ofType = <T extends QueueEvent['type']>(events: readonly QueueEvent[], type: T) =>
  events.filter((e): e is Extract<QueueEvent, { type: T }> => e.type === type);

describe('createQueue: events', () => {
  it('added: one event an add, in order, with the id add() returned, the URL without its password and the target', async () => {
    const w = world({}, { chunkSize: CHUNK });
    publishFiles(w, 3, 3_000);
    const { queue, events } = queueOf(w, { paused: true });
    const first = queue.add({ url: url(0), target: target(0) });
    const second = queue.add({ url: 'https://me:hunter2@files.example/1.bin', target: target(1) });
    const third = queue.add({ url: url(2), target: target(2) });
    expect(ofType(events, 'added')).toEqual([
      { type: 'added', id: first.id, url: url(0), target: target(0) },
      { type: 'added', id: second.id, url: url(1), target: target(1) },
      { type: 'added', id: third.id, url: url(2), target: target(2) },
    ]);
    expect(JSON.stringify(events)).not.toContain('hunter2');
    // Paused: added, nothing started.
    expect(events.every((e) => e.type === 'added')).toBe(true);
    queue.resumeAll();
    await runToIdle(w, queue);
    expect(ofType(events, 'added')).toHaveLength(3);
  });

  it('progress: each carries its item id; bytes never go back, end at the file size, and match the item and its download', async () => {
    const w = world({}, { chunkSize: CHUNK, chunkDelayMs: 2 });
    const sizes = [20_000, 35_000];
    for (const [n, size] of sizes.entries()) w.server.publish(url(n), bytesOf(size, n + 1));
    const { queue, events } = queueOf(w, { concurrency: 2 });
    const items = sizes.map((_, n) => queue.add({ url: url(n), target: target(n), ...FAST }));
    const own = new Map<string, number[]>();
    for (const item of items) {
      const seen: number[] = [];
      own.set(item.id, seen);
      item.on('progress', (event) => seen.push(event.progress.bytes));
    }
    await runToIdle(w, queue);
    const progress = ofType(events, 'progress');
    for (const [n, item] of items.entries()) {
      const mine = progress.filter((e) => e.id === item.id).map((e) => e.progress);
      // Several, as the body comes in, not one at the end.
      expect(mine.length).toBeGreaterThan(2);
      const bytes = mine.map((p) => p.bytes);
      expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
      expect(mine.at(-1)).toMatchObject({ bytes: sizes[n], total: sizes[n], fraction: 1 });
      // The queue's events are its download's, one for one.
      expect(bytes).toEqual(own.get(item.id));
      expect(queue.items()[n]?.progress).toEqual(mine.at(-1));
      // Between its start and its end.
      const at = (e: QueueEvent) => events.indexOf(e);
      const started = events.findIndex((e) => e.type === 'started' && e.id === item.id);
      const done = events.findIndex((e) => e.type === 'done' && e.id === item.id);
      const mineEvents = progress.filter((e) => e.id === item.id);
      expect(at(mineEvents[0]!)).toBeGreaterThan(started);
      expect(at(mineEvents.at(-1)!)).toBeLessThan(done);
    }
    expect(progress.every((e) => items.some((item) => item.id === e.id))).toBe(true);
  });

  it('R25: retrying: an item whose GET answers 503 twice says so with its id, attempt and delay, then is done', async () => {
    const w = world({}, { chunkSize: CHUNK });
    const contents = publishFiles(w, 2, 10_000);
    w.server.inject(fault.status(503), { method: 'GET', url: url(1), times: 2 });
    const { queue, events } = queueOf(w, { concurrency: 2 });
    const [healthy, flaky] = [0, 1].map((n) => queue.add({ url: url(n), target: target(n), ...FAST }));
    const retries: Extract<DownloadEvent, { type: 'retry' }>[] = [];
    flaky!.on('retry', (event) => retries.push(event));
    await runToIdle(w, queue);
    const retrying = ofType(events, 'retrying');
    expect(retrying.map((e) => [e.id, e.attempt])).toEqual([
      [flaky!.id, 1],
      [flaky!.id, 2],
    ]);
    expect(retrying.every((e) => e.delayMs > 0)).toBe(true);
    // The delay the download waits, as its own retry event gives it.
    expect(retrying.map((e) => e.delayMs)).toEqual(retries.map((e) => e.delayMs));
    expect(retries.every((e) => e.failure._tag === 'HttpStatus')).toBe(true);
    expect(retrying.some((e) => e.id === healthy!.id)).toBe(false);
    // Each retrying comes after its item started and before it was done; then it finished.
    const started = events.findIndex((e) => e.type === 'started' && e.id === flaky!.id);
    const done = events.findIndex((e) => e.type === 'done' && e.id === flaky!.id);
    for (const e of retrying) expect(events.indexOf(e)).toBeGreaterThan(started);
    for (const e of retrying) expect(events.indexOf(e)).toBeLessThan(done);
    expect(queue.summary()).toMatchObject({ done: 2, failed: 0 });
    expect(w.storage.fileOf(target(1))).toEqual(contents.get(1));
  });
});

describe('createQueue: setRateLimit (R44)', () => {
  it('R44: setRateLimit changes the one limit over every running item within a second: lowered, then lifted', async () => {
    // Each connection alone could bring 1 MB/s (a 1 000-byte chunk a millisecond).
    const w = world({}, { chunkSize: CHUNK, chunkDelayMs: 1 });
    const size = 200_000;
    const contents = publishFiles(w, 4, size);
    const reads: Read[] = [];
    const logged = { ...w.ports, http: loggedHttp(w, reads) };
    const { queue } = queueOf(w, { concurrency: 4, maxBytesPerSecond: 100_000 }, logged);
    for (let n = 0; n < 4; n++) queue.add({ url: url(n), target: target(n), ...FAST });
    const start = w.clock.now();
    await runUntil(w, () => w.clock.now() >= start + 1_500);
    expect(queue.summary().running).toBe(4);
    queue.setRateLimit(20_000);
    const lowered = w.clock.now();
    await runUntil(w, () => w.clock.now() >= lowered + 3_000);
    expect(queue.summary().running).toBe(4);
    queue.setRateLimit(null);
    const lifted = w.clock.now();
    await runToIdle(w, queue);

    expect(queue.summary()).toMatchObject({ done: 4, failed: 0 });
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
    const before = reads.filter((r) => r.at < lowered);
    const during = reads.filter((r) => r.at >= lowered && r.at < lifted);
    const after = reads.filter((r) => r.at >= lifted);
    // The first limit held over the four together (each connection may have one read in flight) …
    expect(mostInAWindow(before, 1_000, start + 300)).toBeLessThanOrEqual(100_000 * 1.05 + 4 * CHUNK);
    // … and was reached: the lower one was not in force yet.
    expect(mostInAWindow(before, 1_000, start + 300)).toBeGreaterThan(60_000);
    // From a second after the change on, the new limit holds over the four.
    expect(mostInAWindow(during, 1_000, lowered + 1_000)).toBeLessThanOrEqual(20_000 * 1.05 + 4 * CHUNK);
    expect(mostInAWindow(during, 1_000, lowered + 1_000)).toBeGreaterThan(10_000);
    // Lifted, the rest (most of 800 000 bytes) came at the connections' own pace, no waiting read slept on.
    const rest = after.reduce((sum, r) => sum + r.bytes, 0);
    expect(rest).toBeGreaterThan(4 * size - 100_000 * 1.5 - 20_000 * 3.5 - 25_000);
    expect(w.clock.now() - lifted).toBeLessThan(1_000);
  });

  it('R30: setRateLimit refuses a bad value with ERR_INVALID_INPUT and keeps the limit it had', async () => {
    const w = world({}, { chunkSize: CHUNK, chunkDelayMs: 1 });
    publishFiles(w, 2, 60_000);
    const reads: Read[] = [];
    const logged = { ...w.ports, http: loggedHttp(w, reads) };
    const { queue } = queueOf(w, { concurrency: 2, maxBytesPerSecond: 30_000 }, logged);
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => queue.setRateLimit(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
    }
    for (let n = 0; n < 2; n++) queue.add({ url: url(n), target: target(n), ...FAST });
    const start = w.clock.now();
    await runToIdle(w, queue);
    expect(queue.summary().done).toBe(2);
    // Still 30 000 a second over both: 120 000 bytes less the quarter-second burst take over 3.5 s.
    expect(w.clock.now() - start).toBeGreaterThan(3_500);
    expect(mostInAWindow(reads, 1_000, start + 500)).toBeLessThanOrEqual(30_000 * 1.05 + 2 * CHUNK);
  });
});
