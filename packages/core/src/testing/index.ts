export * from './checkpointStoreContract.js';
export * from './queueStoreContract.js';
export * from './storageContract.js';
export * from './taskEitherAssertions.js';
