import { execFileSync } from 'node:child_process';
import {
  chown,
  lchown,
  link,
  lstat,
  mkdir,
  readFile,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { sha256 } from './faultServer.js';
import { makeTempDir } from './tempDir.js';

/** The uid and gid of `nobody`: the other local user who prepares the folder. */
export const nobody = { uid: 65534, gid: 65534 } as const;

/** A file an attacker wants rdl to write into: what it holds and how it looks before the run. */
export interface Victim {
  readonly path: string;
  readonly fingerprint: string;
}

/**
 * Everything a write, truncate, chmod or replacement of `path` would change (atime aside; and mtime for a special
 * file, which moves when a FIFO or a tty is written, as it must be).
 */
const fingerprintOf = async (path: string): Promise<string> => {
  const info = await lstat(path);
  const content = info.isFile() ? sha256(await readFile(path)) : 'special';
  return JSON.stringify({
    content,
    size: info.size,
    mode: info.mode,
    uid: info.uid,
    ino: info.ino,
    rdev: info.rdev,
    mtimeMs: info.isFile() ? info.mtimeMs : null,
  });
};

/** Creates the file `path` with `content`, mode 0644, and remembers how it looks. */
export const makeVictim = async (path: string, content = `precious data of ${path}\n`): Promise<Victim> => {
  await writeFile(path, content, { mode: 0o644 });
  return { path, fingerprint: await fingerprintOf(path) };
};

/** An existing file (a device…) taken as it is. */
export const watchFile = async (path: string): Promise<Victim> => ({
  path,
  fingerprint: await fingerprintOf(path),
});

/** Fails the test if `victim` changed in any way. */
export const expectUnchanged = async (victim: Victim): Promise<void> => {
  expect(await fingerprintOf(victim.path), victim.path).toBe(victim.fingerprint);
};

/** A symbolic link at `path` to `to`, owned by `nobody` as if they had planted it. */
export const plantSymlink = async (path: string, to: string): Promise<void> => {
  await symlink(to, path);
  await lchown(path, nobody.uid, nobody.gid);
};

/** A hard link at `path` to `to` (same file system): nobody can make one to a file they can read. */
export const plantHardLink = (path: string, to: string): Promise<void> => link(to, path);

/** A FIFO at `path`: opened for reading, it waits for a writer for ever. */
export const makeFifo = (path: string): void => {
  execFileSync('mkfifo', ['-m', '0644', path]);
};

/** A Unix socket bound at `path`; close it at the end of the test. */
export const makeSocket = async (path: string): Promise<Server> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
};

/** Whether `path` is still a symbolic link to `to`. */
export const expectLinkTo = async (path: string, to: string): Promise<void> => {
  const info = await lstat(path);
  expect(info.isSymbolicLink(), path).toBe(true);
  expect((await stat(path)).ino).toBe((await stat(to)).ino);
};

/** The folders of one hostile-folder test: `dir`, owned by `nobody`, and `outside`, where the victims live. */
export interface HostileFolder {
  readonly dir: () => string;
  readonly outside: () => string;
}

/**
 * A fresh pair of folders for each test: one that belongs to the other local user (`nobody`), who prepares it with
 * links while rdl runs as root in it, and one elsewhere for the files that user wants rdl to write into.
 */
export const useHostileFolder = (): HostileFolder => {
  let dir = '';
  let outside = '';
  const cleanups: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    const work = await makeTempDir('rdl-hostile-');
    const elsewhere = await makeTempDir('rdl-victims-');
    cleanups.push(work.cleanup, elsewhere.cleanup);
    // Nobody's folder in one of root's: nobody plants what it likes in it, but cannot swap the folder itself for a
    // link (it could, in /tmp's sticky folder, its own folder: rdl refuses such a folder outright, R31).
    dir = join(work.dir, 'nobodys');
    await mkdir(dir);
    outside = elsewhere.dir;
    await lchown(dir, nobody.uid, nobody.gid);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return { dir: () => dir, outside: () => outside };
};

/** One file planted where a store reads (R33): what it is, how to plant it, and what the refusal must say. */
export type PlantedFile = readonly [name: string, plant: () => Promise<void> | void, reason: RegExp];

/**
 * The files a store must refuse to read at `path()` (R33), each answered UnsafePath with its `reason`: a FIFO, links
 * (to /dev/zero, to the `victim`), a hard link, another user's file, and a sparse file of 2 GiB beginning with
 * `looksLike`, which the store must refuse by its size (`tooBig`), not read.
 */
export const plantedFiles = (
  path: () => string,
  victim: () => Victim,
  looksLike: string,
  tooBig: RegExp,
): PlantedFile[] => [
  ['a FIFO (which would block a read for ever)', () => makeFifo(path()), /a FIFO/],
  ['a link to /dev/zero (endless)', () => plantSymlink(path(), '/dev/zero'), /symbolic link/],
  ['a link to a file', () => plantSymlink(path(), victim().path), /symbolic link/],
  ['a hard link', () => plantHardLink(path(), victim().path), /2 links/],
  [
    "another user's file",
    async () => {
      await writeFile(path(), looksLike);
      await chown(path(), nobody.uid, nobody.gid);
    },
    /uid 65534/,
  ],
  [
    'a sparse file of 2 GiB',
    async () => {
      await writeFile(path(), looksLike);
      await truncate(path(), 2 * 1024 ** 3);
    },
    tooBig,
  ],
];
