import type { StorageFailure } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { resolveTarget } from './opfsPaths.js';
import { toStorageFailure } from './storageFailure.js';

const notFound = (error: unknown): boolean => error instanceof DOMException && error.name === 'NotFoundError';

/**
 * The size of the finished file `target` under `root`, `null` when neither it nor its folder exists (R19, R21). A
 * folder by that name is a `Left` (`TypeMismatchError`). Neither the part file nor the Web Lock is touched.
 */
export const finishedFileSize =
  (
    root: () => Promise<FileSystemDirectoryHandle>,
    target: string,
  ): TE.TaskEither<StorageFailure, number | null> =>
  async () => {
    try {
      const { directory, name } = await resolveTarget(await root(), target, false);
      const file = await (await directory.getFileHandle(name)).getFile();
      return { _tag: 'Right', right: file.size };
    } catch (error) {
      if (notFound(error)) return { _tag: 'Right', right: null };
      return { _tag: 'Left', left: toStorageFailure(error, target) };
    }
  };

/** Up to `length` bytes of the finished file `target` at `offset`, fewer only at its end (R27). */
export const readFinishedFile =
  (
    root: () => Promise<FileSystemDirectoryHandle>,
    target: string,
    offset: number,
    length: number,
  ): TE.TaskEither<StorageFailure, Uint8Array> =>
  async () => {
    try {
      const { directory, name } = await resolveTarget(await root(), target, false);
      const file = await (await directory.getFileHandle(name)).getFile();
      return {
        _tag: 'Right',
        right: new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
      };
    } catch (error) {
      return { _tag: 'Left', left: toStorageFailure(error, target) };
    }
  };
