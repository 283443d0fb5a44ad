/**
 * `@rdl/core/adapter`: the pieces a platform adapter is built from, beside the rules: the refused download every
 * adapter returns for bad input (R30), the listener set, options read once (`readOptions`), the empty progress, and an abort handle that needs no
 * platform `AbortController`.
 */

export { type DownloadParts, downloadSurface } from '../api/downloadSurface.js';
export { Listeners } from '../api/listeners.js';
export { readOptions } from '../api/readOptions.js';
export { guardedDownload, noProgress, refusedDownload } from '../api/refusedDownload.js';
export { Crc64 } from '../hashing/crc64.js';
export { type AbortHandle, createAbortHandle } from '../ports/abort.js';
export { badBodyError, isBadBodyError } from '../ports/bodyError.js';
