import { link, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lockPathOf } from '../src/FsStorage.js';
import { acquireLock } from '../src/fileLock.js';
import { listDir, makeTempDir } from './support/tempDir.js';

/** Runs before each `readdir` of the lock's code: where a test puts what another taker does at that moment. */
const hooks = vi.hoisted(() => ({
  beforeReaddir: null as (() => Promise<void>) | null,
  /** The next file opened gets writes that fail so (a full disk). */
  failNextWrite: null as Error | null,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (async (...args: Parameters<typeof real.readdir>) => {
    const hook = hooks.beforeReaddir;
    hooks.beforeReaddir = null;
    if (hook !== null) await hook();
    return real.readdir(...args);
  }) as typeof real.readdir;
  const open = (async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    const failure = hooks.failNextWrite;
    hooks.failNextWrite = null;
    if (failure !== null) handle.writeFile = () => Promise.reject(failure);
    return handle;
  }) as typeof real.open;
  return { ...real, default: { ...real, readdir, open }, readdir, open };
});

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(async () => {
  hooks.beforeReaddir = null;
  hooks.failNextWrite = null;
  await cleanup();
});

describe('acquireLock and a taker removing its temp name at the worst moment', () => {
  it('R23, R31: a taker that removes its temp name while the folder is looked through for it leaves the lock busy, not unsafe', async () => {
    const lock = lockPathOf(join(dir, 'f'));
    const temp = `${lock}.0123456789abcdef.tmp`;
    await writeFile(temp, JSON.stringify({ pid: process.pid, startedAt: Date.now(), hostname: hostname() }));
    await link(temp, lock);
    // The lock keeps two links for the whole wait, until the look for the taker's temp name: the taker removes the
    // name just then, after the lock was seen with two links and before the folder's names are read.
    let looked = 0;
    hooks.beforeReaddir = async () => {
      looked += 1;
      await unlink(temp);
    };
    expect(await acquireLock(lock)).toEqual({ _tag: 'Busy' });
    expect(looked).toBe(1);
    expect(await listDir(dir)).toEqual(['f.lock']);
  });

  it('R19, R29: a lock whose write fails (a full disk) rejects with that error and leaves no temp name behind', async () => {
    const lock = lockPathOf(join(dir, 'f'));
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    hooks.failNextWrite = full;
    await expect(acquireLock(lock)).rejects.toBe(full);
    expect(await listDir(dir)).toEqual([]);
    // The disk has room again: the lock is taken as usual.
    expect(await acquireLock(lock)).toEqual({ _tag: 'Taken' });
    expect(await listDir(dir)).toEqual(['f.lock']);
  });
});
