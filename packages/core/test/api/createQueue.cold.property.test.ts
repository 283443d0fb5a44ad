import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QueueBindings } from '../../src/api/createDownload.js';
import { createQueue } from '../../src/api/createQueue.js';
import { noProgress } from '../../src/api/refusedDownload.js';
import { ManualClock } from '../../src/memory/ManualClock.js';
import { MemoryQueueStore } from '../../src/memory/MemoryQueueStore.js';
import { DownloadError } from '../../src/model/DownloadError.js';
import type { Download, DownloadEvent, DownloadResult, DownloadState } from '../../src/model/download.js';
import type { DownloadOptions } from '../../src/model/options.js';
import type { Queue, QueuedDownload } from '../../src/model/queue.js';
import { decodeRecord } from '../../src/rules/queueRecord.js';
import { noValidators } from '../../src/rules/validators.js';

/**
 * A queue keeps an item it only holds in a row of typed arrays (`ColdItems`), and an item with options that are not
 * plain data (a hook) as an object. The two must not be told apart: the same commands on a queue of plain items and
 * on a queue of the same items each with a hook give the same items, summary, events, results and stored records,
 * through pauses, cancels, removals, moves, downloads that end or fail, and restarts over the same store (R45).
 */

/** A download the test ends by hand: `finish`, `fail`; pause, resume and cancel answer as a real one does. */
class HandDownload implements Download {
  readonly result: Promise<DownloadResult>;
  #resolve!: (result: DownloadResult) => void;
  #reject!: (error: unknown) => void;
  #state: DownloadState = 'idle';
  #ended = false;
  readonly #listeners = new Set<(event: DownloadEvent) => void>();

  constructor(
    readonly options: DownloadOptions,
    readonly bindings: QueueBindings,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.result.catch(() => undefined);
  }

  start(): Promise<DownloadResult> {
    this.#to('downloading');
    return this.result;
  }
  pause(): void {
    void Promise.resolve().then(() => {
      if (!this.#ended && this.#state !== 'paused') this.#to('paused');
    });
  }
  resume(): void {
    if (!this.#ended && this.#state === 'paused') this.#to('downloading');
  }
  cancel(): void {
    void Promise.resolve().then(() => this.#end(null, new DownloadError({ _tag: 'Cancelled' })));
  }
  async finish(bytes: number): Promise<void> {
    await this.bindings.finished?.(bytes, true);
    this.#end(
      { target: this.options.target, bytes, sha256: null, checks: [], validators: noValidators },
      null,
    );
  }
  fail(): void {
    this.#end(null, new DownloadError({ _tag: 'BadResponse', reason: 'made to fail' }));
  }
  get running(): boolean {
    return !this.#ended && this.#state === 'downloading';
  }
  setRateLimit(): void {}
  online(): void {}
  offline(): void {}
  subscribe(listener: (event: DownloadEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  on(): () => void {
    return () => undefined;
  }
  getSnapshot() {
    return { state: this.#state, progress: noProgress };
  }

  #to(state: DownloadState): void {
    this.#state = state;
    for (const listener of this.#listeners) listener({ type: 'state', state });
  }
  #end(result: DownloadResult | null, error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (result !== null) this.#resolve(result);
    else this.#reject(error);
  }
}

/** One side of the comparison: a queue, its store, its downloads by target, what it published and settled. */
interface Side {
  queue: Queue;
  readonly store: MemoryQueueStore;
  readonly downloads: Map<string, HandDownload>;
  readonly log: string[];
  readonly handles: Map<string, QueuedDownload>;
  /** Handles taken by `grab` and not used until the end of the run (a row's handle finds its item when first used). */
  readonly grabbed: [string, QueuedDownload][];
}

/** `hooked`: every item's options carry a function, so that none can be kept in a row. */
const open = (
  side: Omit<Side, 'queue'>,
  hooked: boolean,
  clock: ManualClock,
  addEarly: string | null,
): Queue => {
  const queue = createQueue(
    {
      concurrency: 2,
      restore: (saved) => (hooked ? ({ ...saved, hook: () => 0 } as DownloadOptions) : saved),
    },
    {
      clock,
      store: side.store,
      createDownload: (options, bindings) => {
        const download = new HandDownload(options, bindings);
        side.downloads.set(options.target, download);
        return download;
      },
    },
  );
  queue.subscribe((event) => {
    if (event.type !== 'progress') side.log.push(`${event.type}:${'id' in event ? event.id : ''}`);
  });
  if (addEarly !== null) queue.add(optionsOf(addEarly, hooked));
  return queue;
};

/** `bad`: a URL that is no text (R30: the item fails when it starts; here the hand-made download runs it). */
const optionsOf = (name: string, hooked: boolean, bad = false): DownloadOptions => {
  const url = bad ? 42 : `https://files.example/${name}`;
  return (hooked
    ? { url, target: name, hook: () => 0 }
    : { url, target: name }) as unknown as DownloadOptions;
};

/** Lets every microtask and store call run out. */
const settle = async (sides: readonly Side[]): Promise<void> => {
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 20; j++) await Promise.resolve();
    await Promise.all(sides.map((side) => side.queue.flushed()));
  }
};

/** Everything one can see of a side. */
const view = (side: Side) => ({
  // A handle kept from an earlier `get` says what became of its item, in the queue or gone from it.
  handles: [...side.handles].map(([id, handle]) => [id, handle.getSnapshot().state]),
  items: side.queue.items(),
  summary: side.queue.summary(),
  log: side.log,
  stored: side.queue.items().map((item) => {
    const text = side.store.textOf(item.id);
    const record = text === undefined ? null : decodeRecord(item.id, text);
    if (record === null) return [item.id, null];
    const { url, target } = record.options;
    return [item.id, { ...record, options: { url, target } }];
  }),
});

type Command =
  | { readonly kind: 'add'; readonly bad: boolean }
  | {
      readonly kind: 'pause' | 'resume' | 'cancel' | 'remove' | 'forget' | 'start' | 'get' | 'grab';
      readonly pick: number;
    }
  | { readonly kind: 'move'; readonly pick: number; readonly position: number }
  | { readonly kind: 'pauseAll' | 'resumeAll' }
  | { readonly kind: 'finish' | 'fail'; readonly pick: number }
  | { readonly kind: 'restart'; readonly addEarly: boolean };

const pickOne = fc.nat({ max: 50 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('add' as const), bad: fc.nat({ max: 9 }).map((n) => n === 0) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'pause',
        'resume',
        'cancel',
        'remove',
        'forget',
        'start',
        'get',
        'grab',
      ) as fc.Arbitrary<'pause' | 'resume' | 'cancel' | 'remove' | 'forget' | 'start' | 'get' | 'grab'>,
      pick: pickOne,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      pick: pickOne,
      position: fc.integer({ min: -1, max: 40 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('pauseAll', 'resumeAll') as fc.Arbitrary<'pauseAll' | 'resumeAll'>,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom('finish', 'fail') as fc.Arbitrary<'finish' | 'fail'>,
      pick: pickOne,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), addEarly: fc.boolean() }) },
);

