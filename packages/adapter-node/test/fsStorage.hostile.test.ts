import {
  chown,
  lstat,
  mkdir,
  readFile,
  rename,
  stat,
  symlink,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { expectLeft, expectRight } from '@rdl/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkpointPathOf } from '../src/FileCheckpointStore.js';
import { FsStorage, lockPathOf, partPathOf } from '../src/FsStorage.js';
import { tempCheckpointNamePattern, tempCheckpointPathOf } from '../src/sidecarPaths.js';
import {
  expectLinkTo,
  expectUnchanged,
  makeFifo,
  makeVictim,
  nobody,
  plantHardLink,
  plantSymlink,
  useHostileFolder,
  type Victim,
} from './support/plant.js';
import { listDir } from './support/tempDir.js';

const folder = useHostileFolder();
let victim: Victim;
beforeEach(async () => {
  victim = await makeVictim(join(folder.outside(), 'victim'));
});

const target = (): string => join(folder.dir(), 'x.bin');

/** Every way another user can prepare a sidecar name, and what the refusal says. */
const plants: readonly [string, (path: string) => Promise<void>, RegExp][] = [
  ['a symbolic link', (path) => plantSymlink(path, victim.path), /symbolic link/],
  ['a hard link', (path) => plantHardLink(path, victim.path), /2 links/],
  [
    "another user's file",
    async (path) => {
      await writeFile(path, '{}');
      await chown(path, nobody.uid, nobody.gid);
    },
    /uid 65534/,
  ],
  ['a FIFO', async (path) => makeFifo(path), /a FIFO/],
  ['a link to /dev/zero', (path) => plantSymlink(path, '/dev/zero'), /symbolic link/],
];

describe('FsStorage in a folder another user prepared (R31)', () => {
  it.each(plants)(
    'R31: %s at <target>.part is refused (UnsafePath) and left as it was',
    async (_n, plant, why) => {
      await plant(partPathOf(target()));
      const before = await lstat(partPathOf(target()));
      const failure = await expectLeft(new FsStorage().open(target()), 'UnsafePath');
      expect(failure).toMatchObject({ path: partPathOf(target()), reason: expect.stringMatching(why) });
      const after = await lstat(partPathOf(target()));
      expect([after.ino, after.mode, after.size, after.mtimeMs]).toEqual([
        before.ino,
        before.mode,
        before.size,
        before.mtimeMs,
      ]);
      await expectUnchanged(victim);
      // The lock taken first went with the refusal.
      expect(await listDir(folder.dir())).toEqual(['x.bin.part']);
    },
  );

  it.each(plants)(
    'R31: %s at <target>.lock is refused (UnsafePath) and left as it was',
    async (_n, plant, why) => {
      await plant(lockPathOf(target()));
      const before = await lstat(lockPathOf(target()));
      const failure = await expectLeft(new FsStorage().open(target()), 'UnsafePath');
      expect(failure).toMatchObject({ path: lockPathOf(target()), reason: expect.stringMatching(why) });
      expect((await lstat(lockPathOf(target()))).ino).toBe(before.ino);
      await expectUnchanged(victim);
      // Nothing else was created: the part file is opened only under the lock.
      expect(await listDir(folder.dir())).toEqual(['x.bin.lock']);
      // remove (cancel of a paused download) refuses it the same way.
      await expectLeft(new FsStorage().remove(target()), 'UnsafePath');
      expect((await lstat(lockPathOf(target()))).ino).toBe(before.ino);
    },
  );

  it('R19, R30: a folder at <target>.rdl.json (no checkpoint could be saved over it) is refused (UnsafePath) before the part file is made, and left as it was', async () => {
    await mkdir(checkpointPathOf(target()));
    await writeFile(join(checkpointPathOf(target()), 'inside'), 'kept');
    const failure = await expectLeft(new FsStorage().open(target()), 'UnsafePath');
    expect(failure).toMatchObject({
      path: checkpointPathOf(target()),
      reason: expect.stringMatching(/a folder/),
    });
    expect(await listDir(folder.dir())).toEqual(['x.bin.rdl.json']);
    expect(await readFile(join(checkpointPathOf(target()), 'inside'), 'utf8')).toBe('kept');
  });

  it('R31: remove never deletes a link planted at <target>.part, nor what it names', async () => {
    await plantSymlink(partPathOf(target()), victim.path);
    await expectLeft(new FsStorage().remove(target()), 'UnsafePath');
    await expectLinkTo(partPathOf(target()), victim.path);
    await expectUnchanged(victim);
  });

  it('R31: the part file and the lock are created with mode 0600; the finished file gets 0666 less the umask', async () => {
    const file = await expectRight(new FsStorage().open(target()));
    expect((await stat(partPathOf(target()))).mode & 0o777).toBe(0o600);
    expect((await stat(lockPathOf(target()))).mode & 0o777).toBe(0o600);
    await expectRight(file.write(0, Uint8Array.of(1, 2, 3)));
    const umask = process.umask(0o027);
    try {
      await expectRight(file.commit());
    } finally {
      process.umask(umask);
    }
    expect((await stat(target())).mode & 0o777).toBe(0o640);
    expect(await listDir(folder.dir())).toEqual(['x.bin']);
  });

  it('R31: an existing part file of this user, alone, is used as before', async () => {
    await writeFile(partPathOf(target()), 'abc');
    const file = await expectRight(new FsStorage().open(target()));
    expect(await expectRight(file.size())).toBe(3);
    await expectRight(file.close());
  });

  it('R21, R31: a part file open created is empty, and its size after a write or a truncate is what the file holds', async () => {
    const file = await expectRight(new FsStorage().open(target()));
    expect(await expectRight(file.size())).toBe(0);
    await expectRight(file.truncate(0));
    await expectRight(file.write(0, Uint8Array.of(1, 2, 3, 4)));
    expect(await expectRight(file.size())).toBe(4);
    await expectRight(file.truncate(2));
    expect(await expectRight(file.size())).toBe(2);
    await expectRight(file.close());
    expect([...(await readFile(partPathOf(target())))]).toEqual([1, 2]);
  });

  it('R31, R32: commit never renames over a link or a FIFO that took the target name meanwhile', async () => {
    const file = await expectRight(new FsStorage().open(target()));
    await expectRight(file.write(0, Uint8Array.of(1, 2, 3)));
    await plantSymlink(target(), victim.path);
    expect(await expectLeft(file.commit(), 'UnsafePath')).toMatchObject({ path: target() });
    await expectLinkTo(target(), victim.path);
    await expectUnchanged(victim);
    // The bytes stay in the part file for a later run; the lock is gone.
    expect(await readFile(partPathOf(target()))).toEqual(Buffer.from([1, 2, 3]));
    expect(await listDir(folder.dir())).toEqual(['x.bin', 'x.bin.part']);
  });

  it('R31: commit refuses a part file that was replaced under its name while the download ran', async () => {
    const file = await expectRight(new FsStorage().open(target()));
    await expectRight(file.write(0, Uint8Array.of(1, 2, 3)));
    await rename(partPathOf(target()), join(folder.dir(), 'moved'));
    await symlink(victim.path, partPathOf(target()));
    await expectLeft(file.commit(), 'UnsafePath');
    await expectUnchanged(victim);
    expect(await listDir(folder.dir())).not.toContain('x.bin');
  });
});

describe('FsStorage and lock files it must not trust (R33)', () => {
  const owner = (pid: number) => JSON.stringify({ pid, startedAt: 1, hostname: hostname() });

  it('R33: a file of this user at the lock name too big to be a lock is not read, nor taken over: ERR_UNSAFE_PATH, left as it is', async () => {
    // 600 MiB, sparse: reading it would take seconds and that much memory.
    await writeFile(lockPathOf(target()), owner(process.pid));
    await truncate(lockPathOf(target()), 600 * 1024 * 1024);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPathOf(target()), old, old);
    await expectLeft(new FsStorage().open(target()), 'UnsafePath');
    expect((await stat(lockPathOf(target()))).size).toBe(600 * 1024 * 1024);
  });

  it.each([
    ['a Gemfile.lock', '# Gemfile.lock\nGEM\n  remote: https://rubygems.org/\n'],
    ['JSON of another tool', '{"name":"app","lockfileVersion":3}'],
    ['a line of text', 'x'],
  ])(
    "R31, R33: %s at the lock's name is a file of the user's own: never taken over nor removed, however old (ERR_UNSAFE_PATH); a cancel leaves it too",
    async (_, text) => {
      await writeFile(lockPathOf(target()), text);
      const old = new Date(Date.now() - 3_600_000);
      await utimes(lockPathOf(target()), old, old);
      await expectLeft(new FsStorage().open(target()), 'UnsafePath');
      await expectLeft(new FsStorage().remove(target()), 'UnsafePath');
      expect(await readFile(lockPathOf(target()), 'utf8')).toBe(text);
    },
  );

  it('R23, R33: what a crash leaves of a lock written in place (nothing, or the start of its JSON) is still taken over once old', async () => {
    for (const torn of ['', '{"p', '{"pid":12']) {
      await writeFile(lockPathOf(target()), torn);
      const old = new Date(Date.now() - 60_000);
      await utimes(lockPathOf(target()), old, old);
      const file = await expectRight(new FsStorage().open(target()));
      await expectRight(file.close());
    }
  });
});

