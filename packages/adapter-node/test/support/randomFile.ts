import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/** Writes `size` random bytes to `path` in 4 MiB writes; resolves their SHA-256. */
export const writeRandomFile = async (path: string, size: number): Promise<string> => {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size; ) {
      const chunk = randomBytes(Math.min(4 * 1024 * 1024, size - written));
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, written);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
};

/**
 * Writes `size` bytes to `path`: one random block of `blockBytes` repeated, cheap for GiBs (the benches need an
 * amount of data, not its entropy); resolves their SHA-256.
 */
export const writeRepeatedFile = async (
  path: string,
  size: number,
  blockBytes = 16 * 1024 * 1024,
): Promise<string> => {
  const block = randomBytes(blockBytes);
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += block.length) {
      const length = Math.min(block.length, size - at);
      hash.update(block.subarray(0, length));
      await handle.write(block, 0, length, at);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
};

/** The SHA-256 of the file at `path`, read as a stream (the files are hundreds of MiB). */
export const sha256File = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
