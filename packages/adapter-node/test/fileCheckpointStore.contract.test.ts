import { join } from 'node:path';
import { checkpointStoreContract } from '@rdl/core/testing';
import { FileCheckpointStore } from '../src/FileCheckpointStore.js';
import { makeTempDir } from './support/tempDir.js';

checkpointStoreContract('FileCheckpointStore', async () => {
  const { dir, cleanup } = await makeTempDir();
  return { store: new FileCheckpointStore(), targetFor: (name) => join(dir, name), cleanup };
});
