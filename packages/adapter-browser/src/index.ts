/**
 * `@rdl/adapter-browser`: downloads into the Origin Private File System, resumably across lost networks and page
 * reloads, in a dedicated worker. The pieces it is built from (the storage RPC between page and worker, the quota
 * guard, the lock names) are in `@rdl/adapter-browser/parts`.
 */
export {
  type Download,
  DownloadError,
  type DownloadEvent,
  type DownloadFailure,
  type DownloadOptions,
  type DownloadPorts,
  type DownloadResult,
  isDownloadError,
  type Progress,
  type QueueEvent,
  type QueueItem,
  type QueueSummary,
} from '@rdl/core';
export { browserClock } from './browserClock.js';
export {
  createDownload,
  createWorkerDownload,
  download,
  type WorkerDownloadSettings,
} from './createDownload.js';
export { browserPorts, createDownloadHere, type HereHooks } from './createDownloadHere.js';
export { type BrowserQueue, type BrowserQueueOptions, createQueue } from './createQueue.js';
export { getDownloadedFile, removeDownloadedFile, saveFile } from './downloadedFile.js';
export { FetchHttp, type FetchHttpOptions } from './FetchHttp.js';
export { IdbCheckpointStore, type IdbCheckpointStoreOptions } from './IdbCheckpointStore.js';
export { IdbQueueStore, type IdbQueueStoreOptions } from './IdbQueueStore.js';
export { OpfsStorage, type OpfsStorageOptions } from './OpfsStorage.js';
export { type SavedDownload, savedDownload } from './savedDownload.js';
export { WritableStorage } from './WritableStorage.js';
