import type { DownloadFailure, DownloadResult, Progress, RestartReason } from '@rdl/core';
import { describeFailure } from '@rdl/core';
import { checkName } from './checkName.js';
import { formatBytes, formatPercent } from './units.js';

const restartReasons: { readonly [K in RestartReason]: string } = {
  RANGE_IGNORED: 'the server ignored the range and sent the whole file',
  RANGE_HIDDEN:
    "the answer's Content-Range is hidden (a browser's CORS: the server's Access-Control-Expose-Headers does not name it)",
  RESOURCE_CHANGED: 'the file changed on the server',
  NO_STRONG_VALIDATOR: 'the server gives no strong validator, so the partial bytes cannot be trusted',
  CONTENT_ENCODED: 'the server compresses the body, so byte offsets do not match the file',
  NOT_RANGEABLE: 'the server does not support ranges',
  CHECKPOINT_INVALID: 'the checkpoint could not be read',
  URL_CHANGED:
    'the checkpoint is of another URL (another scheme, host, port or path, or another query with no strong ETag proving the same file)',
  SOURCE_CHANGED:
    'the bytes on disk came from another URL than the one the download now goes to (a redirect that leads elsewhere, or a refreshed URL), with no strong ETag proving the same file',
  PART_FILE_MISSING: 'the partial file is missing',
  INTEGRITY_MISMATCH: 'the finished file failed its check and was discarded',
};

const sizeOf = (total: number | null): string => (total === null ? 'size unknown' : formatBytes(total));

/** The human lines the command prints on stderr, each one line, prefixed like every rdl message. */
/** The flag each download option the command sets comes from, for the messages of its refusals. */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  target: '--output',
  headUrl: '--head-url',
  stallTimeoutMs: '--stall-timeout',
  lowSpeedLimit: '--speed-limit',
  lowSpeedTimeMs: '--speed-time',
  maxBytesPerSecond: '--limit-rate',
  connections: '--connections',
  maxConnections: '--max-connections',
  minSegmentBytes: '--min-split-size',
  maxFileBytes: '--max-filesize',
  expectedSha256: '--sha256',
  headers: '--header',
  'retry.retries': '--retries',
};

export const messages = {
  /** `verifies`: a checksum is checked, so every byte already there is read back; otherwise only its length is. */
  start: (
    { url, target, verifies }: { readonly url: string; readonly target: string; readonly verifies: boolean },
    resumedFrom: number,
    total: number | null,
  ): string =>
    resumedFrom > 0 && resumedFrom === total
      ? `rdl: every byte of ${target} (${formatBytes(total)}) is already there${verifies ? ': checking it' : ''}`
      : resumedFrom > 0
        ? `rdl: resuming ${target} at ${formatBytes(resumedFrom)} of ${sizeOf(total)}`
        : `rdl: downloading ${url} to ${target} (${sizeOf(total)})`,
  restart: (reason: RestartReason): string => `rdl: starting again from byte 0: ${restartReasons[reason]}`,
  retry: (failure: DownloadFailure, attempt: number, delayMs: number): string =>
    `rdl: ${describeFailure(failure)}; retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s`,
  notice: (message: string): string => `rdl: ${message}`,
  /**
   * The SHA-256 only when the download computed it (`--sha256` or `--json`), and the checks that ran, the caller's
   * and the server's (R27).
   */
  done: (result: DownloadResult): string => {
    const sha = result.sha256 === null ? '' : `, sha256 ${result.sha256}`;
    const checked = result.checks.length === 0 ? '' : `, checked ${result.checks.map(checkName).join(', ')}`;
    return `rdl: saved ${result.target} (${formatBytes(result.bytes)}${sha}${checked})`;
  },
  /**
   * Two lines: where it paused, and the command that resumes. `resumeCommand`: `null` for a plain stream (`-o -`, a
   * device), which no run goes on with (R32). `saved` false: the pause did not end in time, and the checkpoint it
   * would have saved is not vouched for (R24).
   */
  paused: (progress: Progress, resumeCommand: string | null, saved: boolean): readonly string[] => {
    const percent = formatPercent(progress.bytes, progress.total);
    const at = `${formatBytes(progress.bytes)} of ${sizeOf(progress.total)}${percent === '' ? '' : ` (${percent})`}`;
    if (resumeCommand === null)
      return [
        `rdl: stopped at ${at}; a plain stream is not resumable: the same command fetches it again from the start`,
      ];
    // Stopped before a byte came (the probe unanswered, say): nothing to go on from, the next run starts it.
    if (progress.bytes === 0)
      return [
        `rdl: paused before any byte arrived. To start it, run the same command again:`,
        `  ${resumeCommand}`,
      ];
    return [
      saved
        ? `rdl: paused at ${at}; the checkpoint is saved. To resume, run the same command again:`
        : `rdl: stopped at ${at} before the pause ended; the download goes on from its last saved checkpoint. To resume, run the same command again:`,
      `  ${resumeCommand}`,
    ];
  },
  failure: (code: string, message: string): string => `rdl: ${message} (${code})`,
  /**
   * The message of a download's failure, in the command's words where the library's would name its hooks: an
   * expired signature says what to run (R18), a failing `--refresh-command` says so.
   */
  downloadFailure: (failure: DownloadFailure, refresh: 'none' | 'unused' | 'ran'): string => {
    if (failure._tag === 'UrlExpired') {
      switch (refresh) {
        case 'ran':
          return `the signed URL expired and the URLs --refresh-command printed were refused too (HTTP 403): ${failure.url}`;
        case 'unused':
          return `the signed URL expired (HTTP 403 after bytes were saved) once the retries had run out, before --refresh-command was run: run the same command again, and it resumes from those bytes: ${failure.url}`;
        case 'none':
          return `the signed URL expired (HTTP 403 after bytes were saved): run the same command with the URL signed again, and it resumes from those bytes (or give --refresh-command): ${failure.url}`;
      }
    }
    if (failure._tag === 'RefreshFailed') return `--refresh-command failed: ${failure.message}`;
    if (failure._tag === 'InvalidInput') {
      // A library option's name is no help to who typed a flag: the flag it came from is named instead.
      const flag = FLAG_OF_OPTION[failure.field];
      if (flag !== undefined) return describeFailure({ ...failure, field: flag });
    }
    return describeFailure(failure);
  },
};
