import * as E from 'fp-ts/lib/Either.js';
import type { DownloadFailure } from '../../model/failure.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { HashAlgorithm } from '../../ports/Hasher.js';
import type { PartFile } from '../../ports/StoragePort.js';
import { committedPrefix } from '../../rules/checkpointCodec.js';
import { checksRun, checksumMismatch, expectedChecksums, hashAlgorithms } from '../../rules/checksums.js';
import type { VerifyInput, VerifyOutput } from '../effects.js';
import { effectActor } from './effectActor.js';
import { type DownloadSession, digestsOf, lostAny } from './session.js';

export interface VerifyDeps {
  readonly checkpoints: CheckpointStore;
  readonly session: DownloadSession;
}

/**
 * R27: the bytes counted must be the whole resource; every checksum known must match, the caller's and those the
 * server gave of this version (the running hash of the transfer, completed by reading back only what it missed). A
 * mismatch discards the data and the checkpoint, so the next start begins afresh. The part file stays open (and
 * locked) for `commit`, or for a cancel that came meanwhile, which deletes it (R24).
 */
export const createVerifyActor = (deps: VerifyDeps) =>
  effectActor('verify', (input: VerifyInput) => verify(deps, input), deps.session);

const verify = async (deps: VerifyDeps, input: VerifyInput): Promise<VerifyOutput> => {
  const { checkpoint, options } = input;
  const part = deps.session.part;
  const bytes = committedPrefix(checkpoint);
  if (checkpoint.totalLength !== null && bytes !== checkpoint.totalLength) {
    return discard(deps, part, options.target, {
      _tag: 'IntegrityError',
      check: 'length',
      source: null,
      expected: String(checkpoint.totalLength),
      actual: String(bytes),
    });
  }
  // A storage that lost writes and said they went through (a browser's full quota) left a file short of the bytes
  // counted: it is never committed, and the next start resumes from what the file really holds (R19, R21). Looked
  // at before the truncate, which would make a short file long with zeros.
  const size = await part.size()();
  if (E.isLeft(size)) return failed(size.left);
  if (size.right < bytes) {
    return failed({
      _tag: 'IoError',
      message: `${options.target}: the part file holds ${size.right} bytes where ${bytes} were written`,
    });
  }
  // Bytes past those counted were never trusted (R20, R21).
  const trimmed = await part.truncate(bytes)();
  if (E.isLeft(trimmed)) return failed(trimmed.left);

  // Every checksum known: the caller's, and the server's for this version (R27).
  const expected = expectedChecksums(options, deps.session.serverChecksums);
  let digests: Partial<Record<HashAlgorithm, string>> = {};
  const algorithms = hashAlgorithms(options, expected);
  let hash = deps.session.takeHash(bytes, algorithms);
  if (hash !== null) {
    let caughtUp = await deps.session.catchUp(part, hash, bytes);
    // A hashing thread that died mid-way lost bytes: the file is hashed again, once, rather than digest fail.
    if (caughtUp === null && lostAny(hash)) {
      hash = deps.session.freshHash(algorithms);
      caughtUp = await deps.session.catchUp(part, hash, bytes);
    }
    if (caughtUp !== null) return failed(caughtUp);
    digests = digestsOf(hash);
    const mismatch = checksumMismatch(expected, digests);
    if (mismatch !== null)
      return discard(deps, part, options.target, { _tag: 'IntegrityError', ...mismatch });
  }

  return { _tag: 'Verified', bytes, sha256: digests.sha256 ?? null, checks: checksRun(expected) };
};

/** R27: the data is thrown away (part file emptied, then the checkpoint removed) and the failure names both values. */
const discard = async (
  deps: VerifyDeps,
  part: PartFile,
  target: string,
  failure: DownloadFailure,
): Promise<VerifyOutput> => {
  const emptied = await part.truncate(0)();
  if (E.isRight(emptied)) await part.flush()();
  await deps.checkpoints.remove(target)();
  return { _tag: 'Fail', failure, discarded: true };
};

const failed = (failure: DownloadFailure): VerifyOutput => ({ _tag: 'Fail', failure, discarded: false });
