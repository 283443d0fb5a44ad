import { checkpointStoreContract, storageContract } from '@rdl/core/testing';
import { IdbCheckpointStore } from '../../src/IdbCheckpointStore.js';
import { WritableStorage } from '../../src/WritableStorage.js';
import { RemoteStorage } from '../../src/worker/storageRpc.js';
import { opfsFileExists, readOpfsFile, removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

/** OPFS looks for the contract suite, for targets in one fresh folder. */
const opfsLooks = (folder: string) => ({
  targetFor: (name: string) => `${folder}/${name}`,
  readTarget: (target: string) => readOpfsFile(target),
  partExists: (target: string) => opfsFileExists(`${target}.part`),
  cleanup: () => removeOpfsEntry(folder),
});

// The real OpfsStorage, with its sync access handles, runs in a dedicated worker; the suite reaches it by messages.
const worker = new Worker(new URL('../../src/worker/storageWorker.ts', import.meta.url), { type: 'module' });
const opfs = new RemoteStorage(worker);

storageContract('OpfsStorage (sync access handles, in a dedicated worker)', async () => ({
  storage: opfs,
  ...opfsLooks(uniqueFolder('opfs')),
}));

storageContract('WritableStorage (createWritable fallback, in the page)', async () => ({
  storage: new WritableStorage(),
  ...opfsLooks(uniqueFolder('writable')),
}));

checkpointStoreContract('IdbCheckpointStore', async () => {
  const databaseName = uniqueFolder('rdl-test');
  return {
    store: new IdbCheckpointStore({ databaseName }),
    cleanup: async () => {
      await new Promise<void>((done) => {
        const request = indexedDB.deleteDatabase(databaseName);
        request.onsuccess = request.onerror = request.onblocked = () => done();
      });
    },
  };
});
