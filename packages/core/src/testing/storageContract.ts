import { describe, expect, it } from 'vitest';
import type { StoragePort } from '../ports/StoragePort.js';
import { expectLeft, expectRight } from './taskEitherAssertions.js';

/** One fresh storage for one test, and how to look at what it left. */
export interface StorageUnderTest {
  readonly storage: StoragePort;
  /** The target name to use for a short `name` (a path in a temporary folder for a file system). Default: `name`. */
  readonly targetFor?: (name: string) => string;
  /** The committed file `target`, or `null` when there is none. Tests that need it are skipped without it. */
  readonly readTarget?: (target: string) => Promise<Uint8Array | null>;
  /** Whether `<target>.part` exists. Tests that need it are skipped without it. */
  readonly partExists?: (target: string) => Promise<boolean>;
  readonly cleanup?: () => Promise<void>;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

const pattern = (length: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7) & 0xff);

/**
 * The `StoragePort` contract as a vitest suite: run it against every implementation
 * (`storageContract('FsStorage', async () => ({ storage, readTarget, partExists, cleanup }))`).
 */
export const storageContract = (name: string, makeStorage: () => Promise<StorageUnderTest>): void => {
  /** Runs `body` against a fresh storage, cleaning up afterwards even when it fails. */
  const withStorage =
    (body: (sut: StorageUnderTest, target: (name: string) => string, skip: () => void) => Promise<void>) =>
    async (context: { skip: (note?: string) => void }) => {
      const sut = await makeStorage();
      try {
        await body(sut, sut.targetFor ?? ((n) => n), () => context.skip('the factory gave no way to look'));
      } finally {
        await sut.cleanup?.();
      }
    };

  describe(`${name} satisfies the StoragePort contract`, () => {
    it(
      'open creates an empty part file',
      withStorage(async ({ storage, partExists }, target) => {
        const file = await expectRight(storage.open(target('a')));
        expect(await expectRight(file.size())).toBe(0);
        if (partExists !== undefined) expect(await partExists(target('a'))).toBe(true);
        await expectRight(file.close());
      }),
    );

    it(
      'writes at offsets and reads them back',
      withStorage(async ({ storage }, target) => {
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(1, 2, 3)));
        await expectRight(file.write(3, bytes(4, 5)));
        await expectRight(file.write(1, bytes(9)));
        expect(await expectRight(file.size())).toBe(5);
        expect(await expectRight(file.read(0, 5))).toEqual(bytes(1, 9, 3, 4, 5));
        expect(await expectRight(file.read(2, 2))).toEqual(bytes(3, 4));
        await expectRight(file.close());
      }),
    );

    it(
      'R27: reads given one buffer to read into, one after another, answer the bytes asked, fewer only at the end',
      withStorage(async ({ storage }, target) => {
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(1, 2, 3, 4, 5)));
        const into = new Uint8Array(8).fill(0xee);
        expect(await expectRight(file.read(1, 3, into))).toEqual(bytes(2, 3, 4));
        expect(await expectRight(file.read(3, 4, into))).toEqual(bytes(4, 5));
        expect(await expectRight(file.read(0, 5, into))).toEqual(bytes(1, 2, 3, 4, 5));
        await expectRight(file.close());
      }),
    );

    it(
      'a write past the end extends the file and the gap reads as zeros',
      withStorage(async ({ storage }, target) => {
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(7)));
        await expectRight(file.write(4, bytes(8, 9)));
        expect(await expectRight(file.size())).toBe(6);
        expect(await expectRight(file.read(0, 6))).toEqual(bytes(7, 0, 0, 0, 8, 9));
        await expectRight(file.close());
      }),
    );

    it(
      'a read returns fewer bytes only at the end of the file',
      withStorage(async ({ storage }, target) => {
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(1, 2, 3)));
        expect(await expectRight(file.read(1, 10))).toEqual(bytes(2, 3));
        expect(await expectRight(file.read(3, 10))).toEqual(bytes());
        await expectRight(file.close());
      }),
    );

    it(
      'R21: truncate shrinks the file, and bytes written after it past the cut read as zeros',
      withStorage(async ({ storage }, target) => {
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(1, 2, 3, 4, 5)));
        await expectRight(file.truncate(2));
        expect(await expectRight(file.size())).toBe(2);
        await expectRight(file.write(4, bytes(6)));
        expect(await expectRight(file.read(0, 5))).toEqual(bytes(1, 2, 0, 0, 6));
        await expectRight(file.truncate(0));
        expect(await expectRight(file.size())).toBe(0);
        await expectRight(file.close());
      }),
    );

    it(
      'R20: flush succeeds and keeps every byte; flushed bytes survive close and reopen',
      withStorage(async ({ storage }, target) => {
        const data = pattern(100_000);
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, data));
        await expectRight(file.flush());
        await expectRight(file.flush());
        await expectRight(file.close());
        const again = await expectRight(storage.open(target('a')));
        expect(await expectRight(again.size())).toBe(data.length);
        expect(await expectRight(again.read(0, data.length))).toEqual(data);
        await expectRight(again.close());
      }),
    );

    it(
      'R19: commit moves the whole file to the target and leaves no .part',
      withStorage(async ({ storage, readTarget, partExists }, target, skip) => {
        if (readTarget === undefined || partExists === undefined) return skip();
        const data = pattern(70_000, 3);
        const file = await expectRight(storage.open(target('a')));
        expect(await readTarget(target('a'))).toBeNull();
        await expectRight(file.write(0, data));
        await expectRight(file.commit());
        expect(await readTarget(target('a'))).toEqual(data);
        expect(await partExists(target('a'))).toBe(false);
      }),
    );

    it(
      'R19: commit replaces an existing target',
      withStorage(async ({ storage, readTarget }, target, skip) => {
        if (readTarget === undefined) return skip();
        for (const data of [pattern(50, 1), pattern(20, 2)]) {
          const file = await expectRight(storage.open(target('a')));
          await expectRight(file.write(0, data));
          await expectRight(file.commit());
        }
        expect(await readTarget(target('a'))).toEqual(pattern(20, 2));
      }),
    );

    it(
      'R24: discard deletes the part file and creates no target',
      withStorage(async ({ storage, readTarget, partExists }, target, skip) => {
        if (readTarget === undefined || partExists === undefined) return skip();
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(1, 2)));
        await expectRight(file.discard());
        expect(await partExists(target('a'))).toBe(false);
        expect(await readTarget(target('a'))).toBeNull();
      }),
    );

    it(
      'R24: close keeps the part file',
      withStorage(async ({ storage, partExists }, target, skip) => {
        if (partExists === undefined) return skip();
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(1, 2)));
        await expectRight(file.flush());
        await expectRight(file.close());
        expect(await partExists(target('a'))).toBe(true);
      }),
    );

    for (const end of ['close', 'commit', 'discard'] as const) {
      it(
        `after ${end}, every other call fails with IoError and close still succeeds`,
        withStorage(async ({ storage }, target) => {
          const file = await expectRight(storage.open(target('a')));
          await expectRight(file.write(0, bytes(1)));
          await expectRight(file[end]());
          await expectLeft(file.size(), 'IoError');
          await expectLeft(file.write(0, bytes(2)), 'IoError');
          await expectLeft(file.read(0, 1), 'IoError');
          await expectLeft(file.truncate(0), 'IoError');
          await expectLeft(file.flush(), 'IoError');
          await expectLeft(file.commit(), 'IoError');
          await expectLeft(file.discard(), 'IoError');
          await expectRight(file.close());
          await expectRight(file.close());
        }),
      );
    }

    it(
      'R23: a second open of the same target fails with TargetBusy and does not disturb the first',
      withStorage(async ({ storage }, target) => {
        const first = await expectRight(storage.open(target('a')));
        await expectRight(first.write(0, bytes(1, 2, 3)));
        const failure = await expectLeft(storage.open(target('a')), 'TargetBusy');
        expect(failure).toEqual({ _tag: 'TargetBusy', target: target('a') });
        await expectRight(first.write(3, bytes(4)));
        expect(await expectRight(first.read(0, 4))).toEqual(bytes(1, 2, 3, 4));
        await expectRight(first.close());
      }),
    );

    for (const end of ['close', 'commit', 'discard'] as const) {
      it(
        `R23: the lock is released by ${end}`,
        withStorage(async ({ storage }, target) => {
          const first = await expectRight(storage.open(target('a')));
          await expectRight(first[end]());
          const second = await expectRight(storage.open(target('a')));
          await expectRight(second.close());
        }),
      );
    }

    it(
      'R23: different targets are locked apart',
      withStorage(async ({ storage }, target) => {
        const a = await expectRight(storage.open(target('a')));
        const b = await expectRight(storage.open(target('b')));
        await expectRight(a.write(0, bytes(1)));
        await expectRight(b.write(0, bytes(2, 2)));
        expect(await expectRight(a.size())).toBe(1);
        expect(await expectRight(b.size())).toBe(2);
        await expectRight(a.close());
        await expectRight(b.close());
      }),
    );

    it(
      'R24: remove deletes a closed part file; removing a missing one succeeds',
      withStorage(async ({ storage, partExists }, target, skip) => {
        if (partExists === undefined) return skip();
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(1)));
        await expectRight(file.close());
        await expectRight(storage.remove(target('a')));
        expect(await partExists(target('a'))).toBe(false);
        await expectRight(storage.remove(target('a')));
        await expectRight(storage.remove(target('never')));
      }),
    );

    it(
      'R23: remove fails with TargetBusy while the part file is open',
      withStorage(async ({ storage }, target) => {
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, bytes(5)));
        await expectLeft(storage.remove(target('a')), 'TargetBusy');
        expect(await expectRight(file.read(0, 1))).toEqual(bytes(5));
        await expectRight(file.close());
      }),
    );

    it(
      'R19: targetSize is null before the commit (whatever the part file holds) and the file length after it',
      withStorage(async ({ storage }, target) => {
        expect(await expectRight(storage.targetSize(target('a')))).toBeNull();
        expect(await expectRight(storage.targetSize(target('missing-folder/a')))).toBeNull();
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, pattern(3_000)));
        await expectRight(file.flush());
        expect(await expectRight(storage.targetSize(target('a')))).toBeNull();
        await expectRight(file.commit());
        expect(await expectRight(storage.targetSize(target('a')))).toBe(3_000);
      }),
    );

    it(
      'R19, R23: targetSize and readTarget need no lock and see the target while its part file is open',
      withStorage(async ({ storage }, target) => {
        const data = pattern(5_000, 4);
        const first = await expectRight(storage.open(target('a')));
        await expectRight(first.write(0, data));
        await expectRight(first.commit());
        const second = await expectRight(storage.open(target('a')));
        expect(await expectRight(second.size())).toBe(0);
        expect(await expectRight(storage.targetSize(target('a')))).toBe(data.length);
        expect(await expectRight(storage.readTarget(target('a'), 0, data.length))).toEqual(data);
        await expectRight(second.discard());
        expect(await expectRight(storage.targetSize(target('a')))).toBe(data.length);
      }),
    );

    it(
      'R27: readTarget reads the finished file at an offset, fewer bytes only at its end, none past it',
      withStorage(async ({ storage }, target) => {
        const data = pattern(70_000, 5);
        const file = await expectRight(storage.open(target('a')));
        await expectRight(file.write(0, data));
        await expectRight(file.commit());
        expect(await expectRight(storage.readTarget(target('a'), 10, 5))).toEqual(data.subarray(10, 15));
        expect(await expectRight(storage.readTarget(target('a'), 69_990, 100))).toEqual(
          data.subarray(69_990),
        );
        expect(await expectRight(storage.readTarget(target('a'), 70_000, 10))).toEqual(bytes());
        expect(await expectRight(storage.readTarget(target('a'), 80_000, 10))).toEqual(bytes());
      }),
    );

    it(
      'R29: readTarget of a target that does not exist is a Left, not a throw, and creates nothing',
      withStorage(async ({ storage, partExists }, target) => {
        await expectLeft(storage.readTarget(target('none'), 0, 10), 'IoError');
        expect(await expectRight(storage.targetSize(target('none')))).toBeNull();
        if (partExists !== undefined) expect(await partExists(target('none'))).toBe(false);
      }),
    );

    it(
      'R40: ensureRoom is absent (the platform cannot tell), or answers Right for bytes that fit and fails once closed',
      withStorage(async ({ storage }, target) => {
        const file = await expectRight(storage.open(target('a')));
        const ensureRoom = file.ensureRoom?.bind(file);
        if (ensureRoom !== undefined) {
          await expectRight(ensureRoom(0));
          await expectRight(ensureRoom(4096));
        }
        await expectRight(file.close());
        if (ensureRoom !== undefined) await expectLeft(ensureRoom(1), 'IoError');
      }),
    );

    it(
      'reopening a closed part file sees its bytes, and writes go on from there',
      withStorage(async ({ storage }, target) => {
        const first = await expectRight(storage.open(target('a')));
        await expectRight(first.write(0, bytes(1, 2)));
        await expectRight(first.flush());
        await expectRight(first.close());
        const second = await expectRight(storage.open(target('a')));
        await expectRight(second.write(2, bytes(3)));
        expect(await expectRight(second.read(0, 3))).toEqual(bytes(1, 2, 3));
        await expectRight(second.close());
      }),
    );
  });
};
