/**
 * `@rdl/core/adapter`: the pieces a platform adapter is built from, beside the rules: the refused download every
 * adapter returns for bad input (R30), the listener set, the empty progress, and an abort handle that needs no
 * platform `AbortController`.
 */
export { type AbortHandle, createAbortHandle } from '../ports/abort.js';
export { Listeners } from './listeners.js';
export { noProgress, refusedDownload } from './refusedDownload.js';
