import * as E from 'fp-ts/lib/Either.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { HashAlgorithm, Hasher } from '../../ports/Hasher.js';
import type { StorageFailure, StoragePort } from '../../ports/StoragePort.js';
import { committedPrefix } from '../../rules/checkpointCodec.js';
import { checksRun, checksumMismatch, expectedChecksums, hashAlgorithms } from '../../rules/checksums.js';
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
  /**
   * Told, and awaited, once the target is adopted, before the checkpoint goes (`MachineBindings`); false when it
   * could not be recorded finished, and the checkpoint stays. The checkpoint it was adopted from is on storage.
   */
  readonly finished?: (bytes: number, checkpointStored: boolean) => Promise<boolean>;
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
  // No request is made: only the caller's checksums are known (R27).
  const expected = expectedChecksums(options, {});
  const digested = await digestTarget(deps, input, bytes, hashAlgorithms(options, expected));
  if (E.isLeft(digested)) return { _tag: 'Fail', failure: digested.left };
  const digests = digested.right;
  const mismatch = checksumMismatch(expected, digests);
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
  if (E.isRight(discarded)) {
    // Not recorded finished (R45): the checkpoint stays, for the next start to adopt the target from again.
    if ((await deps.finished?.(bytes, true)) ?? true) await deps.checkpoints.remove(options.target)();
  } else await part?.close()();
  return { _tag: 'Adopted', bytes, sha256: digests.sha256 ?? null, checks: checksRun(expected) };
};

/** The digests of `algorithms` of the target's first `length` bytes. */
const digestTarget = async (
  deps: AdoptDeps,
  input: AdoptInput,
  length: number,
  algorithms: readonly HashAlgorithm[],
): Promise<E.Either<StorageFailure, Partial<Record<HashAlgorithm, string>>>> => {
  if (algorithms.length === 0) return E.right({});
  const states = algorithms.map((algorithm) => [algorithm, deps.hasher.create(algorithm)] as const);
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
    for (const [, state] of states) state.update(read.right);
    offset += read.right.length;
  }
  return E.right(Object.fromEntries(states.map(([algorithm, state]) => [algorithm, state.digest()])));
};
