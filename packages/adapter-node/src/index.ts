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
} from '@rdl/core';
export { createDownload, createStreamDownload, download, nodePorts } from './createDownload.js';
export { checkpointPathOf, FileCheckpointStore } from './FileCheckpointStore.js';
export {
  DEFAULT_FLUSH_BEHIND_BYTES,
  FsStorage,
  type FsStorageOptions,
  lockPathOf,
  partPathOf,
} from './FsStorage.js';
export { NodeFetchHttp, type NodeFetchHttpOptions } from './NodeFetchHttp.js';
export { NodeHasher } from './NodeHasher.js';
export { NodeHttp, type NodeHttpOptions } from './NodeHttp.js';
export { StreamStorage } from './StreamStorage.js';
export { systemClock } from './systemClock.js';
export { isStreamTarget, type TargetKind, targetKindOf } from './targetKind.js';
export { maxTargetNameBytes, targetProblem } from './targetPath.js';
