import { MemoryQueueStore } from '../../src/memory/MemoryQueueStore.js';
import { queueStoreContract } from '../../src/testing/queueStoreContract.js';

queueStoreContract('MemoryQueueStore', async () => {
  const store = new MemoryQueueStore();
  return { store, reopen: async () => store, damage: async (id) => store.plant(id, '{"version":1,') };
});
