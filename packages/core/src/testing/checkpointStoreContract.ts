import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../ports/CheckpointStore.js';
import { expectRight } from './taskEitherAssertions.js';

/** One fresh checkpoint store for one test. */
export interface CheckpointStoreUnderTest {
  readonly store: CheckpointStore;
  /** The key to use for a short `name` (a path in a temporary folder for a file system). Default: `name`. */
  readonly targetFor?: (name: string) => string;
  readonly cleanup?: () => Promise<void>;
}

/**
 * The `CheckpointStore` contract as a vitest suite: run it against every implementation
 * (`checkpointStoreContract('FileCheckpointStore', async () => ({ store, cleanup }))`).
 */
export const checkpointStoreContract = (
  name: string,
  makeStore: () => Promise<CheckpointStoreUnderTest>,
): void => {
  const withStore =
    (body: (store: CheckpointStore, target: (name: string) => string) => Promise<void>) => async () => {
      const sut = await makeStore();
      try {
        await body(sut.store, sut.targetFor ?? ((n) => n));
      } finally {
        await sut.cleanup?.();
      }
    };

  describe(`${name} satisfies the CheckpointStore contract`, () => {
    it(
      'R22: load of a key never saved is null',
      withStore(async (store, target) => {
        expect(await expectRight(store.load(target('a')))).toBeNull();
      }),
    );

    it(
      'R20: save then load gives the text back, whole',
      withStore(async (store, target) => {
        const text = '{"version":1,"url":"https://example.com/ü","ranges":[[0,10]]}';
        await expectRight(store.save(target('a'), text));
        expect(await expectRight(store.load(target('a')))).toBe(text);
      }),
    );

    it(
      'R20: a save replaces the previous text, never leaving a mix',
      withStore(async (store, target) => {
        await expectRight(store.save(target('a'), 'x'.repeat(1000)));
        await expectRight(store.save(target('a'), 'short'));
        expect(await expectRight(store.load(target('a')))).toBe('short');
      }),
    );

    it(
      'R19: remove deletes; load is then null',
      withStore(async (store, target) => {
        await expectRight(store.save(target('a'), 'text'));
        await expectRight(store.remove(target('a')));
        expect(await expectRight(store.load(target('a')))).toBeNull();
      }),
    );

    it(
      'R24: remove of a missing key succeeds',
      withStore(async (store, target) => {
        await expectRight(store.remove(target('never')));
        await expectRight(store.save(target('a'), 'text'));
        await expectRight(store.remove(target('a')));
        await expectRight(store.remove(target('a')));
      }),
    );

    it(
      'keys are independent',
      withStore(async (store, target) => {
        await expectRight(store.save(target('a'), 'one'));
        await expectRight(store.save(target('b'), 'two'));
        await expectRight(store.remove(target('a')));
        expect(await expectRight(store.load(target('a')))).toBeNull();
        expect(await expectRight(store.load(target('b')))).toBe('two');
      }),
    );

    it(
      'keeps large texts whole',
      withStore(async (store, target) => {
        const ranges = Array.from({ length: 20_000 }, (_, i) => `[${i * 10},${i * 10 + 5}]`).join(',');
        const text = `{"ranges":[${ranges}]}`;
        await expectRight(store.save(target('a'), text));
        expect(await expectRight(store.load(target('a')))).toBe(text);
      }),
    );

    it(
      'keeps the empty text apart from a missing key',
      withStore(async (store, target) => {
        await expectRight(store.save(target('a'), ''));
        expect(await expectRight(store.load(target('a')))).toBe('');
      }),
    );
  });
};
