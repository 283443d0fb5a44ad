import type { FileHandle } from 'node:fs/promises';

/**
 * Up to `length` bytes of an open file at `offset`, fewer only at its end. A positional read may return fewer bytes
 * than asked before the end, so it goes on until the file has no more.
 */
export const readAt = async (
  handle: FileHandle,
  offset: number,
  length: number,
  into?: Uint8Array,
): Promise<Uint8Array> => {
  const buffer =
    into !== undefined && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
};
