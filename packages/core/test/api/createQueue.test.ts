import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createDownload } from '../../src/api/createDownload.js';
import { createQueue } from '../../src/api/createQueue.js';
import { MemoryQueueStore } from '../../src/memory/MemoryQueueStore.js';
import type { DownloadPorts } from '../../src/model/download.js';
import type { DownloadOptions } from '../../src/model/options.js';
import type { Queue, QueueEvent, QueueOptions } from '../../src/model/queue.js';
import type { QueueStore } from '../../src/ports/QueueStore.js';
import { decodeRecord, encodeNextId, NEXT_ID_KEY } from '../../src/rules/queueRecord.js';
import { bytesOf, runUntil, type World, world } from '../support/machineHarness.js';
import { FAST, target, url } from '../support/queueItems.js';

/**
 * The queue over the memory ports (R43–R45): how many run, in which order, pause, cancel, remove and move, the
 * connections and the rate limit shared, and the queue after a kill. Bodies are paced on the manual clock, so
 * downloads really run side by side.
 */

const SERVING = { chunkSize: 1_000, chunkDelayMs: 5 };

interface Rig {
  readonly w: World;
  readonly queue: Queue;
  readonly events: QueueEvent[];
  /** The most items running at once, as the queue's events show. */
  readonly peak: () => number;
  readonly contents: Map<number, Uint8Array>;
}

const publishFiles = (w: World, count: number, size: number, first = 0): Map<number, Uint8Array> => {
  const contents = new Map<number, Uint8Array>();
  for (let n = first; n < first + count; n++) {
    const content = bytesOf(size, n + 1);
    w.server.publish(url(n), content);
    contents.set(n, content);
  }
  return contents;
};

const rig = (
  w: World,
  options: QueueOptions = {},
  store: QueueStore = new MemoryQueueStore(),
  ports: DownloadPorts = w.ports,
): Omit<Rig, 'contents'> => {
  const queue = createQueue(options, {
    clock: w.clock,
    store,
    createDownload: (o, bindings) => createDownload(o, ports, bindings),
  });
  const events: QueueEvent[] = [];
  let running = 0;
  let peak = 0;
  queue.subscribe((event) => {
    events.push(event);
    if (event.type === 'started') running += 1;
    if (['paused', 'done', 'failed', 'cancelled'].includes(event.type)) running -= 1;
    peak = Math.max(peak, running);
  });
  return { w, queue, events, peak: () => peak };
};

const idleOf = async (r: Omit<Rig, 'contents'>) => {
  let summary: Awaited<ReturnType<Queue['idle']>> | null = null;
  void r.queue.idle().then((s) => {
    summary = s;
  });
  await runUntil(r.w, () => summary !== null);
  return summary!;
};

