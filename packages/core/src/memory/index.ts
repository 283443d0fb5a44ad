export * from './faults.js';
export { gzipStored } from './gzipStored.js';
export * from './ManualClock.js';
export * from './MemoryCheckpointStore.js';
export * from './MemoryHasher.js';
export * from './MemoryServer.js';
export * from './MemoryStorage.js';
export type { ResourceOptions, ResourceVersion } from './memoryResource.js';
export { MemoryResource } from './memoryResource.js';
