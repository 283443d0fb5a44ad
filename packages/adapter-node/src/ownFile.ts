import { constants, lstat, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { errnoOf } from './fsFailure.js';
import { readAt } from './readAt.js';

/**
 * Never through a link: the kernel refuses a symbolic link as the last part of the path (ELOOP) instead of
 * following it. 0 where the platform has no such flag.
 */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** A FIFO opened for reading waits for a writer, for ever: with this flag the open returns at once. */
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Mode of every file rdl creates beside the target: the bytes of a download are nobody else's to read (R31). */
export const privateFileMode = 0o600;

/** What an existing file turned out to be. */
export type Existing<A> =
  | { readonly _tag: 'Missing' }
  /** There, but not ours to use: a link, another user's, several links, not a regular file. Left untouched. */
  | { readonly _tag: 'Unsafe'; readonly reason: string }
  | { readonly _tag: 'Found'; readonly value: A };

const missing: Existing<never> = { _tag: 'Missing' };
const unsafe = (reason: string): Existing<never> => ({ _tag: 'Unsafe', reason });

const kindOf = (info: Stats): string => {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  if (info.isDirectory()) return 'a folder';
  return 'not a regular file';
};

/**
 * Why a file found at one of rdl's own names is not one this process may read or write, or `null` when it may
 * (R31): it must be a regular file with one link, owned by the effective user. A hard link would let a write reach
 * a file elsewhere; a file of another user was put there by someone else, who may still change it.
 */
export const unsafeReason = (info: Stats): string | null => {
  if (!info.isFile()) return `it is ${kindOf(info)}, not a regular file`;
  if (info.nlink !== 1) return `it has ${info.nlink} links (a hard link to another file)`;
  const euid = process.geteuid?.();
  if (euid !== undefined && info.uid !== euid) return `it belongs to uid ${info.uid}, not to uid ${euid}`;
  return null;
};

/**
 * `lstat` of `path`, `null` when there is nothing there (nor a folder on the way). Through the callback API: a
 * missing file is the usual answer here (a fresh download's checkpoint, lock and target), and the promise API makes
 * each into an error with a stack captured across the awaits, twice the cost of the call itself.
 */
export const lstatOrNull = (path: string): Promise<Stats | null> =>
  new Promise((resolve, reject) => {
    lstat(path, (error, info) => {
      if (error === null) resolve(info);
      else if (error.code === 'ENOENT' || error.code === 'ENOTDIR') resolve(null);
      else reject(error);
    });
  });

/**
 * Opens the existing file `path` with `flags` (`O_RDONLY`, `O_RDWR`…) only when it is a file this process may use
 * (`unsafeReason`): looked at with lstat first, so that no FIFO or device is ever opened, then opened with
 * O_NOFOLLOW | O_NONBLOCK and checked again on the open handle, which must be the file looked at (a swap between
 * the two steps is refused). Rejects with the file system's error for anything else.
 */
export const openOwnFile = async (path: string, flags: number): Promise<Existing<FileHandle>> => {
  const seen = await lstatOrNull(path);
  if (seen === null) return missing;
  const before = unsafeReason(seen);
  if (before !== null) return unsafe(before);
  let handle: FileHandle;
  try {
    handle = await open(path, flags | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT') return missing;
    if (code === 'ELOOP') return unsafe('it is a symbolic link, not a regular file');
    throw error;
  }
  const info = await handle.stat();
  const after =
    info.dev === seen.dev && info.ino === seen.ino ? unsafeReason(info) : 'it was replaced while opened';
  if (after === null) return { _tag: 'Found', value: handle };
  await handle.close();
  return unsafe(after);
};

/**
 * Creates `path` with `flags` | O_CREAT | O_EXCL | O_NOFOLLOW and mode 0600 (R31): the kernel makes a new file or
 * fails, it never opens what is already there, link or not. `null` when something exists at `path`.
 */
export const createOwnFile = async (path: string, flags: number): Promise<FileHandle | null> => {
  try {
    return await open(path, flags | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, privateFileMode);
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return null;
    throw error;
  }
};

/**
 * The text of the existing file `path`, opened as `openOwnFile` does, and read only when it holds at most
 * `maxBytes` (R33): `text` is `null` for a bigger one, which is not read. A lock or a checkpoint is a few hundred
 * bytes; a planted one must not make rdl read gigabytes.
 */
export const readOwnFile = async (
  path: string,
  maxBytes: number,
): Promise<Existing<{ readonly text: string | null; readonly info: Stats }>> => {
  const opened = await openOwnFile(path, constants.O_RDONLY);
  if (opened._tag !== 'Found') return opened;
  const handle = opened.value;
  try {
    const info = await handle.stat();
    if (info.size > maxBytes) return { _tag: 'Found', value: { text: null, info } };
    // One byte more than the stat said tells a file that grew since.
    const bytes = await readAt(handle, 0, info.size + 1);
    const text =
      bytes.length > maxBytes
        ? null
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    return { _tag: 'Found', value: { text, info } };
  } finally {
    await handle.close();
  }
};
