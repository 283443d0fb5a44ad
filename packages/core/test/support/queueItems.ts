import type { DownloadOptions } from '../../src/model/options.js';

/** The URL and the target of a queue test's item `n`. */
export const url = (n: number) => `https://files.example/${n}.bin`;
export const target = (n: number) => `f${n}.bin`;

/** Small writes, frequent checkpoints and a stall timer the paced test bodies never trip. */
export const FAST: Partial<DownloadOptions> = {
  writeBufferBytes: 2_000,
  checkpointIntervalMs: 20,
  stallTimeoutMs: 5_000,
};
