/**
 * `@rdl/adapter-node`: downloads to files on Node.js (and Bun, Deno), resumably. `createDownload` / `download` with
 * the Node ports filled in, `createStreamDownload` into any writable stream, and the ports themselves to swap or
 * configure. Where each sidecar file lives, and how a target is judged, is in `@rdl/adapter-node/files`.
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
  type Queue,
  type QueuedDownload,
  type QueueEvent,
  type QueueItem,
  type QueueOptions,
  type QueueStore,
  type QueueSummary,
} from '@rdl/core';
export { type CookieFileProblem, type FileCookie, parseCookieFile } from './cookieFile.js';
export {
  createDownload,
  createStreamDownload,
  download,
  type NodePortOptions,
  nodePorts,
} from './createDownload.js';
export { createQueue, type NodeQueueOptions } from './createQueue.js';
export { FileCheckpointStore } from './FileCheckpointStore.js';
export { FileQueueStore } from './FileQueueStore.js';
export { DEFAULT_FLUSH_BEHIND_BYTES, FsStorage, type FsStorageOptions } from './FsStorage.js';
export type { IpFamily, ResolvedHost } from './http1/hostLookup.js';
export { NodeFetchHttp, type NodeFetchHttpOptions } from './NodeFetchHttp.js';
export { NodeHasher, type NodeHasherOptions } from './NodeHasher.js';
export { NodeHttp, type NodeHttpOptions } from './NodeHttp.js';
export { StreamStorage } from './StreamStorage.js';
export { systemClock } from './systemClock.js';
