import type { Checkpoint } from '../../src/model/checkpoint.js';

/** The URL the resume-rule tests download. */
export const FILE_URL = 'https://example.com/f.bin';

/** An HTTP-date, for Last-Modified and Date. */
export const OLD = 'Sun, 06 Nov 1994 08:49:37 GMT';
/** A day after `OLD`. */
export const LATER = 'Mon, 07 Nov 1994 08:49:37 GMT';

/** The checkpoint a stopped run left: `FILE_URL`, strong ETag `"v1"`, 1000 bytes in all, `[0, 400)` saved. */
export const stored: Checkpoint = {
  version: 1,
  url: FILE_URL,
  source: FILE_URL,
  validators: { etag: '"v1"', lastModified: null, date: null },
  totalLength: 1000,
  ranges: [[0, 400]],
};
