import type { OpfsFileHandle } from './fileSystemAccess.js';

/**
 * Renames `from` to `to` in `directory`, replacing `to` (the commit of R19).
 *
 * Where `FileSystemHandle.move()` exists (Chromium 110+, Safari 16.4+) it is one rename in the browser's storage
 * backend: the final name shows either the old file or the whole new one. Elsewhere the bytes are copied through
 * `createWritable()`, which writes to a swap file and swaps it in on `close()`, so the final name still never shows
 * a partial file; the part file is deleted afterwards. The copy costs a second pass over the data and, for a moment,
 * twice the space of the file.
 */
export const moveFile = async (
  directory: FileSystemDirectoryHandle,
  from: string,
  to: string,
): Promise<void> => {
  const source = (await directory.getFileHandle(from)) as OpfsFileHandle;
  if (source.move !== undefined) {
    await source.move(directory, to);
    return;
  }
  const destination = await directory.getFileHandle(to, { create: true });
  const writable = await destination.createWritable();
  await (await source.getFile()).stream().pipeTo(writable);
  await directory.removeEntry(from);
};
