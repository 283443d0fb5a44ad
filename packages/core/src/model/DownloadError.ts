import { type DownloadFailure, describeFailure, type FailureCode, failureCode } from './failure.js';

/**
 * The public edge: an `Error` carrying a stable `code`, the failure as data in `failure`, and the underlying
 * cause. Use `isDownloadError` rather than `instanceof` across realms (workers, iframes, duplicated packages).
 */
export class DownloadError extends Error {
  override readonly name = 'DownloadError' as const;
  readonly code: FailureCode;
  readonly failure: DownloadFailure;

  constructor(failure: DownloadFailure, options?: { cause?: unknown }) {
    super(describeFailure(failure), options);
    this.code = failureCode(failure);
    this.failure = failure;
  }
}

export const isDownloadError = (value: unknown): value is DownloadError =>
  typeof value === 'object' &&
  value !== null &&
  (value as { name?: unknown }).name === 'DownloadError' &&
  typeof (value as { code?: unknown }).code === 'string';
