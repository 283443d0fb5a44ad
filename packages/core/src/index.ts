/**
 * `@rdl/core`: what an application uses. One download (`createDownload`) over the ports a platform gives, its
 * events and result, the typed failures, and the port interfaces. The resume rules are in `@rdl/core/rules`, the
 * pieces an adapter is built from in `@rdl/core/adapter`, the in-memory ports and test server in
 * `@rdl/core/memory`, the contract suites in `@rdl/core/testing`, the state machine in `@rdl/core/machine`.
 */
export { createDownload, download, type QueueBindings } from './api/createDownload.js';
export { createQueue } from './api/createQueue.js';
export type { ByteRange, Checkpoint, Validators } from './model/checkpoint.js';
export type { ChecksumCheck, ChecksumSource } from './model/checksum.js';
export { DownloadError, isDownloadError } from './model/DownloadError.js';
export type { RestartReason } from './model/decision.js';
export type {
  Download,
  DownloadEvent,
  DownloadPorts,
  DownloadResult,
  DownloadState,
  EventListener,
  Progress,
} from './model/download.js';
export {
  type DownloadFailure,
  describeFailure,
  type FailureCode,
  type FailureTag,
  failureCode,
  failureCodes,
  matchFailure,
} from './model/failure.js';
export type { DownloadOptions, RefreshedUrls, RefreshUrl, RetryOptions } from './model/options.js';
export type {
  DownloadFactory,
  Queue,
  QueuedDownload,
  QueueEvent,
  QueueItem,
  QueueItemState,
  QueueOptions,
  QueuePorts,
  QueueSummary,
  SavedOptions,
} from './model/queue.js';
export type { AbortSignalLike } from './ports/abort.js';
export type { CheckpointStore } from './ports/CheckpointStore.js';
export type { Clock, TimerId } from './ports/Clock.js';
export type { HashAlgorithm, Hasher, HashState } from './ports/Hasher.js';
export type {
  HeaderMap,
  HttpFailure,
  HttpPort,
  HttpRequest,
  HttpResponse,
  ProxyFailure,
} from './ports/HttpPort.js';
export type { QueueStore, StoredItem } from './ports/QueueStore.js';
export type { PartFile, StorageFailure, StoragePort } from './ports/StoragePort.js';
