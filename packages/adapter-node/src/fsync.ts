import { statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errnoOf } from './fsFailure.js';

/** How long a folder's handle stays open after its last fsync: a list's files come one after another. */
export const FOLDER_IDLE_MS = 1000;

/** One folder's open handle, and the fsyncs of it running and waiting. */
interface Folder {
  /** The open folder, `null` where the platform cannot open or fsync one (then a rename is as durable as it gets). */
  readonly handle: Promise<FileHandle | null>;
  /** Which folder the handle is: a folder swapped at the path since is opened again. */
  dev: number;
  ino: number;
  /** The fsync running now: it may have begun before a caller's rename, so it does not count for that caller. */
  running: Promise<void> | null;
  /** The fsync that begins once `running` ends: every caller that came meanwhile shares it. */
  next: Promise<void> | null;
  closer: ReturnType<typeof setTimeout> | null;
}

const folders = new Map<string, Folder>();

const isUnsupported = (error: unknown): boolean => {
  const code = errnoOf(error);
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EBADF';
};

/** The folder at `path`, opened again when the path now names another folder than the handle (or none). */
const folderAt = (path: string): Folder => {
  const now = statSync(path, { throwIfNoEntry: false });
  const known = folders.get(path);
  if (known !== undefined && now !== undefined && now.dev === known.dev && now.ino === known.ino)
    return known;
  if (known !== undefined) forget(path, known);
  const handle = open(path, 'r').catch((error: unknown) => {
    if (isUnsupported(error)) return null;
    throw error;
  });
  const folder: Folder = {
    handle,
    dev: now?.dev ?? -1,
    ino: now?.ino ?? -1,
    running: null,
    next: null,
    closer: null,
  };
  // A folder that failed to open is not kept: the next call tries again (and fails with the cause itself).
  handle.catch(() => forget(path, folder));
  folders.set(path, folder);
  return folder;
};

/** Drops `folder` from the cache and closes its handle once its fsyncs are done. */
const forget = (path: string, folder: Folder): void => {
  if (folders.get(path) === folder) folders.delete(path);
  if (folder.closer !== null) clearTimeout(folder.closer);
  const quiet = Promise.allSettled([folder.running, folder.next]);
  void quiet
    .then(() => folder.handle)
    .then((handle) => handle?.close())
    .catch(() => undefined);
};

const fsyncOnce = async (folder: Folder): Promise<void> => {
  const handle = await folder.handle;
  if (handle === null) return;
  try {
    await handle.sync();
  } catch (error) {
    if (!isUnsupported(error)) throw error;
  }
};

/**
 * Makes a rename, creation or removal inside `directory` durable (R19, R20), once it has been made: an fsync of the
 * folder that begins after this call. Some platforms cannot open or fsync a folder (Windows, some network file
 * systems): they answer EISDIR, EINVAL, EPERM or ENOTSUP, and there the rename is as durable as the platform
 * allows, so those are not failures.
 *
 * The folder stays open for `FOLDER_IDLE_MS` after its last use, and calls that come while its fsync runs share
 * the one that begins after it (a group commit): a list of a thousand files in one folder opened, fsynced and closed
 * it three times a file, each its own trip through the thread pool. The path is looked at (synchronously, a stat)
 * on every call, so that a folder swapped at it is never the one fsynced in its place.
 */
export const fsyncDirectory = async (directory: string): Promise<void> => {
  const path = resolve(directory);
  const folder = folderAt(path);
  if (folder.closer !== null) clearTimeout(folder.closer);
  folder.closer = setTimeout(() => forget(path, folder), FOLDER_IDLE_MS);
  folder.closer.unref?.();
  if (folder.next !== null) return folder.next;
  if (folder.running === null) {
    const run = fsyncOnce(folder).finally(() => {
      if (folder.running === run) folder.running = null;
    });
    folder.running = run;
    return run;
  }
  const next = folder.running
    .catch(() => undefined)
    .then(() => {
      folder.next = null;
      const run = fsyncOnce(folder).finally(() => {
        if (folder.running === run) folder.running = null;
      });
      folder.running = run;
      return run;
    });
  folder.next = next;
  return next;
};
