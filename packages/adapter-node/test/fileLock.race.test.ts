import { link, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lockPathOf } from '../src/FsStorage.js';
import { acquireLock } from '../src/fileLock.js';
import { listDir, makeTempDir } from './support/tempDir.js';

/** Runs before each `readdir` of the lock's code: where a test puts what another taker does at that moment. */
const hooks = vi.hoisted(() => ({ beforeReaddir: null as (() => Promise<void>) | null }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (async (...args: Parameters<typeof real.readdir>) => {
    const hook = hooks.beforeReaddir;
    hooks.beforeReaddir = null;
    if (hook !== null) await hook();
    return real.readdir(...args);
  }) as typeof real.readdir;
  return { ...real, default: { ...real, readdir }, readdir };
});

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(async () => {
  hooks.beforeReaddir = null;
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
});