describe('createQueue: items kept in rows and as objects', () => {
  it('R45: the same commands give the same items, events, results and stored records, whichever way items are kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 80, size: 'medium' }),
        async (commands) => {
          const clock = new ManualClock();
          const make = (): Omit<Side, 'queue'> => ({
            store: new MemoryQueueStore(),
            downloads: new Map(),
            log: [],
            handles: new Map(),
            grabbed: [],
          });
          const plain = { ...make(), queue: null as unknown as Queue };
          const hooked = { ...make(), queue: null as unknown as Queue };
          plain.queue = open(plain, false, clock, null);
          hooked.queue = open(hooked, true, clock, null);
          const sides = [plain, hooked] as const;
          await Promise.all(sides.map((side) => side.queue.ready));
          let next = 0;
          for (const c of commands) {
            const ids = plain.queue.items().map((item) => item.id);
            const id = 'pick' in c ? ids[c.pick % Math.max(1, ids.length)] : undefined;
            if ('pick' in c && id === undefined) continue;
            if (c.kind === 'add') {
              const name = `f${next++}.bin`;
              for (const side of sides) side.queue.add(optionsOf(name, side === hooked, c.bad));
            } else if (c.kind === 'restart') {
              const early = c.addEarly ? `f${next++}.bin` : null;
              for (const side of sides) {
                side.queue = open(side, side === hooked, clock, early);
                side.log.push('restart');
              }
              await Promise.all(sides.map((side) => side.queue.ready));
            } else if (c.kind === 'pauseAll' || c.kind === 'resumeAll') {
              for (const side of sides) side.queue[c.kind]();
            } else if (c.kind === 'move') {
              for (const side of sides) side.queue.move(id!, c.position);
            } else if (c.kind === 'finish' || c.kind === 'fail') {
              const target = plain.queue.items().find((item) => item.id === id)!.target;
              for (const side of sides) {
                const download = side.downloads.get(target);
                if (download?.running !== true) continue;
                if (c.kind === 'finish') void download.finish(target.length);
                else download.fail();
              }
            } else if (c.kind === 'grab') {
              for (const side of sides) {
                const handle = side.queue.get(id!);
                if (handle !== undefined) side.grabbed.push([id!, handle]);
              }
            } else if (c.kind === 'start' || c.kind === 'get') {
              for (const side of sides) {
                const handle = side.queue.get(id!);
                if (handle === undefined) continue;
                if (!side.handles.has(id!)) {
                  handle.result.then(
                    (result) => side.log.push(`settled:${id}:${result.bytes}`),
                    (error: DownloadError) => side.log.push(`settled:${id}:${error.code}`),
                  );
                }
                side.handles.set(id!, handle);
                side.log.push(`snapshot:${id}:${handle.getSnapshot().state}`);
                if (c.kind === 'start') {
                  handle.start().then(
                    (result) => side.log.push(`result:${id}:${result.bytes}`),
                    (error: DownloadError) => side.log.push(`result:${id}:${error.code}`),
                  );
                }
              }
            } else {
              for (const side of sides) side.queue[c.kind](id!);
            }
            await settle(sides);
            expect(view(plain)).toEqual(view(hooked));
          }
          // The handles grabbed and never used: first used now, after whatever became of their items.
          const late = (side: Side) =>
            side.grabbed.map(([id, handle]) => {
              handle.result.then(
                (result) => side.log.push(`late:${id}:${result.bytes}`),
                (error: DownloadError) => side.log.push(`late:${id}:${error.code}`),
              );
              return [id, handle.getSnapshot().state];
            });
          expect(late(plain)).toEqual(late(hooked));
          await settle(sides);
          expect(view(plain)).toEqual(view(hooked));
        },
      ),
      { numRuns: 300 },
    );
  });
});
