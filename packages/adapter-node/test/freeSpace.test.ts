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
      expect((await space.room(1, '/d', 256 * 1024)).fits).toBe(true);
    }
    expect(state.reads).toBe(1);
  });

  it('R40: a request that cannot fit is refused by a reading of its own, naming what is free', async () => {
    const { state, space } = volume(1000);
    expect(await space.room(1, '/d', 10)).toMatchObject({ free: 1000, fits: true });
    state.free = 900;
    expect(await space.room(1, '/d', 901)).toMatchObject({ free: 900, fits: false });
    expect(state.reads).toBe(2);
  });

  it('R40: once the claims since a reading pass half of what it found, the file system is asked again', async () => {
    const { state, space } = volume(1000);
    await space.room(1, '/d', 300);
    await space.room(1, '/d', 200);
    expect(state.reads).toBe(1);
    // Another process filled the disk meanwhile: the claim past half reads again and sees it.
    state.free = 50;
    expect(await space.room(1, '/d', 100)).toMatchObject({ free: 50, fits: false });
    expect(state.reads).toBe(2);
  });

  it('R40: a reading older than FREE_SPACE_FRESH_MS answers for nothing', async () => {
    const { state, space } = volume(1_000_000);
    await space.room(1, '/d', 1);
    state.now += FREE_SPACE_FRESH_MS;
    state.free = 0;
    expect(await space.room(1, '/d', 1)).toMatchObject({ free: 0, fits: false });
    expect(state.reads).toBe(2);
  });

  it('R40: each file system has its own reading, shared by all its folders', async () => {
    const { state, space } = volume(1_000_000);
    await space.room(1, '/a', 1);
    await space.room(2, '/b', 1);
    await space.room(1, '/a/s1', 1);
    await space.room(2, '/b/s2', 1);
    expect(state.reads).toBe(2);
  });

  it("R40: downloads into different folders of one file system count each other's claims; another file system's do not", async () => {
    const MiB = 1024 * 1024;
    const { space } = volume(10 * MiB);
    for (const folder of ['/disk/s1', '/disk/s2', '/disk/s3'])
      expect((await space.room(1, folder, 3 * MiB)).fits).toBe(true);
    expect(await space.room(1, '/disk/s4', 3 * MiB)).toMatchObject({ fits: false, claim: null });
    // The same folder names on another file system of 10 MiB free have all of it.
    expect((await space.room(2, '/other/s4', 3 * MiB)).fits).toBe(true);
  });

  it('R40: the bytes still to come of downloads that passed count against every later request, on a new reading as on a cached one', async () => {
    const MiB = 1024 * 1024;
    const { state, space } = volume(10 * MiB);
    const claims: unknown[] = [];
    for (let i = 0; i < 3; i += 1) {
      const room = await space.room(1, '/d', 3 * MiB);
      expect(room.fits).toBe(true);
      claims.push(room.claim);
    }
    // Nothing written yet, so the file system still says 10 MiB: the fourth is refused by that new reading.
    expect(state.reads).toBeGreaterThan(1);
    expect((await space.room(1, '/d', 3 * MiB)).fits).toBe(false);
    // Two of 3 MiB, then requests of 1 MiB, most of them answered by a cached reading: 4 MiB are left for them.
    const { space: cached } = volume(10 * MiB);
    await cached.room(1, '/d', 3 * MiB);
    await cached.room(1, '/d', 3 * MiB);
    let fitting = 0;
    for (let i = 0; i < 10; i += 1) if ((await cached.room(1, '/d', MiB)).fits) fitting += 1;
    expect(fitting).toBe(4);
    expect(claims.every((claim) => claim !== null)).toBe(true);
  });

  it('R29: a refusal says what of the free space is promised to other running downloads, and to how many', async () => {
    const { space } = volume(1000);
    expect(await space.room(1, '/d', 900)).toMatchObject({
      free: 1000,
      promised: 0,
      promisedTo: 0,
      fits: true,
    });
    const second = await space.room(1, '/d2', 50);
    expect(second).toMatchObject({ promised: 900, promisedTo: 1, fits: true });
    // 1000 free is more than 100 asked: the 950 promised to the two others are why it does not fit.
    expect(await space.room(1, '/d', 100)).toMatchObject({
      free: 1000,
      promised: 950,
      promisedTo: 2,
      fits: false,
    });
    // A claim whose bytes are all written is promised nothing more.
    second.claim?.wrote(50);
    expect(await space.room(1, '/d', 100)).toMatchObject({ promised: 900, promisedTo: 1 });
  });

  it('R40: a claim gives back its bytes as they are written and when its download ends', async () => {
    const { state, space } = volume(1000);
    const first = await space.room(1, '/d', 600);
    expect((await space.room(1, '/d', 600)).fits).toBe(false);
    // 500 of the 600 written: the disk has 500 free, 100 of them still the first download's.
    first.claim?.wrote(500);
    state.free = 500;
    expect((await space.room(1, '/d', 401)).fits).toBe(false);
    expect((await space.room(1, '/d', 400)).fits).toBe(true);
    // A claim that ends (its file failed, paused or finished) holds nothing more.
    const { state: other, space: ending } = volume(1000);
    const gone = await ending.room(1, '/d', 900);
    expect((await ending.room(1, '/d', 200)).fits).toBe(false);
    gone.claim?.release();
    expect((await ending.room(1, '/d', 200)).fits).toBe(true);
    // A download that checks again (a retry from a later offset) replaces its claim: it does not count twice.
    const again = await ending.room(1, '/d', 700, null);
    expect((await ending.room(1, '/d', 700, again.claim)).fits).toBe(true);
    expect(other.reads).toBeGreaterThan(0);
  });

  it('R29: a reading that fails rejects, and the next request reads again', async () => {
    let reads = 0;
    const space = new FreeSpace(async () => {
      reads += 1;
      if (reads === 1) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      return 1000;
    });
    await expect(space.room(1, '/d', 1)).rejects.toThrow('EIO');
    expect(await space.room(1, '/d', 1)).toMatchObject({ free: 1000, fits: true });
    expect(reads).toBe(2);
  });
});
