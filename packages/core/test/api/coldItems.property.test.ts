import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColdItems, type ColdState } from '../../src/api/coldItems.js';
import type { DownloadOptions } from '../../src/model/options.js';

/**
 * The rows a queue keeps its idle items in (`ColdItems`): whatever is added, released, changed and marked, in any
 * order, each row reads back what was put in it, ids find their rows, and the rows to write are those marked.
 */

interface Kept {
  readonly id: number;
  order: number;
  state: ColdState;
  readonly options: DownloadOptions;
  readonly origin: string;
  readonly asStored: boolean;
  readonly bytes: number;
}

const STATES: readonly ColdState[] = ['queued', 'paused', 'done', 'cancelled'];

/** Texts of every kind: ASCII, Latin-1, beyond (CJK, emoji halves), and long ones that span chunks over many rows. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', 'é', 'ÿ', '文', '😀', '\u0000', '"', '\\'), maxLength: 60 }),
  fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n)),
);

const options: fc.Arbitrary<DownloadOptions> = fc
  .record(
    {
      url: text.map((t) => `https://h/${t}`),
      target: text,
      connections: fc.integer({ min: 1, max: 16 }),
      headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ maxLength: 10 })),
    },
    { requiredKeys: ['url', 'target'] },
  )
  .map((o) => o as DownloadOptions);

type Command =
  | {
      readonly kind: 'add';
      readonly id: number;
      readonly options: DownloadOptions;
      readonly state: ColdState;
    }
  | { readonly kind: 'release'; readonly pick: number }
  | { readonly kind: 'state'; readonly pick: number; readonly state: ColdState }
  | { readonly kind: 'order'; readonly pick: number; readonly order: number }
  | { readonly kind: 'mark'; readonly pick: number }
  | { readonly kind: 'write'; readonly count: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      id: fc.oneof(
        fc.nat({ max: 300 }),
        fc.nat({ max: 300 }).map((n) => n + 10_000_000),
      ),
      options,
      state: fc.constantFrom(...STATES),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('state' as const),
      pick: fc.nat(),
      state: fc.constantFrom(...STATES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      pick: fc.nat(),
      order: fc.double({ noNaN: true, noDefaultInfinity: true }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mark' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('write' as const), count: fc.integer({ min: 1, max: 5 }) }),
  },
);

const origins = ['https://a', 'https://b', ''];

describe('ColdItems', () => {
  it('R45: every row reads back what it holds, through any adds, releases, changes and marks', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 120 }), (commands) => {
        const cold = new ColdItems();
        const model = new Map<number, Kept>();
        const dirty = new Set<number>();
        const rows = () => [...model.keys()];
        const pickRow = (pick: number) => rows()[pick % Math.max(1, model.size)];
        for (const c of commands) {
          if (c.kind === 'add') {
            const bytes = c.id % 7;
            const origin = origins[c.id % origins.length]!;
            const asStored = c.id % 2 === 0;
            const known = cold.rowOf(c.id) !== undefined;
            const row = cold.add(c.id, c.id / 3, c.state, c.options, origin, asStored, bytes);
            // An id already kept, or one too far from the others (the table of ids stays small), is refused.
            if (known || row === null) {
              expect(row).toBeNull();
              continue;
            }
            expect(model.has(row)).toBe(false);
            model.set(row, {
              id: c.id,
              order: c.id / 3,
              state: c.state,
              options: c.options,
              origin,
              asStored,
              bytes,
            });
          } else if (c.kind === 'write') {
            const taken = cold.dirtyRows(c.count);
            expect(new Set(taken).size).toBe(taken.length);
            for (const each of taken) {
              expect(dirty.has(each)).toBe(true);
              expect(cold.clearDirty(each)).toBe(true);
              dirty.delete(each);
            }
            // As many as asked, unless fewer were marked.
            expect(taken.length === c.count || dirty.size === 0).toBe(true);
          } else {
            const row = pickRow(c.pick);
            if (row === undefined) continue;
            const kept = model.get(row)!;
            if (c.kind === 'release') {
              cold.release(row);
              model.delete(row);
              dirty.delete(row);
            } else if (c.kind === 'state') {
              cold.setState(row, c.state);
              kept.state = c.state;
            } else if (c.kind === 'order') {
              cold.setOrder(row, c.order);
              kept.order = c.order;
            } else {
              cold.markDirty(row);
              dirty.add(row);
            }
          }
          expect(cold.size).toBe(model.size);
          expect(cold.dirtyCount).toBe(dirty.size);
        }
        for (const [row, kept] of model) {
          expect(cold.rowOf(kept.id)).toBe(row);
          expect(cold.id(row)).toBe(String(kept.id));
          expect(cold.order(row)).toBe(kept.order);
          expect(cold.state(row)).toBe(kept.state);
          expect(cold.origin(row)).toBe(kept.origin);
          expect(cold.asStored(row)).toBe(kept.asStored);
          expect(cold.bytes(row)).toBe(kept.bytes);
          expect(cold.text(row)).toBe(JSON.stringify(kept.options));
          expect(cold.options(row)).toEqual(JSON.parse(JSON.stringify(kept.options)));
        }
        // Every marked row is given back, each once.
        expect(new Set(cold.dirtyRows(1_000))).toEqual(dirty);
      }),
      { numRuns: 300 },
    );
  });

  it('R45: 100 000 rows of texts over many chunks, most released, read back exactly; a freed id finds nothing', () => {
    const cold = new ColdItems();
    const made: [number, string][] = [];
    for (let id = 1; id <= 100_000; id++) {
      const options = { url: `https://h/${id}.bin`, target: id % 97 === 0 ? `文件/${id}` : `/t/${id}.bin` };
      const row = cold.add(id, id, 'queued', options, 'https://h', true);
      expect(row).not.toBeNull();
      made.push([row!, JSON.stringify(options)]);
    }
    // Every other row, then all of the first 40 000: the first chunks are wholly free, the rest are shared.
    const released = (i: number) => i % 2 === 0 || i < 40_000;
    for (const [row] of made.filter((_, i) => released(i))) cold.release(row);
    expect(cold.size).toBe(30_000);
    for (const [i, [row, text]] of made.entries()) {
      if (released(i)) expect(cold.rowOf(i + 1)).toBeUndefined();
      else expect(cold.text(row)).toBe(text);
    }
    // Released rows are reused, and their new texts read back.
    const again = cold.add(
      100_001,
      0,
      'paused',
      { url: 'https://h/again', target: 'again' },
      'https://h',
      false,
    );
    expect(again).not.toBeNull();
    expect(cold.options(again!)).toEqual({ url: 'https://h/again', target: 'again' });
  });

  it('keeps only plain data: options with a hook, a signal, a class instance or a number JSON cannot hold are refused', () => {
    const base = { url: 'https://h/x', target: 'x' };
    expect(ColdItems.admits(base)).toBe(true);
    expect(ColdItems.admits({ ...base, headers: { a: 'b' }, connections: 4, retry: { retries: 2 } })).toBe(
      true,
    );
    expect(ColdItems.admits({ ...base, refreshUrl: async () => ({ url: 'https://h/y' }) })).toBe(false);
    expect(ColdItems.admits({ ...base, signal: new (class Signal {})() as never })).toBe(false);
    expect(ColdItems.admits({ ...base, connections: Number.NaN })).toBe(false);
    expect(ColdItems.admits({ ...base, maxBytesPerSecond: Number.POSITIVE_INFINITY })).toBe(false);
    expect(ColdItems.admits({ ...base, headers: new Map() as unknown as Record<string, string> })).toBe(
      false,
    );
    const long = new ColdItems().add(1, 0, 'queued', { ...base, target: 'y'.repeat(20_000) }, '', true);
    expect(long).toBeNull();
  });
});
