export * from './ManualClock.js';
export * from './MemoryCheckpointStore.js';
export * from './MemoryHasher.js';
export * from './MemoryStorage.js';
