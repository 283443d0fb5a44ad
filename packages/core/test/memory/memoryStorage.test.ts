import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory/MemoryStorage.js';
import { storageContract } from '../../src/testing/storageContract.js';
import { expectLeft, expectRight } from '../../src/testing/taskEitherAssertions.js';

storageContract('MemoryStorage', async () => {
  const storage = new MemoryStorage();
  return {
    storage,
    readTarget: async (target) => storage.fileOf(target),
    partExists: async (target) => storage.partOf(target) !== null,
  };
});

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('MemoryStorage crash simulation', () => {
  it('R20: crash() drops every unflushed write and keeps flushed bytes', async () => {
    const storage = new MemoryStorage();
    const file = await expectRight(storage.open('t'));
    await expectRight(file.write(0, bytes(1, 2, 3)));
    await expectRight(file.flush());
    await expectRight(file.write(3, bytes(4, 5)));
    await expectRight(file.write(0, bytes(9)));
    expect(storage.partOf('t')).toEqual(bytes(9, 2, 3, 4, 5));
    expect(storage.durablePartOf('t')).toEqual(bytes(1, 2, 3));
    storage.crash();
    expect(storage.partOf('t')).toEqual(bytes(1, 2, 3));
  });

  it('R20: an unflushed truncate is undone by a crash, a flushed one is not', async () => {
    const storage = new MemoryStorage();
    storage.putPart('t', bytes(1, 2, 3, 4));
    const file = await expectRight(storage.open('t'));
    await expectRight(file.truncate(1));
    storage.crash();
    expect(storage.partOf('t')).toEqual(bytes(1, 2, 3, 4));
    const again = await expectRight(storage.open('t'));
    await expectRight(again.truncate(2));
    await expectRight(again.write(3, bytes(7)));
    await expectRight(again.flush());
    storage.crash();
    expect(storage.partOf('t')).toEqual(bytes(1, 2, 0, 7));
  });

  it('R23: crash() releases the locks, and handles of the dead process fail with IoError', async () => {
    const storage = new MemoryStorage();
    const dead = await expectRight(storage.open('t'));
    expect(storage.isLocked('t')).toBe(true);
    storage.crash();
    expect(storage.isLocked('t')).toBe(false);
    const alive = await expectRight(storage.open('t'));
    await expectLeft(dead.write(0, bytes(1)), 'IoError');
    await expectRight(dead.close());
    expect(storage.isLocked('t')).toBe(true);
    await expectRight(alive.close());
  });

  it('R19: a committed file survives a crash; commit flushes first', async () => {
    const storage = new MemoryStorage();
    const file = await expectRight(storage.open('t'));
    await expectRight(file.write(0, bytes(1, 2)));
    await expectRight(file.commit());
    storage.crash();
    expect(storage.fileOf('t')).toEqual(bytes(1, 2));
    expect(storage.list()).toEqual(['t']);
  });

  it('list() names final files and part files', async () => {
    const storage = new MemoryStorage();
    storage.putFile('b', bytes(1));
    storage.putPart('a', bytes(2));
    expect(storage.list()).toEqual(['a.part', 'b']);
    expect(storage.usedBytes()).toBe(2);
  });
});

describe('MemoryStorage faults', () => {
  it('failNextWrite fails one write, after writing the given prefix', async () => {
    const storage = new MemoryStorage();
    storage.failNextWrite({ _tag: 'IoError', message: 'disk on fire' }, 2);
    const file = await expectRight(storage.open('t'));
    await expectLeft(file.write(0, bytes(1, 2, 3, 4)), 'IoError');
    expect(storage.partOf('t')).toEqual(bytes(1, 2));
    await expectRight(file.write(2, bytes(3, 4)));
    expect(storage.partOf('t')).toEqual(bytes(1, 2, 3, 4));
  });

  it('a capacity limit writes what fits and fails with NoSpace', async () => {
    const storage = new MemoryStorage({ capacityBytes: 5 });
    storage.putFile('other', bytes(0, 0));
    const file = await expectRight(storage.open('t'));
    await expectRight(file.write(0, bytes(1, 2)));
    await expectLeft(file.write(2, bytes(3, 4, 5)), 'NoSpace');
    expect(storage.partOf('t')).toEqual(bytes(1, 2, 3));
    await expectLeft(file.write(10, bytes(1)), 'NoSpace');
    await expectRight(file.write(0, bytes(7)));
    storage.setCapacity(null);
    await expectRight(file.write(3, bytes(4, 5, 6)));
    expect(storage.partOf('t')).toEqual(bytes(7, 2, 3, 4, 5, 6));
  });

  it('failNext fails the next call of one operation only, leaving state unchanged', async () => {
    const storage = new MemoryStorage();
    storage.failNext('open', { _tag: 'PermissionDenied', message: 'no' });
    await expectLeft(storage.open('t'), 'PermissionDenied');
    expect(storage.isLocked('t')).toBe(false);
    const file = await expectRight(storage.open('t'));
    storage.failNext('flush', { _tag: 'IoError', message: 'fsync failed' });
    await expectRight(file.write(0, bytes(1)));
    await expectLeft(file.flush(), 'IoError');
    expect(storage.durablePartOf('t')).toEqual(bytes());
    storage.failNext('commit', { _tag: 'IoError', message: 'rename failed' });
    await expectLeft(file.commit(), 'IoError');
    expect(storage.fileOf('t')).toBeNull();
    // As FsPartFile's: a commit that fails ends the handle all the same, its lock released (R23).
    expect(storage.isLocked('t')).toBe(false);
    const again = await expectRight(storage.open('t'));
    storage.failNext('close', { _tag: 'IoError', message: 'close failed' });
    await expectLeft(again.close(), 'IoError');
    expect(storage.isLocked('t')).toBe(false);
    storage.failNext('remove', { _tag: 'IoError', message: 'unlink failed' });
    await expectLeft(storage.remove('t'), 'IoError');
    expect(storage.partOf('t')).toEqual(bytes(1));
  });
});