describe('FsStorage sweeps what killed checkpoint saves left (R19)', () => {
  it('R19: at open, under the lock, stale temp files of this target go; links, other users’ and other targets’ stay', async () => {
    const mine = [tempCheckpointPathOf(target()), `${checkpointPathOf(target())}.4242.7.tmp`];
    for (const path of mine) await writeFile(path, '{"version":1');
    const otherTarget = tempCheckpointPathOf(join(folder.dir(), 'y.bin'));
    await writeFile(otherTarget, '{}');
    const planted = `${checkpointPathOf(target())}.4243.1.tmp`;
    await plantSymlink(planted, victim.path);
    const foreign = `${checkpointPathOf(target())}.4244.1.tmp`;
    await writeFile(foreign, '{}');
    await chown(foreign, nobody.uid, nobody.gid);
    const lookalike = `${checkpointPathOf(target())}.backup`;
    await writeFile(lookalike, '{}');

    const file = await expectRight(new FsStorage().open(target()));
    await expectRight(file.close());
    const kept = [planted, foreign, lookalike, otherTarget].map((path) => basename(path));
    expect(await listDir(folder.dir())).toEqual(['x.bin.part', ...kept].sort());
    await expectLinkTo(planted, victim.path);
    await expectUnchanged(victim);
  });

  it('R19, R31: temp names are random (64 bits from the CSPRNG), and the sweep knows both patterns', () => {
    const names = new Set(Array.from({ length: 100 }, () => tempCheckpointPathOf(target())));
    expect(names.size).toBe(100);
    const pattern = tempCheckpointNamePattern(target());
    for (const name of names) {
      expect(name).toMatch(/\.rdl\.json\.[0-9a-f]{16}\.tmp$/);
      expect(pattern.test(name.slice(folder.dir().length + 1))).toBe(true);
    }
    expect(pattern.test('x.bin.rdl.json.123.4.tmp')).toBe(true);
    expect(pattern.test('xxbin.rdl.json.123.4.tmp')).toBe(false);
    expect(pattern.test('x.bin.rdl.json.tmp')).toBe(false);
  });
});

describe('FsStorage.ensureRoom (R40)', () => {
  it('R40: answers Right for bytes that fit, NoSpace naming both numbers for bytes that do not', async () => {
    const file = await expectRight(new FsStorage().open(target()));
    const ensureRoom = file.ensureRoom?.bind(file);
    if (ensureRoom === undefined) throw new Error('FsStorage part files tell their room');
    await expectRight(ensureRoom(1));
    const failure = await expectLeft(ensureRoom(2 ** 60), 'NoSpace');
    expect(failure).toMatchObject({
      message: expect.stringMatching(
        new RegExp(`needs ${2 ** 60} more bytes, its file system has \\d+ free$`),
      ),
    });
    await expectRight(file.close());
  });
});
