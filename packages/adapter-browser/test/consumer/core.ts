// A consumer of core alone, as an application or a third adapter compiles it (see test/node/consumerTypes.test.ts).
import {
  createDownload,
  type Download,
  type DownloadOptions,
  type DownloadPorts,
  isDownloadError,
} from '@rdl/core';
import { createAbortHandle, downloadSurface, Listeners, refusedDownload } from '@rdl/core/adapter';
import { downloadMachine } from '@rdl/core/machine';
import { MemoryCheckpointStore, MemoryHasher, MemoryServer, MemoryStorage } from '@rdl/core/memory';
import { classifyResponse, decodeCheckpoint, parseUrl, planStart } from '@rdl/core/rules';

export const options: DownloadOptions = { url: 'https://example.com/a.bin', target: 'a.bin' };
export const start = (ports: DownloadPorts): Download => createDownload(options, ports);
export const used: readonly unknown[] = [
  isDownloadError,
  createAbortHandle,
  downloadSurface,
  Listeners,
  refusedDownload,
  downloadMachine,
  MemoryCheckpointStore,
  MemoryHasher,
  MemoryServer,
  MemoryStorage,
  classifyResponse,
  decodeCheckpoint,
  parseUrl,
  planStart,
];
