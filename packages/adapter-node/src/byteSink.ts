import { constants, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { errnoOf, UnsafeFileError } from './fsFailure.js';

/** Where a stream's bytes go, in the order written. */
export interface ByteSink {
  /** Hands on every byte of `bytes`, after those written before; resolves once taken (the buffer may be reused). */
  write(bytes: Uint8Array): Promise<void>;
  /** Resolves once every byte written was handed on; the sink is then closed (stdout stays open for others). */
  end(): Promise<void>;
}

/** A tty opened as the target must not become the process's controlling terminal. */
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * Opens `path` for writing as a stream (R32): no O_CREAT (it exists, or the write fails), and the file opened must be
 * the one `expected` names, so a file swapped in since it was looked at is refused, never written nor emptied: a
 * regular file behind a link is truncated (`truncate`, as `curl -o`) only once the handle is known to be it. Only an
 * expected FIFO may make the opening wait (for its reader): any other is opened with O_NONBLOCK, so that a FIFO
 * swapped in is refused at once (ENXIO, or not the file looked at), and a device is then opened again, blocking,
 * through the handle itself (`/proc/self/fd`), never through the path.
 */
export const openFileSink = async (
  path: string,
  expected: {
    readonly truncate: boolean;
    readonly fifo: boolean;
    readonly dev: number;
    readonly ino: number;
  },
): Promise<ByteSink> => {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | O_NOCTTY | (expected.fifo ? 0 : O_NONBLOCK));
  } catch (error) {
    // ENXIO: a socket (the one looked at, refused as before), or a FIFO with no reader swapped in for it.
    if (errnoOf(error) === 'ENXIO' && !isStill(path, expected)) throw replaced(path);
    throw error;
  }
  await checked(handle, path, expected);
  if (expected.truncate) await handle.truncate(0);
  else if (!expected.fifo) handle = await blocking(handle, path, expected);
  return fileSink(handle);
};

const replaced = (path: string): UnsafeFileError =>
  new UnsafeFileError(path, 'it was replaced after it was looked at');

/** `handle` is the file `expected` names, or it is closed and the opening refused (R31). */
const checked = async (
  handle: FileHandle,
  path: string,
  expected: { readonly dev: number; readonly ino: number },
): Promise<void> => {
  const info = await handle.stat();
  if (info.dev === expected.dev && info.ino === expected.ino) return;
  await handle.close();
  throw replaced(path);
};

const isStill = (path: string, expected: { readonly dev: number; readonly ino: number }): boolean => {
  const now = statSync(path, { throwIfNoEntry: false });
  return now !== undefined && now.dev === expected.dev && now.ino === expected.ino;
};

/**
 * `handle` opened again without O_NONBLOCK (a terminal would answer EAGAIN when full): through the handle itself
 * (`/proc/self/fd`), or, where there is no such path, through `path` once more, and checked to be the same file.
 */
const blocking = async (
  handle: FileHandle,
  path: string,
  expected: { readonly dev: number; readonly ino: number },
): Promise<FileHandle> => {
  let again: FileHandle;
  try {
    again = await open(`/proc/self/fd/${handle.fd}`, constants.O_WRONLY | O_NOCTTY);
  } catch {
    await handle.close();
    again = await open(path, constants.O_WRONLY | O_NOCTTY);
    await checked(again, path, expected);
    return again;
  }
  await handle.close();
  return again;
};

const fileSink = (handle: FileHandle): ByteSink => ({
  write: async (bytes) => {
    // A write to a pipe or a device may take part of the bytes: go on until all are taken.
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, null);
      done += bytesWritten;
    }
  },
  end: () => handle.close(),
});

/**
 * A sink on a Node stream such as `process.stdout` (`rdl URL -o -`). A write resolves in its callback, once the
 * stream has handed the bytes to the system: only then may the caller reuse the buffer. `end` waits for what is
 * queued and leaves the stream open: stdout is the process's, not the download's.
 */
export const writableSink = (stream: NodeJS.WritableStream): ByteSink => {
  const write = (bytes: Uint8Array | string): Promise<void> =>
    new Promise((resolve, reject) => {
      stream.write(bytes, (error) => (error === undefined || error === null ? resolve() : reject(error)));
    });
  return { write, end: () => write('') };
};
