import type { AnyEventObject, CallbackActorLogic, CallbackLogicFunction } from 'xstate';
import type { Checkpoint } from '../model/checkpoint.js';
import type { ChecksumCheck } from '../model/checksum.js';
import type { ProbeResult } from '../model/decision.js';
import type { DownloadFailure } from '../model/failure.js';
import type { RefreshedUrls, ResolvedOptions, SegmentOptions } from '../model/options.js';
import type { BackoffDraw } from '../rules/attempts.js';
import type { Notice } from '../rules/notices.js';
import type { TransferCommand } from './events.js';

/**
 * The effects the machine invokes, as contracts: what each actor gets and what it answers. The implementations
 * (`actors/prepareActor.ts`, …) close over the ports and are given per download through `machineFor`. Every
 * output is a value tagged by `_tag`, reported to the machine as the event `<actor>.<tag>` (see `effectActor`); no
 * actor rejects for an expected failure.
 */

export interface PrepareInput {
  readonly target: string;
}

/**
 * The part file is open and locked (R23); the checkpoint was loaded and decoded (R22); the finished target was
 * looked at (R19, R21).
 */
export type PrepareOutput =
  | {
      readonly _tag: 'Ready';
      /** `null` when there was none, or it could not be decoded (then `torn` says why). */
      readonly checkpoint: Checkpoint | null;
      readonly partSize: number;
      /** The size of the finished file `<target>`; `null` when there is none, or it could not be looked at. */
      readonly targetSize: number | null;
      /** Why a checkpoint on storage could not be decoded, `null` when there was none or it decoded. */
      readonly torn: string | null;
    }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

export interface ProbeInput {
  readonly headUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly stallTimeoutMs: number;
  /** Whether the download holds bytes and the caller can sign again: a 403 is then an expired signature (R18). */
  readonly hasBytes: boolean;
  readonly refreshable: boolean;
}

/** The probe (R16) learnt the resource; or the URL expired (R18); or a passing failure (R25); or the end. */
export type ProbeOutput =
  | { readonly _tag: 'Probed'; readonly probe: ProbeResult }
  | { readonly _tag: 'Expired'; readonly status: number }
  | ({ readonly _tag: 'Retry'; readonly failure: DownloadFailure } & BackoffDraw)
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

export interface TransferInput {
  /** Where this run's data requests go (R16, R17): see `dataRequestTarget`. */
  readonly url: string;
  readonly offset: number;
  readonly checkpoint: Checkpoint;
  /**
   * The bytes the checkpoint on storage counts (the machine's `durableBytes`): a fresh start over one that counts
   * none need not save before its first byte (`CheckpointSaver.keepOnly`).
   */
  readonly storedBytes: number;
  /** The download's options; `headers` are those fit for `url` (no credentials at another origin, R17). */
  readonly options: ResolvedOptions;
  readonly refreshable: boolean;
  /** Fetch over several connections with this policy (R41–R43); `null`: one stream (see `segmentPolicy`). */
  readonly segments: SegmentOptions | null;
}

export interface VerifyInput {
  readonly checkpoint: Checkpoint;
  readonly options: ResolvedOptions;
}

/** The file was checked (R27): its length and every checksum known; `commit` then gives it its name. */
export type VerifyOutput =
  | {
      readonly _tag: 'Verified';
      readonly bytes: number;
      readonly sha256: string | null;
      readonly checks: readonly ChecksumCheck[];
    }
  /** `discarded`: a check failed and the data was thrown away with its checkpoint (R27): nothing durable is left. */
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure; readonly discarded: boolean };

export interface CommitInput {
  readonly target: string;
  /** The bytes verified: what the file holds. */
  readonly bytes: number;
  /** The checkpoint that counts them, saved or not (a small file's never is: `CheckpointSaver.saveLast`). */
  readonly checkpoint: Checkpoint | null;
  /** The bytes the checkpoint on storage counts. */
  readonly durableBytes: number;
}

/** The verified file is under its final name (the atomic rename) and its checkpoint removed (R19). */
export type CommitOutput =
  | { readonly _tag: 'Committed' }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

export interface AdoptInput {
  /** The stored checkpoint, which counts every byte of the finished target. */
  readonly checkpoint: Checkpoint;
  readonly options: ResolvedOptions;
}

/**
 * The finished target left by a run killed after its commit (R19, R21): `Adopted` once checked (R27) and the part
 * file and checkpoint removed; `Mismatch` when a checksum asked for differs (nothing was removed: the run goes on
 * as if the target were missing, `notice` says why).
 */
export type AdoptOutput =
  | {
      readonly _tag: 'Adopted';
      readonly bytes: number;
      readonly sha256: string | null;
      readonly checks: readonly ChecksumCheck[];
    }
  | { readonly _tag: 'Mismatch'; readonly notice: Notice }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

export interface RefreshInput {
  readonly url: string;
  readonly status: number;
  /** How long the hook may take to answer (`refreshTimeoutMs`). */
  readonly timeoutMs: number;
}

export type RefreshOutput =
  | { readonly _tag: 'Refreshed'; readonly urls: RefreshedUrls }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

export interface ReleaseInput {
  readonly target: string;
  /**
   * For a pause: no checkpoint was found or saved and the part file was empty when it was opened (paused before the
   * probe answered). The part file is deleted rather than kept: nothing counts it, nothing goes on from it (R19).
   */
  readonly emptyUnsaved?: boolean;
}

/** Closing (pause, failure) or discarding (cancel) is best effort: a failure is reported, never thrown. */
export type ReleaseOutput =
  | { readonly _tag: 'Released' }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

/** Each effect the machine invokes: what it is given, and what the machine sends it while it runs. */
export interface EffectSignatures {
  readonly prepare: { readonly input: PrepareInput; readonly receives: AnyEventObject };
  readonly probe: { readonly input: ProbeInput; readonly receives: AnyEventObject };
  readonly transfer: { readonly input: TransferInput; readonly receives: TransferCommand };
  readonly verify: { readonly input: VerifyInput; readonly receives: AnyEventObject };
  readonly commit: { readonly input: CommitInput; readonly receives: AnyEventObject };
  readonly adopt: { readonly input: AdoptInput; readonly receives: AnyEventObject };
  readonly refresh: { readonly input: RefreshInput; readonly receives: AnyEventObject };
  readonly release: { readonly input: ReleaseInput; readonly receives: AnyEventObject };
  readonly discard: { readonly input: ReleaseInput; readonly receives: AnyEventObject };
}

export type EffectName = keyof EffectSignatures;

/** The actor logic the machine invokes for effect `K`. */
export type EffectLogic<K extends EffectName> = CallbackActorLogic<
  EffectSignatures[K]['receives'],
  EffectSignatures[K]['input']
>;

/** What one download runs for effect `K`: the callback of a callback actor. */
export type EffectCallback<K extends EffectName> = CallbackLogicFunction<
  EffectSignatures[K]['receives'],
  AnyEventObject,
  EffectSignatures[K]['input']
>;