const addAll = (queue: Queue, ns: readonly number[], extra: Partial<DownloadOptions> = {}) =>
  ns.map((n) => queue.add({ url: url(n), target: target(n), ...FAST, ...extra }));

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('createQueue', () => {
  it('R45: runs every item, never more than `concurrency` at once, each file exact', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 10, 20_000);
    const r = rig(w, { concurrency: 3 });
    addAll(r.queue, range(10));
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ total: 10, done: 10, failed: 0, queued: 0, running: 0 });
    expect(r.peak()).toBe(3);
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
  });

  it('R39: a queue listener that throws on every event (and an item listener) changes nothing: every file exact, the throws told', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 4, 20_000);
    const r = rig(w, { concurrency: 2 });
    r.queue.subscribe(() => {
      throw new Error('a broken bar');
    });
    for (const type of ['added', 'started', 'progress', 'done', 'idle'] as const)
      r.queue.on(type, () => {
        throw new Error(`on ${type}`);
      });
    const downloads = addAll(r.queue, range(4));
    downloads[0]!.subscribe(() => {
      throw new Error('an item listener');
    });
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ total: 4, done: 4, failed: 0 });
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
    expect(r.events.some((event) => event.type === 'notice' && event.code === 'LISTENER_FAILED')).toBe(true);
  });

  it('starts items in the order of their positions, and move() changes it (aria2 changePosition)', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 5, 5_000);
    const r = rig(w, { concurrency: 1, paused: true });
    const [a, b, c, d, e] = addAll(r.queue, range(5));
    r.queue.move(e!.id, 0);
    r.queue.move(a!.id, 99);
    r.queue.move(c!.id, 1);
    expect(r.queue.items().map((i) => i.id)).toEqual([e, c, b, d, a].map((x) => x!.id));
    r.queue.resumeAll();
    await idleOf(r);
    const started = r.events.flatMap((ev) => (ev.type === 'started' ? [ev.id] : []));
    expect(started).toEqual([e, c, b, d, a].map((x) => x!.id));
  });

  it('pause() of a running item frees its slot; resume() goes on from its bytes', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 2, 60_000);
    const r = rig(w, { concurrency: 1 });
    const [first, second] = addAll(r.queue, [0, 1]);
    await runUntil(w, () => (first!.getSnapshot().progress.bytes ?? 0) > 20_000);
    first!.pause();
    await runUntil(w, () => r.queue.summary().paused === 1 && r.queue.summary().running === 1);
    expect(second!.getSnapshot().state).not.toBe('idle');
    await runUntil(w, () => r.queue.summary().done === 1);
    const before = w.server.bytesSent;
    r.queue.resume(first!.id);
    await idleOf(r);
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    // Only the rest of the first file was fetched again (R24): less than its whole size.
    expect(w.server.bytesSent - before).toBeLessThan(60_000 - 15_000);
  });

  it.each([
    [
      'pause(id) then resume(id)',
      (q: Queue, id: string) => {
        q.pause(id);
        q.resume(id);
      },
    ],
    [
      'pauseAll() then resumeAll()',
      (q: Queue) => {
        q.pauseAll();
        q.resumeAll();
      },
    ],
    [
      'pause, resume, pause, resume',
      (q: Queue, id: string) => {
        for (const _ of [1, 2]) {
          q.pause(id);
          q.resume(id);
        }
      },
    ],
  ])('%s on a running item in one turn: it goes on and finishes, idle() only then', async (_name, toggle) => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 1, 60_000);
    const r = rig(w, { concurrency: 1 });
    const [only] = addAll(r.queue, [0]);
    await runUntil(w, () => (only!.getSnapshot().progress.bytes ?? 0) > 20_000);
    toggle(r.queue, only!.id);
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ done: 1, paused: 0, running: 0 });
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    expect(r.events.filter((e) => e.type === 'paused')).toEqual([]);
  });

  it('pause, resume, then pause again in one turn: it ends paused, its slot given back', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 1, 60_000);
    const r = rig(w, { concurrency: 1 });
    const [only] = addAll(r.queue, [0]);
    await runUntil(w, () => (only!.getSnapshot().progress.bytes ?? 0) > 20_000);
    r.queue.pause(only!.id);
    r.queue.resume(only!.id);
    r.queue.pause(only!.id);
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ done: 0, paused: 1, running: 0 });
  });

  it.each([
    ['pause(id)', (q: Queue, id: string) => q.pause(id)],
    ['pauseAll()', (q: Queue) => q.pauseAll()],
    ['get(id).pause()', (q: Queue, id: string) => q.get(id)!.pause()],
  ])(
    'R24: %s from a `started` listener pauses the item, fresh or resumed; close() then ends at once, it finishes once resumed',
    async (_name, pause) => {
      const w = world({}, SERVING);
      const contents = publishFiles(w, 2, 60_000);
      const r = rig(w, { concurrency: 1 });
      let pauseNext = true;
      r.queue.on('started', (event) => {
        if (!pauseNext) return;
        pauseNext = false;
        pause(r.queue, event.id);
      });
      const [first] = addAll(r.queue, [0, 1]);
      await runUntil(w, () => r.queue.items()[0]!.state === 'paused');
      expect(first!.getSnapshot().state).toBe('paused');
      // Resumed with bytes of its own (its paused download goes on), it is paused again from `started`.
      r.queue.resumeAll();
      await runUntil(w, () => (first!.getSnapshot().progress.bytes ?? 0) > 20_000);
      first!.pause();
      await runUntil(w, () => r.queue.items()[0]!.state === 'paused');
      pauseNext = true;
      r.queue.resumeAll();
      await runUntil(w, () => r.queue.items()[0]!.state === 'paused' && !pauseNext);
      // Later commands still reach it, and close() does not wait for its whole file.
      r.queue.resume(first!.id);
      r.queue.pause(first!.id);
      let closed = false;
      void r.queue.close().then(() => {
        closed = true;
      });
      await runUntil(w, () => closed);
      expect(r.queue.items()[0]!.state).toBe('paused');
      expect(w.storage.fileOf(target(0))).toBeNull();
      const again = rig(w, {}, new MemoryQueueStore());
      addAll(again.queue, [0]);
      await idleOf(again);
      expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    },
  );

  it('R24: cancel() deletes the part file and the checkpoint; the item stays listed as cancelled', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 1, 200_000);
    const r = rig(w);
    const [item] = addAll(r.queue, [0]);
    await runUntil(w, () => (item!.getSnapshot().progress.bytes ?? 0) > 30_000);
    item!.cancel();
    await idleOf(r);
    await expect(item!.result).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    expect(r.queue.items()[0]).toMatchObject({ state: 'cancelled' });
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.raw(target(0))).toBeNull();
  });

  it('remove() of a queued item forgets it before it starts; of a done one keeps its file', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 3, 5_000);
    const store = new MemoryQueueStore();
    const r = rig(w, { concurrency: 1 }, store);
    const [a, b, c] = addAll(r.queue, [0, 1, 2]);
    r.queue.remove(c!.id);
    await idleOf(r);
    r.queue.remove(a!.id);
    await r.queue.flushed();
    expect(r.queue.items().map((i) => i.id)).toEqual([b!.id]);
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    expect(w.storage.fileOf(target(2))).toBeNull();
    expect(w.server.requests.some((q) => q.url === url(2))).toBe(false);
    expect(store.textOf(a!.id)).toBeUndefined();
  });

  it('R30: a bad item fails alone with ERR_INVALID_INPUT (a URL not http, a target not text); the others finish', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 2, 5_000);
    const r = rig(w);
    addAll(r.queue, [0]);
    const bad = r.queue.add({ url: 'ftp://files.example/x', target: 'x' });
    const noTarget = r.queue.add({
      url: 'https://files.example/y',
      target: 42,
    } as unknown as DownloadOptions);
    addAll(r.queue, [1]);
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ done: 2, failed: 2 });
    await expect(bad.result).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(noTarget.result).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    expect(r.queue.items()[1]!.failure?.code).toBe('ERR_INVALID_INPUT');
  });

  it('R30, R23: items whose targets differ in an unpaired surrogate alone (one file once stored) fail ERR_INVALID_INPUT, nothing requested or made', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 1, 5_000);
    const r = rig(w);
    const high = r.queue.add({ url: url(0), target: 's\uD800x.bin' });
    const low = r.queue.add({ url: url(0), target: 's\uDBFFx.bin' });
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ done: 0, failed: 2 });
    for (const item of [high, low]) {
      await expect(item.result).rejects.toMatchObject({
        code: 'ERR_INVALID_INPUT',
        message: expect.stringContaining('unpaired surrogate'),
      });
    }
    expect(w.server.requests).toEqual([]);
    expect(w.storage.list()).toEqual([]);
  });

  it('R30: an item whose URL is no text (a number, null, an object, none) fails alone, added once the queue is ready and stored', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 1, 5_000);
    const store = new MemoryQueueStore();
    const r = rig(w, { concurrency: 1 }, store);
    await r.queue.ready;
    // Added behind a running item: they wait in the queue's rows, and are stored, before they start.
    addAll(r.queue, [0]);
    const bad = [42, null, { href: url(9) }, undefined].map((value, i) =>
      r.queue.add({ url: value, target: `bad${i}` } as unknown as DownloadOptions),
    );
    await r.queue.flushed();
    for (const item of bad) expect(store.textOf(item.id)).toBeDefined();
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ done: 1, failed: 4 });
    for (const item of bad) await expect(item.result).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('R30: options that are no object or cannot be read (a throwing getter, a Proxy) fail their item alone, before and after ready', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 2, 5_000);
    const store = new MemoryQueueStore();
    const r = rig(w, { concurrency: 1 }, store);
    const throwing = {
      url: url(9),
      get target(): string {
        throw new Error('no target\nsecond line');
      },
    };
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    const before = [null, 5, throwing].map((each) => r.queue.add(each as unknown as DownloadOptions));
    addAll(r.queue, [0]);
    await r.queue.ready;
    addAll(r.queue, [1]);
    const nested = { url: url(9), target: 'nested', headers: proxy };
    const after = [undefined, 'x', proxy, nested].map((each) =>
      r.queue.add(each as unknown as DownloadOptions),
    );
    // Options of a class, their URL and target getters on its prototype: read as `createDownload` reads them.
    class Given {
      get url(): string {
        return url(0);
      }
      get target(): string {
        return target(7);
      }
    }
    const ofClass = r.queue.add(new Given() as unknown as DownloadOptions);
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ done: 3, failed: 7 });
    await expect(ofClass.result).resolves.toMatchObject({ bytes: 5_000 });
    const errors = await Promise.all(
      [...before, ...after].map((item) => item.result.catch((e: unknown) => e)),
    );
    expect(errors.map((e) => (e as { message: string }).message)).toEqual([
      'invalid options: must be an object, not null',
      'invalid options: must be an object, not number',
      'invalid options: cannot be read: no target',
      'invalid options: must be an object, not undefined',
      'invalid options: must be an object, not string',
      'invalid options: cannot be read: trap',
      'invalid options: cannot be read: trap',
    ]);
    for (const e of errors) expect(e).toMatchObject({ code: 'ERR_INVALID_INPUT' });
    expect(w.server.requests.some((q) => q.url === url(9))).toBe(false);
  });

  it('R30, R45: one options object reused for the next add (its url and target changed) leaves the first item as it was added', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 2, 5_000);
    const r = rig(w, { concurrency: 1 });
    const reused: { url: string; target: string } = { url: url(0), target: target(0) };
    r.queue.add(reused);
    reused.url = url(1);
    reused.target = target(1);
    r.queue.add(reused);
    expect(await idleOf(r)).toMatchObject({ done: 2 });
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
  });

  it('R43: a big segmented download gives connections back while small ones run beside it, and takes them again', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 1, 2_000_000);
    publishFiles(w, 6, 40_000, 1);
    const r = rig(w, { concurrency: 4, maxConnectionsPerOrigin: 8 });
    const [big] = addAll(r.queue, [0], { connections: 8, minSegmentBytes: 4_000 });
    await runUntil(w, () => big!.getSnapshot().progress.connections === 8);
    addAll(
      r.queue,
      range(6).map((n) => n + 1),
    );
    // One growth tick after the small ones start, the big one is down to its share (8 over 4 running: 2).
    const started = w.clock.now();
    await runUntil(w, () => w.clock.now() - started >= 100);
    let most = 0;
    const stop = r.queue.subscribe(() => {
      most = Math.max(most, w.server.openConnections);
    });
    await runUntil(w, () => r.queue.summary().done === 6);
    stop();
    expect(big!.getSnapshot().state).toBe('downloading');
    expect(most).toBeLessThanOrEqual(8);
    // Alone again, it takes the origin's connections back.
    await runUntil(w, () => big!.getSnapshot().progress.connections === 8);
    await idleOf(r);
    expect(r.queue.summary().done).toBe(7);
  });

  it('R43: a cancel or remove from a `started` listener gives its origin back: a big download after gets every connection', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 4, 5_000);
    publishFiles(w, 1, 2_000_000, 9);
    const r = rig(w, { concurrency: 4, maxConnectionsPerOrigin: 8 });
    const stop = r.queue.on('started', (event) => {
      if (event.id === first!.id || event.id === second!.id) r.queue.cancel(event.id);
      else r.queue.remove(event.id);
    });
    const [first, second] = addAll(r.queue, range(4));
    expect(await idleOf(r)).toMatchObject({ total: 2, cancelled: 2, done: 0 });
    stop();
    const [big] = addAll(r.queue, [9], { connections: 8, minSegmentBytes: 4_000 });
    let most = 0;
    big!.on('progress', (event) => {
      most = Math.max(most, event.progress.connections);
    });
    expect(await idleOf(r)).toMatchObject({ done: 1 });
    expect(most).toBe(8);
  });

  it('R44: one rate limit over every download of the queue', async () => {
    const w = world({}, { chunkSize: 1_000, chunkDelayMs: 1 });
    publishFiles(w, 4, 100_000);
    const r = rig(w, { concurrency: 4, maxBytesPerSecond: 100_000 });
    addAll(r.queue, range(4));
    const began = w.clock.now();
    await idleOf(r);
    const seconds = (w.clock.now() - began) / 1000;
    // 400 000 bytes at 100 000 a second, with the bucket's quarter-second burst: about 3.75 s at the least.
    expect(seconds).toBeGreaterThanOrEqual(3.6);
    expect(seconds).toBeLessThan(5);
  });

  it('R25, R44: a limit shared by four downloads never trips the minimum speed of one: the time each waits for the limit is no slowness', async () => {
    const w = world({}, { chunkSize: 1_000, chunkDelayMs: 1 });
    const contents = publishFiles(w, 4, 100_000);
    // 100 000 B/s over four: some 25 000 each, under the 50 000 each must keep up on its own.
    const r = rig(w, { concurrency: 4, maxBytesPerSecond: 100_000 });
    addAll(r.queue, range(4), { lowSpeedLimit: 50_000, lowSpeedTimeMs: 1_000 });
    const summary = await idleOf(r);
    expect(summary).toMatchObject({ done: 4, failed: 0 });
    expect(r.events.filter((e) => e.type === 'retrying')).toEqual([]);
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
  });

  it('R45: after a kill, the same store gives the same queue, which resumes the unfinished and fetches no finished one again', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 4, 50_000);
    const store = new MemoryQueueStore();
    let alive = true;
    const dead = { _tag: 'IoError' as const, message: 'the process is dead' };
    const dying: QueueStore = {
      load: () => store.load(),
      put: (items) => (alive ? store.put(items) : async () => E.left(dead)),
      remove: (ids) => (alive ? store.remove(ids) : async () => E.left(dead)),
    };
    const first = rig(w, { concurrency: 2 }, dying, {
      ...w.ports,
      http: {
        request: (q) =>
          alive ? w.server.request(q) : async () => E.left({ _tag: 'NetworkError', message: 'dead' }),
      },
      checkpoints: {
        load: (t) => w.checkpoints.load(t),
        save: (t, x) => (alive ? w.checkpoints.save(t, x) : async () => E.left(dead)),
        remove: (t) => (alive ? w.checkpoints.remove(t) : async () => E.left(dead)),
      },
    });
    const ids = addAll(first.queue, range(4)).map((d) => d.id);
    // Killed once two are done and the third has bytes in its checkpoint.
    await runUntil(
      w,
      () => first.queue.summary().done === 2 && /"ranges":\[\[/.test(w.checkpoints.raw(target(2)) ?? ''),
    );
    alive = false;
    w.storage.crash();
    await runUntil(w, () => first.queue.summary().running === 0);

    const requestsBefore = w.server.requests.length;
    const second = rig(w, { concurrency: 2 }, store);
    await second.queue.ready;
    expect(second.queue.items().map((i) => i.id)).toEqual(ids);
    const summary = await idleOf(second);
    expect(summary).toMatchObject({ total: 4, done: 4, failed: 0 });
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
    const later = w.server.requests.slice(requestsBefore);
    // The two finished before the kill were not asked for again; the one with a checkpoint resumed from it.
    expect(later.some((q) => q.url === url(0) || q.url === url(1))).toBe(false);
    const resumed = later.find((q) => q.url === url(2) && q.method === 'GET');
    expect(resumed?.headers.range).toMatch(/^bytes=[1-9]\d*-/);
  });

  it('R45: a kill right after the file is whole, before its checkpoint goes, leaves it done in the store', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 1, 10_000);
    const store = new MemoryQueueStore();
    const r = rig(w, {}, store, {
      ...w.ports,
      // The kill: once the file is whole, the checkpoint's removal never happens.
      checkpoints: {
        load: (t) => w.checkpoints.load(t),
        save: (t, x) => w.checkpoints.save(t, x),
        remove: (t) =>
          w.storage.fileOf(t) === null ? w.checkpoints.remove(t) : () => new Promise(() => undefined),
      },
    });
    const [item] = addAll(r.queue, [0]);
    const storedState = () => decodeRecord(item!.id, store.textOf(item!.id) ?? '')?.state;
    await runUntil(w, () => w.storage.fileOf(target(0)) !== null && storedState() === 'done');
    expect(decodeRecord(item!.id, store.textOf(item!.id)!)?.bytes).toBe(10_000);
    expect(w.checkpoints.raw(target(0))).not.toBeNull();
    // The next process finds it done and asks the server nothing.
    const requests = w.server.requests.length;
    const next = rig(w, {}, store);
    const summary = await idleOf(next);
    expect(summary).toMatchObject({ total: 1, done: 1 });
    expect(w.server.requests.length).toBe(requests);
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
  });

  it('R45, R19, R21: a kill before the `done` record of a file done within its first checkpoint interval (none saved) leaves it adopted, not fetched again', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 1, 1_000);
    const store = new MemoryQueueStore();
    let killed = false;
    // The kill lands as the store is asked to write the `done` record: that put, and every one after, never ends.
    const dying: QueueStore = {
      load: () => store.load(),
      put: (items) => {
        const all = [...items];
        if (killed || all.some((i) => decodeRecord(i.id, i.text)?.state === 'done')) killed = true;
        return killed ? () => new Promise(() => undefined) : store.put(all);
      },
      remove: (ids) => (killed ? () => new Promise(() => undefined) : store.remove(ids)),
    };
    const first = rig(w, {}, dying);
    const [item] = addAll(first.queue, [0], { checkpointIntervalMs: 60_000 });
    await runUntil(w, () => killed);
    w.storage.crash();
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    expect(w.checkpoints.raw(target(0))).toBeNull();
    expect(decodeRecord(item!.id, store.textOf(item!.id)!)?.state).toBe('queued');

    const requests = w.server.requests.length;
    const next = rig(w, {}, store);
    const summary = await idleOf(next);
    expect(summary).toMatchObject({ total: 1, done: 1, failed: 0 });
    expect(w.server.requests.length).toBe(requests);
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    expect(w.storage.partOf(target(0))).toBeNull();
    expect(next.queue.items()[0]).toMatchObject({ state: 'done', bytes: 1_000 });
    await next.queue.flushed();
    const stored = decodeRecord(item!.id, store.textOf(item!.id)!);
    expect(stored).toMatchObject({ state: 'done', bytes: 1_000 });
    expect(stored?.checkpoint).toBeUndefined();
  });

  it('R34, R45: a rename that failed drops the checkpoint its record kept: a resume after the part file went fetches the file, never adopts the one of that size at the target', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 1, 1_000);
    const store = new MemoryQueueStore();
    // An older file of the same size sits at the target; the rename over it is refused (a file in use).
    w.storage.putFile(target(0), bytesOf(1_000, 99));
    w.storage.failNext('commit', { _tag: 'PermissionDenied', message: 'rename refused (file in use)' });
    const r = rig(w, {}, store);
    const [item] = addAll(r.queue, [0], { checkpointIntervalMs: 60_000 });
    expect(await idleOf(r)).toMatchObject({ failed: 1 });
    await r.queue.flushed();
    expect(store.textOf(item!.id)).not.toContain('"checkpoint"');
    // The failed rename let go of the target (R23): the user deletes the part file it left, and resumes.
    expect(E.isRight(await w.ports.storage.remove(target(0))())).toBe(true);
    const asked = w.server.requests.length;
    r.queue.resume(item!.id);
    expect(await idleOf(r)).toMatchObject({ done: 1 });
    expect(w.server.requests.length).toBeGreaterThan(asked);
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
  });

  it('R45, R19, R21: a kill after the kept checkpoint but before the rename never adopts another file of the same size at the target', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 1, 1_000);
    const store = new MemoryQueueStore();
    const other = bytesOf(1_000, 99);
    w.storage.putFile(target(0), other);
    // The kill lands as the part file is to take its name: the rename never happens.
    let renaming = false;
    const storage = {
      ...w.ports.storage,
      open: (t: string) => async () => {
        const opened = await w.ports.storage.open(t)();
        if (E.isLeft(opened)) return opened;
        const part = opened.right;
        const hang = () => () => {
          renaming = true;
          return new Promise<never>(() => undefined);
        };
        return E.right(
          new Proxy(part, {
            get: (t, key: keyof typeof part) =>
              key === 'commit' ? hang : typeof t[key] === 'function' ? (t[key] as Function).bind(t) : t[key],
          }),
        );
      },
    };
    const first = rig(w, {}, store, { ...w.ports, storage });
    const [item] = addAll(first.queue, [0], { checkpointIntervalMs: 60_000 });
    await runUntil(w, () => renaming);
    w.storage.crash();
    expect(decodeRecord(item!.id, store.textOf(item!.id)!)?.checkpoint).toMatch(/"ranges":\[\[0,1000\]\]/);
    expect(w.storage.durablePartOf(target(0))).toEqual(contents.get(0));

    const requests = w.server.requests.length;
    const next = rig(w, {}, store);
    const summary = await idleOf(next);
    expect(summary).toMatchObject({ total: 1, done: 1, failed: 0 });
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    // The part file the checkpoint counts was checked against the server (R1), never the file at the target.
    expect(w.server.requests.length).toBeGreaterThan(requests);
  });

  it('R37: the store keeps no password, no secret header and no hook', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 1, 1_000);
    const store = new MemoryQueueStore();
    const r = rig(w, { paused: true }, store);
    const item = r.queue.add({
      url: 'https://user:hunter2@files.example/0.bin',
      target: target(0),
      headers: { Authorization: 'Bearer s3cret', 'X-Api-Key': 'k3y', 'User-Agent': 'app/1' },
      refreshUrl: async () => ({ url: url(0) }),
    });
    await r.queue.ready;
    await r.queue.flushed();
    const text = store.textOf(item.id)!;
    expect(text).not.toMatch(/hunter2|s3cret|k3y|refresh/);
    expect(decodeRecord(item.id, text)?.options).toMatchObject({
      url: 'https://files.example/0.bin',
      headers: { 'User-Agent': 'app/1' },
    });
  });

  it('R45: a remove or cancel of a queued item is in the store once flushed() resolves; a restart does not bring it back', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 3, 1_000);
    const store = new MemoryQueueStore();
    const first = rig(w, { paused: true }, store);
    const [a, b, c] = addAll(first.queue, [0, 1, 2]);
    await first.queue.ready;
    await first.queue.flushed();
    first.queue.remove(a!.id);
    first.queue.cancel(b!.id);
    await first.queue.flushed();
    expect(store.textOf(a!.id)).toBeUndefined();
    // A kill now: the next queue over the same store has c, and b cancelled, never to be fetched.
    const second = rig(w, { paused: true }, store);
    await second.queue.ready;
    const states = new Map(second.queue.items().map((item) => [item.id, item.state]));
    expect(states.has(a!.id)).toBe(false);
    expect(states.get(b!.id)).toBe('cancelled');
    expect(states.get(c!.id)).toBe('queued');
  });

  it('R45: items added before the load never take an id the store gave: the stored keep theirs, an added one of a stored id, or of a removed one, gets one past them', async () => {
    const w = world({}, SERVING);
    const store = new MemoryQueueStore();
    const first = rig(w, { paused: true }, store);
    await first.queue.ready;
    addAll(first.queue, [0, 1, 2]);
    first.queue.remove('2');
    await first.queue.close();
    const second = rig(w, { paused: true }, store);
    // Given 1, 2 and 3 before the load (2 was removed: never given again); the one of 3 forgotten (its removal must
    // not remove the stored 3).
    const [early, kept, forgotten] = addAll(second.queue, [5, 6, 7]);
    second.queue.forget(forgotten!.id);
    await second.queue.ready;
    const view = () => second.queue.items().map((item) => `${item.id}:${item.target}`);
    expect(view()).toEqual([`1:${target(0)}`, `3:${target(2)}`, `4:${target(5)}`, `5:${target(6)}`]);
    expect([early!.id, kept!.id]).toEqual(['4', '5']);
    expect(second.queue.get(early!.id)?.getSnapshot().state).toBe('idle');
    await second.queue.close();
    const third = rig(w, { paused: true }, store);
    await third.queue.ready;
    expect(third.queue.items().map((item) => `${item.id}:${item.target}`)).toEqual(view());
  });

  it('R45: an id is never handed out twice for one store: the largest removed (stored, or added and removed in one turn) is not given again after a restart; a store with no next id yet goes on past its stored ids', async () => {
    const w = world({}, SERVING);
    const store = new MemoryQueueStore();
    const first = rig(w, { paused: true }, store);
    await first.queue.ready;
    const ids = addAll(first.queue, [0, 1, 2, 3]).map((item) => item.id);
    await first.queue.flushed();
    first.queue.remove(ids[3]!);
    await first.queue.close();
    const second = rig(w, { paused: true }, store);
    await second.queue.ready;
    expect(second.queue.items().map((item) => item.id)).toEqual(['1', '2', '3']);
    const [fifth] = addAll(second.queue, [4]);
    expect(fifth!.id).toBe('5');
    // Added and removed before anything was written: only the next id is stored.
    const [sixth] = addAll(second.queue, [5]);
    second.queue.remove(sixth!.id);
    await second.queue.close();
    expect(store.textOf(sixth!.id)).toBeUndefined();
    const third = rig(w, { paused: true }, store);
    await third.queue.ready;
    expect(addAll(third.queue, [6])[0]!.id).toBe('7');
    await third.queue.close();
    // A store written before the next id was kept (or whose next id does not decode): ids go on past the stored.
    store.plant(NEXT_ID_KEY, 'garbage');
    const fourth = rig(w, { paused: true }, store);
    await fourth.queue.ready;
    expect(fourth.events.filter((event) => event.type === 'notice')).toEqual([]);
    expect(addAll(fourth.queue, [7])[0]!.id).toBe('8');
    await fourth.queue.close();
    expect(store.textOf(NEXT_ID_KEY)).toBe(encodeNextId(9));
  });

  it('R45: restore() gives back what was not stored, for items read back after a restart', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 1, 3_000);
    const store = new MemoryQueueStore();
    const first = rig(w, { paused: true }, store);
    first.queue.add({ url: url(0), target: target(0), headers: { Authorization: 'Bearer t' } });
    await first.queue.ready;
    await first.queue.flushed();
    const second = rig(
      w,
      { restore: (saved) => ({ ...saved, headers: { Authorization: 'Bearer t' } }) },
      store,
    );
    await idleOf(second);
    expect(w.server.requests.every((q) => q.headers.authorization === 'Bearer t')).toBe(true);
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
  });

  it('R22: a tampered stored item is reported and dropped; the rest of the queue goes on', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 2, 3_000);
    const store = new MemoryQueueStore();
    const first = rig(w, { paused: true }, store);
    const [a, b] = addAll(first.queue, [0, 1]);
    await first.queue.ready;
    await first.queue.flushed();
    store.plant(a!.id, '{"version":1,"id":"x"');
    store.plant('evil', 'x'.repeat(100_000));
    const second = rig(w, {}, store);
    const summary = await idleOf(second);
    expect(summary).toMatchObject({ total: 1, done: 1 });
    expect(second.queue.items().map((i) => i.id)).toEqual([b!.id]);
    expect(second.events).toContainEqual(
      expect.objectContaining({ type: 'notice', code: 'QUEUE_ITEM_INVALID' }),
    );
    expect(w.storage.fileOf(target(1))).toEqual(contents.get(1));
    await second.queue.flushed();
    expect(store.textOf('evil')).toBeUndefined();
  });

  it('R45: 10 000 adds in one turn are stored in calls of at most 4096 items (the first with the next id ahead), and all read back', async () => {
    const w = world({}, SERVING);
    const store = new MemoryQueueStore();
    const sizes: number[] = [];
    const counting: QueueStore = {
      load: () => store.load(),
      put: (items) => {
        const list = [...items];
        sizes.push(list.length);
        return store.put(list);
      },
      remove: (ids) => store.remove(ids),
    };
    const r = rig(w, { paused: true }, counting);
    await r.queue.ready;
    for (let n = 0; n < 10_000; n++) r.queue.add({ url: url(n), target: target(n) });
    await r.queue.flushed();
    expect(sizes).toEqual([4097, 4096, 1808]);
    const stored = E.getOrElseW(() => [])(await store.load()());
    expect(new Set(stored.map((item) => item.id)).size).toBe(10_001);
    expect(store.textOf(NEXT_ID_KEY)).toBe(encodeNextId(10_001));
  });

  it.each([
    ['plain options (kept in rows)', {}],
    ['options with a hook (kept as objects)', { hook: () => 0 }],
  ])(
    'R45: a store that fails once the queue is ready is asked once a change, never again without end: %s',
    async (_name, extra) => {
      const w = world({}, SERVING);
      publishFiles(w, 3, 3_000);
      const store = new MemoryQueueStore();
      const r = rig(w, { concurrency: 1 }, store);
      await r.queue.ready;
      store.failAll({ _tag: 'NoSpace', message: 'disk full' });
      const before = store.calls;
      addAll(r.queue, [0, 1, 2], extra as Partial<DownloadOptions>);
      await r.queue.flushed();
      // The three adds went in one write, which failed: the queue said so, and asked nothing more.
      expect(store.calls - before).toBeLessThanOrEqual(2);
      expect(r.events).toContainEqual(expect.objectContaining({ type: 'notice', code: 'QUEUE_NOT_SAVED' }));
      // The downloads go on, in memory: each waits for the store at its end, and is not kept waiting.
      const summary = await idleOf(r);
      expect(summary.done).toBe(3);
    },
  );

  it.each([
    ['plain options (kept in rows)', {}],
    ['options with a hook (kept as objects)', { hook: () => 0 }],
  ])(
    'R45: an item a listener of `added` forgets at once is not stored, so no restart brings it back: %s',
    async (_name, extra) => {
      const w = world({}, SERVING);
      const store = new MemoryQueueStore();
      const r = rig(w, { paused: true }, store);
      await r.queue.ready;
      const stop = r.queue.on('added', (event) => {
        if (event.target === target(0)) r.queue.forget(event.id);
      });
      const [a, b, c] = addAll(r.queue, [0, 1, 2], extra as Partial<DownloadOptions>);
      stop();
      await r.queue.flushed();
      expect(store.textOf(a!.id)).toBeUndefined();
      const again = createQueue(
        { paused: true },
        { clock: w.clock, store, createDownload: () => null as never },
      );
      await again.ready;
      expect(again.items().map((item) => item.id)).toEqual([b!.id, c!.id]);
    },
  );

  it('a store that fails is a notice; the queue goes on in memory', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 2, 3_000);
    const store = new MemoryQueueStore();
    const r = rig(w, {}, store);
    await r.queue.ready;
    store.failAll({ _tag: 'NoSpace', message: 'disk full' });
    addAll(r.queue, [0, 1]);
    const summary = await idleOf(r);
    expect(summary.done).toBe(2);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'notice', code: 'QUEUE_NOT_SAVED' }));
  });

  it("R45, R34, R19: a store that fails keeps each finished file's checkpoint beside it, so that a rerun adopts the files with no request and removes them", async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 2, 3_000);
    const store = new MemoryQueueStore();
    const r = rig(w, {}, store);
    await r.queue.ready;
    store.failAll({ _tag: 'NoSpace', message: 'disk full' });
    // Item 0 saves checkpoints as it goes; item 1 is done before its first, so its queue would have kept one.
    const [a] = addAll(r.queue, [0]);
    const [b] = addAll(r.queue, [1], { checkpointIntervalMs: 60_000 });
    expect((await idleOf(r)).done).toBe(2);
    await r.queue.flushed();
    for (const n of [0, 1]) {
      expect(w.storage.fileOf(target(n))).toEqual(contents.get(n));
      expect(w.checkpoints.raw(target(n))).toMatch(/"ranges":\[\[0,3000\]\]/);
    }
    const kept = r.events.filter(
      (event) => event.type === 'notice' && event.code === 'QUEUE_CHECKPOINT_KEPT',
    );
    expect(kept.map((event) => (event.type === 'notice' ? event.message.split(':')[0] : ''))).toEqual([
      target(0),
      target(1),
    ]);
    expect(store.textOf(a!.id)).toBeUndefined();
    expect(store.textOf(b!.id)).toBeUndefined();

    // The rerun, with room: the same items again, as a command run again adds them.
    const requests = w.server.requests.length;
    const next = rig(w, {}, new MemoryQueueStore());
    await next.queue.ready;
    addAll(next.queue, [0]);
    addAll(next.queue, [1], { checkpointIntervalMs: 60_000 });
    expect(await idleOf(next)).toMatchObject({ done: 2, failed: 0 });
    expect(w.server.requests.length).toBe(requests);
    for (const n of [0, 1]) {
      expect(w.storage.fileOf(target(n))).toEqual(contents.get(n));
      expect(w.checkpoints.raw(target(n))).toBeNull();
    }
  });

  it('R45, R29: when the checkpoint beside a finished file cannot be saved either (a full folder), no notice says it stays: QUEUE_CHECKPOINT_LOST says the next run fetches it again', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 1, 3_000);
    const full = { _tag: 'NoSpace', message: 'disk full' } as const;
    let saves = 0;
    const ports: DownloadPorts = {
      ...w.ports,
      checkpoints: {
        load: (t) => w.checkpoints.load(t),
        remove: (t) => w.checkpoints.remove(t),
        save: () => async () => {
          saves += 1;
          return E.left(full);
        },
      },
    };
    const store = new MemoryQueueStore();
    const r = rig(w, {}, store, ports);
    await r.queue.ready;
    store.failAll(full);
    // Done before its first checkpoint was due: only the one the queue would keep counts it.
    addAll(r.queue, [0], { checkpointIntervalMs: 60_000 });
    expect((await idleOf(r)).done).toBe(1);
    await r.queue.flushed();
    expect(w.storage.fileOf(target(0))).toEqual(contents.get(0));
    expect(saves).toBeGreaterThan(0);
    expect(w.checkpoints.raw(target(0))).toBeNull();
    const notices = r.events.flatMap((event) =>
      event.type === 'notice' && event.code.startsWith('QUEUE_CHECKPOINT_') ? [event] : [],
    );
    expect(notices).toEqual([
      {
        type: 'notice',
        code: 'QUEUE_CHECKPOINT_LOST',
        message: `${target(0)}: the queue could not record it finished, nor could its checkpoint be saved beside it; the next run fetches it again`,
      },
    ]);
  });

  it('R19: a store that works leaves no checkpoint beside a finished file', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 2, 3_000);
    const r = rig(w);
    addAll(r.queue, [0]);
    addAll(r.queue, [1], { checkpointIntervalMs: 60_000 });
    expect((await idleOf(r)).done).toBe(2);
    await r.queue.flushed();
    expect([w.checkpoints.raw(target(0)), w.checkpoints.raw(target(1))]).toEqual([null, null]);
    expect(r.events.filter((event) => event.type === 'notice')).toEqual([]);
  });

  it('R45: a store that cannot be read when the queue loads is left as it is: the queue goes on in memory, and a fresh id never replaces a stored item', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 3, 3_000);
    const memory = new MemoryQueueStore();
    const first = rig(w, { paused: true }, memory);
    await first.queue.ready;
    const [kept] = addAll(first.queue, [0]);
    await first.queue.flushed();
    const stored = memory.textOf(kept!.id);
    expect(stored).toBeDefined();
    // The load fails (a full disk, say); writes would succeed.
    const unreadable: QueueStore = {
      load: () => async () => E.left({ _tag: 'NoSpace', message: 'disk full' }),
      put: (items) => memory.put(items),
      remove: (ids) => memory.remove(ids),
    };
    const second = rig(w, {}, unreadable);
    await second.queue.ready;
    const added = addAll(second.queue, [1, 2]);
    expect(added.map((item) => item.id)).toContain(kept!.id);
    const summary = await idleOf(second);
    expect(summary).toMatchObject({ done: 2 });
    await second.queue.flushed();
    expect(second.events).toContainEqual(
      expect.objectContaining({ type: 'notice', code: 'QUEUE_NOT_LOADED' }),
    );
    expect(memory.textOf(kept!.id)).toBe(stored);
    const all = await memory.load()();
    expect(E.isRight(all) && all.right.map((item) => item.id)).toEqual([NEXT_ID_KEY, kept!.id]);
    expect(memory.textOf(NEXT_ID_KEY)).toBe(encodeNextId(2));
  });

  it('pauseAll() stops every running item with its checkpoint; resumeAll() finishes them', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 4, 40_000);
    const r = rig(w, { concurrency: 2 });
    addAll(r.queue, range(4));
    await runUntil(w, () => r.queue.summary().running === 2 && w.server.bytesSent > 20_000);
    r.queue.pauseAll();
    const paused = await idleOf(r);
    expect(paused).toMatchObject({ paused: 4, running: 0, queued: 0 });
    r.queue.resumeAll();
    await idleOf(r);
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
  });

  it('R45: close() pauses the running items where they are and closes the store; a queue made again goes on with them, a paused one stays paused', async () => {
    const w = world({}, SERVING);
    const contents = publishFiles(w, 5, 50_000);
    const memory = new MemoryQueueStore();
    let closes = 0;
    const store: QueueStore = {
      load: () => memory.load(),
      put: (items) => memory.put(items),
      remove: (ids) => memory.remove(ids),
      close: async () => {
        closes += 1;
      },
    };
    const first = rig(w, { concurrency: 3 }, store);
    const ids = addAll(first.queue, range(5)).map((d) => d.id);
    await runUntil(
      w,
      () => first.queue.summary().running === 3 && /"ranges":\[\[/.test(w.checkpoints.raw(target(1)) ?? ''),
    );
    first.queue.pause(ids[2]!);
    let closed = false;
    void first.queue.close().then(() => {
      closed = true;
    });
    // Nothing starts or resumes once close() is asked.
    first.queue.resume(ids[2]!);
    first.queue.resumeAll();
    await runUntil(w, () => closed);
    expect(closes).toBe(1);
    expect(first.queue.summary()).toMatchObject({ running: 0, done: 0, paused: 1, queued: 4 });
    expect(first.events.filter((e) => e.type === 'started')).toHaveLength(3);
    await expect(first.queue.idle()).resolves.toMatchObject({ running: 0 });
    const requestsBefore = w.server.requests.length;
    await runUntil(w, () => false, 200).catch(() => undefined);
    expect(w.server.requests.length).toBe(requestsBefore);

    // Stored as after a kill: the running ones queued, the one paused by the caller paused.
    expect(ids.map((id) => decodeRecord(id, memory.textOf(id)!)?.state)).toEqual([
      'queued',
      'queued',
      'paused',
      'queued',
      'queued',
    ]);
    const second = rig(w, { concurrency: 3 }, memory);
    await second.queue.ready;
    second.queue.resume(ids[2]!);
    const summary = await idleOf(second);
    expect(summary).toMatchObject({ total: 5, done: 5 });
    for (const [n, content] of contents) expect(w.storage.fileOf(target(n))).toEqual(content);
    const resumed = w.server.requests
      .slice(requestsBefore)
      .find((q) => q.url === url(1) && q.method === 'GET');
    expect(resumed?.headers.range).toMatch(/^bytes=[1-9]\d*-/);
  });

  it('R24, R45: close() settles the result of every item it leaves not running (paused by it, paused, queued) with ERR_ABORTED; they stay stored as they were', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 3, 60_000);
    const store = new MemoryQueueStore();
    const r = rig(w, { concurrency: 1 }, store);
    const [running, paused, queued] = addAll(r.queue, [0, 1, 2]);
    r.queue.pause(paused!.id);
    await runUntil(w, () => (running!.getSnapshot().progress.bytes ?? 0) > 20_000);
    const asked = [running, paused, queued].map((item) => item!.result.catch((e: unknown) => e));
    let closed = false;
    void r.queue.close().then(() => {
      closed = true;
    });
    await runUntil(w, () => closed);
    for (const error of await Promise.all(asked)) expect(error).toMatchObject({ code: 'ERR_ABORTED' });
    // Asked after close(), through the handle or one from get(): settled at once too.
    await expect(queued!.result).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(r.queue.get(running!.id)!.start()).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(r.queue.items().map((item) => item.state)).toEqual(['queued', 'paused', 'queued']);
    expect(
      [running, paused, queued].map((item) => decodeRecord(item!.id, store.textOf(item!.id)!)?.state),
    ).toEqual(['queued', 'paused', 'queued']);
  });

  it('R30: add() once close() is asked is refused with ERR_INVALID_INPUT: nothing added, told or stored', async () => {
    const w = world({}, SERVING);
    publishFiles(w, 1, 1_000);
    const store = new MemoryQueueStore();
    const r = rig(w, { paused: true }, store);
    await r.queue.ready;
    let closed = false;
    void r.queue.close().then(() => {
      closed = true;
    });
    const during = r.queue.add({ url: url(0), target: target(0) });
    await runUntil(w, () => closed);
    const calls = store.calls;
    const after = r.queue.add({ url: url(0), target: target(0) });
    await r.queue.flushed();
    for (const item of [during, after]) {
      await expect(item.result).rejects.toMatchObject({
        code: 'ERR_INVALID_INPUT',
        message: 'invalid queue: closed: add() after close() adds nothing',
      });
      expect(item.getSnapshot().state).toBe('failed');
      expect(r.queue.get(item.id)).toBeUndefined();
    }
    expect(store.calls).toBe(calls);
    expect(r.queue.summary().total).toBe(0);
    expect(r.events.filter((e) => e.type === 'added')).toEqual([]);
    expect(E.getOrElseW(() => null)(await store.load()())).toEqual([]);
  });

  it.each([
    ['null', null, 'options', 'must be an object, not null'],
    ['a number', 5, 'options', 'must be an object, not number'],
    [
      'a getter that throws',
      {
        get concurrency(): number {
          throw new Error('g');
        },
      },
      'options',
      'cannot be read: g',
    ],
    ["paused: 'yes'", { paused: 'yes' }, 'paused', 'must be true or false'],
    ['restore: 5', { restore: 5 }, 'restore', 'must be a function'],
  ])(
    'R30: queue options of %s throw ERR_INVALID_INPUT naming the option',
    (_name, options, field, message) => {
      const w = world();
      expect(() => rig(w, options as unknown as QueueOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: `invalid ${field}: ${message}` }),
      );
    },
  );

  it('bad queue options throw ERR_INVALID_INPUT', () => {
    const w = world();
    const make = (options: QueueOptions) => () => rig(w, options);
    expect(make({ concurrency: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
    expect(make({ concurrency: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
    expect(make({ maxConnectionsPerOrigin: 10_000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_INPUT' }),
    );
    expect(make({ maxBytesPerSecond: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
  });
});
