import type { Checkpoint } from '../checkpoint.js';
import type { ProbeResult, StartPlan } from '../decision.js';
import type { DownloadFailure } from '../errors.js';
import type { ResolvedOptions } from '../options.js';

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
  readonly probe: ProbeResult | null;
  readonly plan: StartPlan | null;
  /** Where this run's data requests go: the probe's final URL after redirects (R17). */
  readonly dataUrl: string | null;
  /** Passing failures in a row without a new byte (R25). */
  readonly attempt: number;
  /** The backoff of the wait now running. */
  readonly retryDelayMs: number;
  /** The status of the request that found the URL expired (R18). */
  readonly expiredStatus: number;
  readonly failure: DownloadFailure | null;
  /** The caller's network hint: while offline, a retry wait holds until `online()`. */
  readonly online: boolean;
  /** What a stop in progress is for. */
  readonly stopIntent: 'pause' | 'cancel' | null;
  readonly result: { readonly bytes: number; readonly sha256: string | null } | null;
}

export const initialContext = (input: DownloadMachineInput): DownloadContext => ({
  options: input.options,
  refreshable: input.refreshable,
  urls: { url: input.options.url, headUrl: input.options.headUrl },
  checkpoint: null,
  partSize: 0,
  probe: null,
  plan: null,
  dataUrl: null,
  attempt: 0,
  retryDelayMs: 0,
  expiredStatus: 0,
  failure: null,
  online: true,
  stopIntent: null,
  result: null,
});
