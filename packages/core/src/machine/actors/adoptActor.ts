import * as E from 'fp-ts/lib/Either.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { Hasher } from '../../ports/Hasher.js';
import type { StorageFailure, StoragePort } from '../../ports/StoragePort.js';
import { committedPrefix } from '../../rules/checkpointCodec.js';
import { checksumMismatch, hashAlgorithms } from '../../rules/checksums.js';
import { notices } from '../../rules/notices.js';
import type { AdoptInput, AdoptOutput } from '../effects.js';
import { effectActor } from './effectActor.js';
import type { DownloadSession } from './session.js';

/** Bytes of the target read at a time to hash it. */
const READ_CHUNK_BYTES = 1 << 20;

export interface AdoptDeps {
  readonly storage: StoragePort;
  readonly checkpoints: CheckpointStore;
  readonly hasher: Hasher;
  readonly session: DownloadSession;
}

/**
 * A run killed between its commit and the checkpoint's removal left `<target>` whole (R19, R21). Its length was
 * checked by `isFinishedTarget`; the checksums asked for (or the SHA-256 the caller wants back) are computed by
 * reading the target (R27). Then the empty part file that `prepare` opened is deleted, which releases the lock, and
 * only then the checkpoint: a kill between the two leaves a state the next start recognises again.
 */
export const createAdoptActor = (deps: AdoptDeps) =>
  effectActor('adopt', (input: AdoptInput) => adopt(deps, input), deps.session);

const adopt = async (deps: AdoptDeps, input: AdoptInput): Promise<AdoptOutput> => {
  const { checkpoint, options } = input;
  const bytes = committedPrefix(checkpoint);
  const digested = await digestTarget(deps, input, bytes);
  if (E.isLeft(digested)) return { _tag: 'Fail', failure: digested.left };
  const digests = digested.right;
  const mismatch = checksumMismatch(options, digests);
  if (mismatch !== null) {
    return {
      _tag: 'Mismatch',
      notice: notices.targetMismatch(options.target, mismatch.check, mismatch.actual, mismatch.expected),
    };
  }
  const part = deps.session.take();
  const discarded = part === null ? E.right(undefined) : await part.discard()();
  // The target is whole either way. A part file that could not be deleted is closed (the lock goes) and keeps its
  // checkpoint, so that the next start adopts the target again and retries the cleanup, rather than finding an
  // orphan part file.
  if (E.isRight(discarded)) await deps.checkpoints.remove(options.target)();
  else await part?.close()();
  return { _tag: 'Adopted', bytes, sha256: digests.sha256 };
};

/** The digests of the target's first `length` bytes, each `null` when not asked for. */
const digestTarget = async (
  deps: AdoptDeps,
  input: AdoptInput,
  length: number,
): Promise<E.Either<StorageFailure, { readonly sha256: string | null; readonly md5: string | null }>> => {
  const wanted = hashAlgorithms(input.options);
  if (!wanted.sha256 && !wanted.md5) return E.right({ sha256: null, md5: null });
  const sha256 = wanted.sha256 ? deps.hasher.create('sha256') : null;
  const md5 = wanted.md5 ? deps.hasher.create('md5') : null;
  let offset = 0;
  while (offset < length) {
    const read = await deps.storage.readTarget(
      input.options.target,
      offset,
      Math.min(READ_CHUNK_BYTES, length - offset),
    )();
    if (E.isLeft(read)) return read;
    if (read.right.length === 0) {
      return E.left({ _tag: 'IoError', message: `${input.options.target} ends before byte ${length}` });
    }
    sha256?.update(read.right);
    md5?.update(read.right);
    offset += read.right.length;
  }
  return E.right({ sha256: sha256?.digest() ?? null, md5: md5?.digest() ?? null });
};
