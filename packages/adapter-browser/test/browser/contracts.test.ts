import { checkpointStoreContract, queueStoreContract, storageContract } from '@rdl/core/testing';
import { openDB } from 'idb';
import { IdbCheckpointStore } from '../../src/IdbCheckpointStore.js';
import { IdbQueueStore } from '../../src/IdbQueueStore.js';
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

const deleteDatabase = (name: string) =>
  new Promise<void>((done) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => done();
  });

checkpointStoreContract('IdbCheckpointStore', async () => {
  const databaseName = uniqueFolder('rdl-test');
  return {
    store: new IdbCheckpointStore({ databaseName }),
    cleanup: () => deleteDatabase(databaseName),
  };
});

queueStoreContract('IdbQueueStore', async () => {
  const databaseName = uniqueFolder('rdl-queue-test');
  const opened: IdbQueueStore[] = [new IdbQueueStore({ databaseName })];
  return {
    store: opened[0]!,
    // The next page load opens the database afresh: a new store, its own connection.
    reopen: async () => {
      const next = new IdbQueueStore({ databaseName });
      opened.push(next);
      return next;
    },
    // A value that is not text, as a tamperer (or a bug) would write.
    damage: async (id) => {
      const db = await openDB(databaseName, 1);
      await db.put('items', { not: 'text' }, id);
      db.close();
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      await deleteDatabase(databaseName);
    },
  };
});
