import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ColdItems } from '../../src/api/coldItems.js';
import { createQueue } from '../../src/api/createQueue.js';
import { ManualClock } from '../../src/memory/ManualClock.js';
import { MemoryQueueStore } from '../../src/memory/MemoryQueueStore.js';
import type { Queue } from '../../src/model/queue.js';
import type { QueueStore } from '../../src/ports/QueueStore.js';

/**
 * The order of a queue's items (R45): `move`, `reorder`, `forget` and restarts over the same store against a plain
 * array of ids, and what putting a long list in place costs. Nothing runs: every queue is paused.
 */

const open = (store: QueueStore): Queue =>
  createQueue(
    { paused: true },
    {
      clock: new ManualClock(),
      store,
      createDownload: () => {
        throw new Error('a paused queue starts nothing');
      },
    },
  );

const optionsOf = (n: number) => ({ url: `https://files.example/${n}.bin`, target: `/data/${n}.bin` });

const idsOf = (queue: Queue): string[] => queue.items().map((item) => item.id);

type Command =
  | { readonly kind: 'add'; readonly hooked: boolean }
  | { readonly kind: 'move'; readonly pick: number; readonly position: number }
  | { readonly kind: 'reorder'; readonly picks: readonly number[]; readonly unknown: boolean }
  | { readonly kind: 'forget' | 'get'; readonly pick: number }
  | { readonly kind: 'forgetMany'; readonly picks: readonly number[]; readonly unknown: boolean }
  | { readonly kind: 'restart' };

const pick = fc.nat({ max: 60 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), hooked: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      pick,
      position: fc.integer({ min: -2, max: 40 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('reorder' as const),
      picks: fc.array(pick, { maxLength: 30 }),
      unknown: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('forget', 'get') as fc.Arbitrary<'forget' | 'get'>,
      pick,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forgetMany' as const),
      picks: fc.array(pick, { maxLength: 30 }),
      unknown: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

/** The model of `reorder`: the ids named (known, first time), in that order, then the others as they were. */
const reordered = (order: readonly string[], named: readonly string[]): string[] => {
  const first = [...new Set(named.filter((id) => order.includes(id)))];
  return [...first, ...order.filter((id) => !first.includes(id))];
};

describe('createQueue: the order of its items', () => {
  it('R45: move, reorder, forget (of one or many) and restarts give the order a plain array of ids gives, kept in rows or as objects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (commands) => {
        const store = new MemoryQueueStore();
        let queue = open(store);
        await queue.ready;
        let order: string[] = [];
        let next = 0;
        for (const c of commands) {
          const at = (n: number): string | undefined => order[n % Math.max(1, order.length)];
          if (c.kind === 'add') {
            const n = next++;
            const options = c.hooked ? { ...optionsOf(n), hook: () => 0 } : optionsOf(n);
            order.push(queue.add(options).id);
          } else if (c.kind === 'move') {
            const id = at(c.pick);
            if (id === undefined) continue;
            queue.move(id, c.position);
            order = order.filter((each) => each !== id);
            order.splice(Math.max(0, Math.min(order.length, c.position)), 0, id);
          } else if (c.kind === 'reorder') {
            const named = c.picks.flatMap((p) => at(p) ?? []);
            if (c.unknown) named.splice(named.length >> 1, 0, '999999');
            queue.reorder(named);
            order = reordered(order, named);
          } else if (c.kind === 'forget') {
            const id = at(c.pick);
            if (id === undefined) continue;
            queue.forget(id);
            order = order.filter((each) => each !== id);
          } else if (c.kind === 'forgetMany') {
            // Named twice or unknown, an id is passed over.
            const named = c.picks.flatMap((p) => at(p) ?? []);
            if (c.unknown) named.splice(named.length >> 1, 0, '999999');
            queue.forget(named);
            order = order.filter((each) => !named.includes(each));
          } else if (c.kind === 'get') {
            // Made an object from its row, in its place.
            const id = at(c.pick);
            if (id !== undefined) queue.get(id)?.getSnapshot();
          } else {
            await queue.flushed();
            queue = open(store);
            await queue.ready;
          }
          expect(idsOf(queue)).toEqual(order);
        }
        await queue.flushed();
        const again = open(store);
        await again.ready;
        expect(idsOf(again)).toEqual(order);
      }),
      { numRuns: 300 },
    );
  });
});

