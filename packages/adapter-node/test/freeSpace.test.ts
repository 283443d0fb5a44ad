import { describe, expect, it } from 'vitest';
import { FREE_SPACE_FRESH_MS, FreeSpace } from '../src/freeSpace.js';

/** A FreeSpace over a file system that has `free` bytes, counting its readings, on a clock the test moves. */
const volume = (free: number) => {
  const state = { free, reads: 0, now: 0 };
  const space = new FreeSpace(
    async () => {
      state.reads += 1;
      return state.free;
    },
    () => state.now,
  );
  return { state, space };
};

describe('FreeSpace: the readings of a folder that answer for the downloads after them (R40)', () => {
  it('R40: small requests within a second of a reading share it; one read for many files', async () => {
    const { state, space } = volume(100 * 1024 * 1024);
    for (let i = 0; i < 100; i += 1) {
      expect((await space.room('/d', 256 * 1024)).fits).toBe(true);
    }
    expect(state.reads).toBe(1);
  });

  it('R40: a request that cannot fit is refused by a reading of its own, naming what is free', async () => {
    const { state, space } = volume(1000);
    expect(await space.room('/d', 10)).toEqual({ free: 1000, fits: true });
    state.free = 900;
    expect(await space.room('/d', 901)).toEqual({ free: 900, fits: false });
    expect(state.reads).toBe(2);
  });

  it('R40: once the claims since a reading pass half of what it found, the file system is asked again', async () => {
    const { state, space } = volume(1000);
    await space.room('/d', 300);
    await space.room('/d', 200);
    expect(state.reads).toBe(1);
    // Another process filled the disk meanwhile: the claim past half reads again and sees it.
    state.free = 50;
    expect(await space.room('/d', 100)).toEqual({ free: 50, fits: false });
    expect(state.reads).toBe(2);
  });

  it('R40: a reading older than FREE_SPACE_FRESH_MS answers for nothing', async () => {
    const { state, space } = volume(1_000_000);
    await space.room('/d', 1);
    state.now += FREE_SPACE_FRESH_MS;
    state.free = 0;
    expect(await space.room('/d', 1)).toEqual({ free: 0, fits: false });
    expect(state.reads).toBe(2);
  });

  it('R40: each folder has its own reading', async () => {
    const { state, space } = volume(1_000_000);
    await space.room('/a', 1);
    await space.room('/b', 1);
    await space.room('/a', 1);
    expect(state.reads).toBe(2);
  });

  it('R29: a reading that fails rejects, and the next request reads again', async () => {
    let reads = 0;
    const space = new FreeSpace(async () => {
      reads += 1;
      if (reads === 1) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      return 1000;
    });
    await expect(space.room('/d', 1)).rejects.toThrow('EIO');
    expect(await space.room('/d', 1)).toEqual({ free: 1000, fits: true });
    expect(reads).toBe(2);
  });
});
