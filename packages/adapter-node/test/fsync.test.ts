import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fsyncDirectory } from '../src/fsync.js';
import { useTempDir } from './support/tempDir.js';

const dir = useTempDir('rdl-fsync-');

/** FileHandle's prototype, whose `sync` the tests watch. */
const handlePrototype = async (): Promise<FileHandle> => {
  const handle = await open(dir(), 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as FileHandle;
};

/** A gate an fsync waits at until the test opens it. */
const gate = () => {
  let open!: () => void;
  const shut = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { shut, open };
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('fsyncDirectory', () => {
  it('R19, R20: calls that come while a folder’s fsync runs share one that begins after it, and resolve only after that one', async () => {
    const proto = await handlePrototype();
    const real = proto.sync;
    const gates = [gate(), gate()];
    const order: string[] = [];
    let calls = 0;
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: FileHandle) {
      const n = calls++;
      order.push(`begin ${n}`);
      await gates[n]?.shut;
      await real.call(this);
      order.push(`end ${n}`);
    });
    const first = fsyncDirectory(dir());
    await vi.waitFor(() => expect(order).toEqual(['begin 0']));
    // A rename made now is not covered by the fsync already running: these wait for the next one.
    const later = Array.from({ length: 10 }, () => fsyncDirectory(dir()));
    let laterDone = false;
    void Promise.all(later).then(() => {
      laterDone = true;
    });
    gates[0]?.open();
    await first;
    await vi.waitFor(() => expect(order).toEqual(['begin 0', 'end 0', 'begin 1']));
    expect(laterDone).toBe(false);
    gates[1]?.open();
    await Promise.all(later);
    expect(order).toEqual(['begin 0', 'end 0', 'begin 1', 'end 1']);
    expect(calls).toBe(2);
  });

  it('R19: a folder swapped at the path is opened again, never fsynced in its place', async () => {
    const path = join(dir(), 'out');
    await mkdir(path);
    const proto = await handlePrototype();
    const real = proto.sync;
    const synced: number[] = [];
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: FileHandle) {
      synced.push(Number((await this.stat()).ino));
      await real.call(this);
    });
    await fsyncDirectory(path);
    await rename(path, join(dir(), 'old'));
    await mkdir(path);
    await fsyncDirectory(path);
    const inodes = [
      Number(await open(join(dir(), 'old'), 'r').then(inodeOf)),
      Number(await open(path, 'r').then(inodeOf)),
    ];
    expect(synced).toEqual(inodes);
  });

  it('R29: a folder that is not there rejects with the file system’s error, and a later call tries again', async () => {
    const path = join(dir(), 'missing');
    await expect(fsyncDirectory(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(path);
    await expect(fsyncDirectory(path)).resolves.toBeUndefined();
  });
});

const inodeOf = async (handle: FileHandle): Promise<number> => {
  try {
    return Number((await handle.stat()).ino);
  } finally {
    await handle.close();
  }
};
