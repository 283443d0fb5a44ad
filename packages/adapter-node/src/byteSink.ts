import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { UnsafeFileError } from './fsFailure.js';

/** Where a stream's bytes go, in the order written. */
export interface ByteSink {
  /** Hands on every byte of `bytes`, after those written before; resolves once taken (the buffer may be reused). */
  write(bytes: Uint8Array): Promise<void>;
  /** Resolves once every byte written was handed on; the sink is then closed (stdout stays open for others). */
  end(): Promise<void>;
}

/** A tty opened as the target must not become the process's controlling terminal. */
const O_NOCTTY = constants.O_NOCTTY ?? 0;

/**
 * Opens `path` for writing as a stream (R32): no O_CREAT (it exists, or the write fails), O_TRUNC only when
 * `truncate` (a regular file behind a link), and the file opened must be the one `expected` names, so a file
 * swapped in since it was looked at is refused, not written. A FIFO waits here for its reader.
 */
export const openFileSink = async (
  path: string,
  truncate: boolean,
  expected: { readonly dev: number; readonly ino: number },
): Promise<ByteSink> => {
  const handle = await open(path, constants.O_WRONLY | O_NOCTTY | (truncate ? constants.O_TRUNC : 0));
  const info = await handle.stat();
  if (info.dev !== expected.dev || info.ino !== expected.ino) {
    await handle.close();
    throw new UnsafeFileError(path, 'it was replaced after it was looked at');
  }
  return fileSink(handle);
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
