import { describe, expect, it } from 'vitest';
import { IdbCheckpointStore } from '../../src/IdbCheckpointStore.js';
import { IdbQueueStore } from '../../src/IdbQueueStore.js';
import { uniqueFolder } from './opfsFiles.js';

/** The IndexedDB stores share a database's name with other stores, and outlive another tab's upgrade (R22, R29). */

const deleteDatabase = (name: string) =>
  new Promise<void>((done) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => done();
  });

/** Opens `name` at `version` with `stores` made in its upgrade, then closes it: another tab's (or app's) schema. */
const makeDatabase = (name: string, version: number, stores: readonly string[]) =>
  new Promise<void>((done, fail) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      for (const store of stores)
        if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
    };
    request.onsuccess = () => {
      request.result.close();
      done();
    };
    request.onerror = () => fail(request.error);
  });

describe('IndexedDB databases shared and upgraded (R22, R29)', () => {
  it('R29: a database of that name without the store (the queue made it first, or the app) gets the store added, its own kept', async () => {
    const name = uniqueFolder('rdl-shared');
    await makeDatabase(name, 1, ['items']);
    const checkpoints = new IdbCheckpointStore({ databaseName: name });
    expect(await checkpoints.save('a.bin', 'text')()).toEqual({ _tag: 'Right', right: undefined });
    expect(await checkpoints.load('a.bin')()).toEqual({ _tag: 'Right', right: 'text' });
    const queue = new IdbQueueStore({ databaseName: name });
    expect(await queue.put([{ id: '1', text: 'item' }])()).toEqual({ _tag: 'Right', right: undefined });
    expect(await checkpoints.load('a.bin')()).toEqual({ _tag: 'Right', right: 'text' });
    await queue.close();
    await deleteDatabase(name);
  });

  it('R29: two stores first used at once in one database of the app (each upgrade racing the other) both get their store', async () => {
    for (let round = 0; round < 5; round += 1) {
      const name = uniqueFolder('rdl-race');
      await makeDatabase(name, 1, ['appstore']);
      const checkpoints = new IdbCheckpointStore({ databaseName: name });
      const queue = new IdbQueueStore({ databaseName: name });
      const first = await Promise.all([
        checkpoints.save('a.bin', 'text')(),
        queue.put([{ id: '1', text: 'item' }])(),
      ]);
      expect(first.map((result) => result._tag)).toEqual(['Right', 'Right']);
      const later = await Promise.all([checkpoints.load('a.bin')(), queue.load()()]);
      expect(later[0]).toEqual({ _tag: 'Right', right: 'text' });
      expect(later[1]._tag).toBe('Right');
      await queue.close();
      await deleteDatabase(name);
    }
  });

  it('R29: another tab upgrading the database while a store has it open does not fail the next save', async () => {
    const name = uniqueFolder('rdl-upgraded');
    const checkpoints = new IdbCheckpointStore({ databaseName: name });
    expect(await checkpoints.save('a.bin', 'one')()).toEqual({ _tag: 'Right', right: undefined });
    // Another tab's newer schema: version 5, another store.
    await makeDatabase(name, 5, ['theirs']);
    expect(await checkpoints.save('a.bin', 'two')()).toEqual({ _tag: 'Right', right: undefined });
    expect(await checkpoints.load('a.bin')()).toEqual({ _tag: 'Right', right: 'two' });
    await deleteDatabase(name);
  });
});