describe('createQueue: a long list put in place', () => {
  afterEach(() => vi.restoreAllMocks());

  /** A store that counts the items it is given to write. */
  const countingStore = () => {
    const store = new MemoryQueueStore();
    let written = 0;
    const counting: QueueStore = {
      load: () => store.load(),
      put: (items) => {
        const list = [...items];
        written += list.length;
        return store.put(list);
      },
      remove: (ids) => store.remove(ids),
    };
    return { store: counting, written: () => written };
  };

  it('R45: what `rdl -i` does to a queue read back (items, a resume of each paused one, a reorder) leaves every item a row and searches the whole order for none', async () => {
    const count = 4096;
    const { store, written } = countingStore();
    const first = open(store);
    await first.ready;
    const ids = Array.from({ length: count }, (_, n) => first.add(optionsOf(n)).id);
    for (let n = 0; n < count; n += 3) first.pause(ids[n]!);
    await first.flushed();

    const queue = open(store);
    await queue.ready;
    const thawed = vi.spyOn(ColdItems.prototype, 'release');
    const orderReads = vi.spyOn(ColdItems.prototype, 'order');
    // Every search through an array as long as the queue: `indexOf`, or a `splice` shifting it.
    let scanned = 0;
    const scans = <K extends 'indexOf' | 'splice'>(name: K) => {
      const original = Array.prototype[name] as (...args: unknown[]) => unknown;
      vi.spyOn(Array.prototype, name).mockImplementation(function (this: unknown[], ...args: unknown[]) {
        if (this.length >= count) scanned += this.length;
        return original.apply(this, args);
      } as never);
    };
    scans('indexOf');
    scans('splice');
    const before = written();

    const paused = queue.items().filter((item) => item.state === 'paused');
    orderReads.mockClear();
    for (const item of paused) queue.resume(item.id);
    // Each resume finds its row's place by a binary search: about log2(4096) = 12 orders read, not 4096.
    const readsPerResume = orderReads.mock.calls.length / paused.length;
    const reversed = [...ids].reverse();
    queue.reorder(reversed);
    // The list again, in the order it now has: nothing moves, nothing more is written.
    queue.reorder(reversed);

    expect(scanned).toBe(0);
    expect(thawed).not.toHaveBeenCalled();
    expect(paused.length).toBe(Math.ceil(count / 3));
    expect(readsPerResume).toBeLessThanOrEqual(Math.log2(count) + 2);
    vi.restoreAllMocks();

    expect(idsOf(queue)).toEqual(reversed);
    expect(queue.summary()).toMatchObject({ total: count, queued: count, paused: 0 });
    await queue.flushed();
    // Reversed, every order had to change (one write each, with the resumed states); the second reorder added none.
    expect(written() - before).toBeLessThanOrEqual(count + 1);
    const again = open(store);
    await again.ready;
    expect(idsOf(again)).toEqual(reversed);
  });

  it('R45: forgetting most of a queue read back (a list run again with another list) is one pass over its order, and what is left keeps its order after a restart', async () => {
    const count = 4096;
    const { store } = countingStore();
    const first = open(store);
    await first.ready;
    const ids = Array.from({ length: count }, (_, n) => first.add(optionsOf(n)).id);
    // One as an object (its handle used), the rest rows.
    first.get(ids[4]!)?.getSnapshot();
    await first.flushed();

    const queue = open(store);
    await queue.ready;
    queue.get(ids[8]!)?.getSnapshot();
    const events: string[] = [];
    queue.subscribe((event) => {
      if (event.type === 'removed') events.push(event.id);
    });
    let scanned = 0;
    for (const name of ['indexOf', 'splice'] as const) {
      const original = Array.prototype[name] as (...args: unknown[]) => unknown;
      vi.spyOn(Array.prototype, name).mockImplementation(function (this: unknown[], ...args: unknown[]) {
        if (this.length >= count / 4) scanned += this.length;
        return original.apply(this, args);
      } as never);
    }
    const forgotten = ids.filter((_, n) => n % 4 !== 0);
    queue.forget([...forgotten, forgotten[0]!, 'unknown']);
    // One id at a time, each forget shifted the rest of the order: here some 4096 × 3072 / 2 moves.
    expect(scanned).toBe(0);
    vi.restoreAllMocks();

    const kept = ids.filter((_, n) => n % 4 === 0);
    expect(idsOf(queue)).toEqual(kept);
    expect(events).toEqual(forgotten);
    expect(queue.summary()).toMatchObject({ total: kept.length, queued: kept.length });
    expect(queue.get(ids[1]!)).toBeUndefined();
    await queue.flushed();
    const again = open(store);
    await again.ready;
    expect(idsOf(again)).toEqual(kept);
  });
});
