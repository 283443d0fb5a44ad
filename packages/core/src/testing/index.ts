export * from './checkpointStoreContract.js';
export * from './storageContract.js';
export * from './taskEitherAssertions.js';
