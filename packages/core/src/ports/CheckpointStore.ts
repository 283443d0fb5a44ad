import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { StorageFailure } from './StoragePort.js';

/**
 * Where checkpoints live, as opaque text (core encodes and decodes them: what is read back is untrusted, R22).
 *
 * Contract:
 * - `save` is atomic: after a crash at any instant, `load` returns either the previous text or the new one, whole,
 *   never a mix or a prefix (temp file, fsync, rename; or one IndexedDB transaction) (R20).
 * - `save` is durable when it resolves.
 * - `load` of a key never saved, or removed, resolves `Right(null)`.
 * - `load` answers `Left(UnsafePath)` for a stored checkpoint it would not read (a link, a FIFO, a device, a file
 *   too big to be one, R33): core counts it as torn (R22), reports it and starts afresh, and the fresh start's
 *   first `save` replaces it. Any other `Left` fails the download.
 * - `remove` of a missing key succeeds.
 * - No call throws or rejects.
 */
export interface CheckpointStore {
  load(target: string): TaskEither<StorageFailure, string | null>;
  save(target: string, text: string): TaskEither<StorageFailure, void>;
  remove(target: string): TaskEither<StorageFailure, void>;
}
