import { describe, expect, it } from 'vitest';
import type { QueueStore, StoredItem } from '../ports/QueueStore.js';
import { decodeRecord } from '../rules/queueRecord.js';
import { expectRight } from './taskEitherAssertions.js';

/** One fresh queue store for one test, and how to open the same storage again (the next process). */
export interface QueueStoreUnderTest {
  readonly store: QueueStore;
  /** A second store over the same storage, as a process started after this one would open it. */
  readonly reopen: () => Promise<QueueStore>;
  /**
   * Damages the stored entry of `id` as its storage can be damaged (a line of a file edited so that it no longer
   * parses, a value in a database that is not text), with no store open.
   */
  readonly damage: (id: string) => Promise<void>;
  readonly cleanup?: () => Promise<void>;
}

const sorted = (items: readonly StoredItem[]) =>
  [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * The `QueueStore` contract as a vitest suite (R45): run it against every implementation
 * (`queueStoreContract('FileQueueStore', async () => ({ store, reopen, cleanup }))`).
 */
export const queueStoreContract = (name: string, makeStore: () => Promise<QueueStoreUnderTest>): void => {
  const withStore = (body: (sut: QueueStoreUnderTest) => Promise<void>) => async () => {
    const sut = await makeStore();
    try {
      await body(sut);
    } finally {
      await sut.cleanup?.();
    }
  };

  describe(`${name} satisfies the QueueStore contract`, () => {
    it(
      'R45: an empty store loads no item',
      withStore(async ({ store }) => {
        expect(await expectRight(store.load())).toEqual([]);
      }),
    );

    it(
      'R45: what was put is loaded back whole by the next process, the latest text of each id',
      withStore(async ({ store, reopen }) => {
        await expectRight(
          store.put([
            { id: 'a', text: '{"n":1}' },
            { id: 'b', text: 'ü'.repeat(1000) },
          ]),
        );
        await expectRight(store.put([{ id: 'a', text: '{"n":2}' }]));
        const next = await reopen();
        expect(sorted(await expectRight(next.load()))).toEqual([
          { id: 'a', text: '{"n":2}' },
          { id: 'b', text: 'ü'.repeat(1000) },
        ]);
      }),
    );

    it(
      'R45: removed ids are gone; removing a missing id and empty calls succeed',
      withStore(async ({ store, reopen }) => {
        await expectRight(
          store.put([
            { id: 'a', text: 'x' },
            { id: 'b', text: 'y' },
          ]),
        );
        await expectRight(store.remove(['a', 'never']));
        await expectRight(store.put([]));
        await expectRight(store.remove([]));
        expect(await expectRight((await reopen()).load())).toEqual([{ id: 'b', text: 'y' }]);
      }),
    );

    it(
      'R45: ids and texts of any characters survive (quotes, newlines, separators, unicode)',
      withStore(async ({ store, reopen }) => {
        const items = [
          { id: 'a"b', text: 'line\nbreak\r\n"quoted"\u2028\u0000' },
          { id: '\n', text: '' },
          { id: 'ü/..\\x', text: '{}' },
        ];
        await expectRight(store.put(items));
        expect(sorted(await expectRight((await reopen()).load()))).toEqual(sorted(items));
      }),
    );

    it(
      'R45: a put reads its items once, as a generator gives them, and an empty generator stores nothing',
      withStore(async ({ store, reopen }) => {
        let taken = 0;
        function* items(count: number): Generator<{ id: string; text: string }> {
          for (let i = 0; i < count; i++) {
            taken += 1;
            yield { id: `g${i}`, text: `t${i}` };
          }
        }
        await expectRight(store.put(items(0)));
        await expectRight(store.put(items(300)));
        expect(taken).toBe(300);
        const loaded = sorted(await expectRight((await reopen()).load()));
        expect(loaded).toEqual(
          sorted(Array.from({ length: 300 }, (_, i) => ({ id: `g${i}`, text: `t${i}` }))),
        );
      }),
    );

    it(
      'R45: a put stores its items in the order given: an id twice in one call keeps its later text',
      withStore(async ({ store, reopen }) => {
        await expectRight(
          store.put([
            { id: 'next-id', text: '1' },
            { id: 'a', text: 'x' },
            { id: 'next-id', text: '2' },
          ]),
        );
        expect(sorted(await expectRight((await reopen()).load()))).toEqual([
          { id: 'a', text: 'x' },
          { id: 'next-id', text: '2' },
        ]);
      }),
    );

    it(
      'R45: an entry damaged in storage is loaded as an item whose text is no record (for the queue to report), the others whole; removing its id forgets it',
      withStore(async ({ store, reopen, damage }) => {
        await expectRight(
          store.put([
            { id: '1', text: 'one' },
            { id: '2', text: 'two' },
            { id: '3', text: 'three' },
          ]),
        );
        await store.close?.();
        await damage('2');
        const next = await reopen();
        const loaded = await expectRight(next.load());
        const kept = loaded.filter((item) => item.id === '1' || item.id === '3');
        expect(sorted(kept)).toEqual([
          { id: '1', text: 'one' },
          { id: '3', text: 'three' },
        ]);
        const damaged = loaded.filter((item) => !kept.includes(item));
        expect(damaged).toHaveLength(1);
        expect(decodeRecord(damaged[0]!.id, damaged[0]!.text)).toBeNull();
        await expectRight(next.remove([damaged[0]!.id]));
        await next.close?.();
        expect(sorted(await expectRight((await reopen()).load()))).toEqual(kept);
      }),
    );

    it(
      'R45: many items and many changes: each id keeps only its latest text',
      withStore(async ({ store, reopen }) => {
        const ids = Array.from({ length: 2000 }, (_, i) => String(i));
        await expectRight(store.put(ids.map((id) => ({ id, text: `v1-${id}` }))));
        for (let round = 2; round <= 6; round++) {
          await expectRight(store.put(ids.slice(0, 200).map((id) => ({ id, text: `v${round}-${id}` }))));
        }
        await expectRight(store.remove(ids.slice(1000)));
        const loaded = await expectRight((await reopen()).load());
        expect(loaded).toHaveLength(1000);
        const byId = new Map(loaded.map((item) => [item.id, item.text]));
        expect(byId.get('5')).toBe('v6-5');
        expect(byId.get('500')).toBe('v1-500');
        expect(byId.has('1500')).toBe(false);
      }),
    );
  });
};
