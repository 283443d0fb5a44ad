/**
 * `@rdl/adapter-browser/parts`: what the browser adapter is built from, for those who assemble their own: the
 * options a cross-origin download gets, the feature tests, the quota guard (R40), the Web Lock names (R23), and the
 * storage RPC between a page and its storage worker.
 */
export { browserOptions } from './createDownloadHere.js';
export { isCrossOrigin } from './FetchHttp.js';
export { hasSyncAccessHandles } from './fileSystemAccess.js';
export { withQuotaCheck } from './quota.js';
export { lockName } from './targetLock.js';
export { type MessageEndpoint, RemoteStorage, serveStorage } from './worker/storageRpc.js';
