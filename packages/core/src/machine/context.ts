import type { Checkpoint } from '../model/checkpoint.js';
import type { ChecksumCheck } from '../model/checksum.js';
import type { ProbeResult, RestartReason, StartPlan } from '../model/decision.js';
import type { DownloadFailure } from '../model/failure.js';
import type { ResolvedOptions } from '../model/options.js';
import { type AttemptCount, type AttemptVerdict, noAttempts } from '../rules/attempts.js';

/** A request ended with a retry, an expired URL or a restart: what the attempt rules said of it (R18, R25). */
export interface NextAttempt {
  readonly kind: 'retry' | 'refresh' | 'restart';
  /** Why a restart begins again from byte 0. */
  readonly reason?: RestartReason;
  readonly verdict: AttemptVerdict;
}

/** What the machine is started with. */
export interface DownloadMachineInput {
  readonly options: ResolvedOptions;
  /** Whether the caller gave a `refreshUrl` hook (R18). */
  readonly refreshable: boolean;
}

/**
 * The machine's memory: JSON only, so a persisted snapshot can restore a download. Ports, file handles and hash
 * states live in the actors that createDownload provides, never here.
 */
export interface DownloadContext {
  readonly options: ResolvedOptions;
  readonly refreshable: boolean;
  /** The URLs asked for now: the caller's, or those a `refreshUrl` hook gave (R18). */
  readonly urls: { readonly url: string; readonly headUrl: string };
  /** The checkpoint last saved (or loaded); `null` before loading, or after a restart was decided. */
  readonly checkpoint: Checkpoint | null;
  /** The size of the part file, as last seen. */
  readonly partSize: number;
  /** The size of the finished file `<target>` when `preparing` looked, `null` when there was none (R19, R21). */
  readonly targetSize: number | null;
  /**
   * The bytes the checkpoint on storage counts, as this run last saw or saved it (an unreadable one counts none).
   * `null` until this run's `preparing` opened the part file and read the checkpoint: before that, what is on storage
   * is not this run's to judge, it may be another download's (R23).
   */
  readonly durableBytes: number | null;
  readonly probe: ProbeResult | null;
  readonly plan: StartPlan | null;
  /** Where this run's data requests go: `url`, or the probe's final URL when the probe went to `url` (R16, R17). */
  readonly dataUrl: string | null;
  /** The caller's headers fit for `dataUrl`: credentials only at the origin of `url` (R17). */
  readonly dataHeaders: Readonly<Record<string, string>>;
  /** Attempts without progress, the run's high-water mark and its restarts (R25). */
  readonly count: AttemptCount;
  /** What the attempt rules said of the request that just ended, until `judging` takes it. */
  readonly next: NextAttempt | null;
  /** The backoff of the wait now running. */
  readonly retryDelayMs: number;
  /** The status of the request that found the URL expired (R18). */
  readonly expiredStatus: number;
  readonly failure: DownloadFailure | null;
  /** The checkpoint on storage could not be decoded: a fresh start then says its bytes were thrown away (R22). */
  readonly tornCheckpoint: boolean;
  /**
   * This run stays on one connection: it found the server answering a range with 200 (R7), encoding an answer (R5),
   * or its segments naming another version twice (`segmentedChanges`).
   */
  readonly singleOnly: boolean;
  /**
   * Segmented runs of this run that a change ended (R41: a 412 or other validators on a segment). Several backends
   * behind one name, each with its own ETag for the same bytes, end every segmented run so; the second one goes on
   * one connection, which asks one backend for the whole file.
   */
  readonly segmentedChanges: number;
  /** The caller's network hint: while offline, a retry wait holds until `online()`. */
  readonly online: boolean;
  /**
   * What a stop in progress is for; `'resume'`: a resume asked while the pause was under way, so the download goes
   * on once the pause has saved everything (the last of pause and resume wins; a cancel wins over both).
   */
  readonly stopIntent: 'pause' | 'cancel' | 'resume' | null;
  readonly result: {
    readonly bytes: number;
    readonly sha256: string | null;
    readonly checks: readonly ChecksumCheck[];
  } | null;
}

export const initialContext = (input: DownloadMachineInput): DownloadContext => ({
  options: input.options,
  refreshable: input.refreshable,
  urls: { url: input.options.url, headUrl: input.options.headUrl },
  checkpoint: null,
  partSize: 0,
  targetSize: null,
  durableBytes: null,
  probe: null,
  plan: null,
  dataUrl: null,
  dataHeaders: {},
  count: noAttempts,
  next: null,
  retryDelayMs: 0,
  expiredStatus: 0,
  failure: null,
  tornCheckpoint: false,
  singleOnly: false,
  segmentedChanges: 0,
  online: true,
  stopIntent: null,
  result: null,
});
