export { browserClock } from './browserClock.js';
export {
  createDownload,
  createWorkerDownload,
  download,
  type WorkerDownloadSettings,
} from './createDownload.js';
export { browserOptions, browserPorts, createDownloadHere, type HereHooks } from './createDownloadHere.js';
export { getDownloadedFile, removeDownloadedFile, saveFile } from './downloadedFile.js';
export { FetchHttp, type FetchHttpOptions, isCrossOrigin } from './FetchHttp.js';
export { hasSyncAccessHandles } from './fileSystemAccess.js';
export { IdbCheckpointStore, type IdbCheckpointStoreOptions } from './IdbCheckpointStore.js';
export { OpfsStorage, type OpfsStorageOptions } from './OpfsStorage.js';
export { withQuotaCheck } from './quota.js';
export { type SavedDownload, savedDownload } from './savedDownload.js';
export { lockName } from './targetLock.js';
export { WritableStorage } from './WritableStorage.js';
export { type MessageEndpoint, RemoteStorage, serveStorage } from './worker/storageRpc.js';
