import { createQueue, type DownloadFactory, type QueueEvent } from '@rdl/core';
import { ManualClock } from '@rdl/core/memory';
import { NEXT_ID_KEY } from '@rdl/core/rules';
import { expectRight } from '@rdl/core/testing';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { IdbQueueStore } from '../../src/IdbQueueStore.js';
import { uniqueFolder } from './opfsFiles.js';

const names: string[] = [];
const stores: IdbQueueStore[] = [];

const freshStore = (databaseName = uniqueFolder('rdl-queue-hostile')): IdbQueueStore => {
  if (!names.includes(databaseName)) names.push(databaseName);
  const store = new IdbQueueStore({ databaseName });
  stores.push(store);
  return store;
};

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const name of names.splice(0)) {
    await new Promise<void>((done) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = () => done();
    });
  }
});

/** Writes `value` under `key` straight into the store's object store, as a tamperer (or a bug) would. */
const plant = async (databaseName: string, key: IDBValidKey, value: unknown) => {
  const db = await openDB(databaseName, 1);
  await db.put('items', value, key);
  db.close();
};

/** The keys of the items in the database (not the queue's next id, `NEXT_ID_KEY`). */
const keysIn = async (databaseName: string): Promise<IDBValidKey[]> => {
  const db = await openDB(databaseName, 1);
  const keys = await db.getAllKeys('items');
  db.close();
  return keys.filter((key) => key !== NEXT_ID_KEY);
};

/** A queue that starts nothing (paused), so only its store is at work. */
const pausedQueue = (store: IdbQueueStore) => {
  const createDownload: DownloadFactory = () => {
    throw new Error('a paused queue starts no download');
  };
  return createQueue({ paused: true }, { clock: new ManualClock(), store, createDownload });
};

/** A queue's one item `a.bin`, stored in `databaseName`; its handle. */
const storedItem = async (databaseName: string) => {
  const first = pausedQueue(freshStore(databaseName));
  await first.ready;
  const kept = first.add({ url: 'https://example.test/a.bin', target: 'a.bin' });
  await first.flushed();
  return kept;
};

describe('IdbQueueStore under hostile records', () => {
  it('R45: R22: values that are not text and garbage texts are reported and dropped by the queue, not a crash', async () => {
    const databaseName = uniqueFolder('rdl-queue-hostile');
    const kept = await storedItem(databaseName);
    await plant(databaseName, '900', { version: 1, id: '900', not: 'text' });
    await plant(databaseName, '901', 42);
    await plant(databaseName, '902', '{"version":1,"id":"902","order":"x"}');
    await plant(databaseName, '903', 'not json at all');
    await plant(databaseName, 904, null);

    const loaded = (await expectRight(freshStore(databaseName).load())).filter(
      (item) => item.id !== NEXT_ID_KEY,
    );
    expect(loaded).toHaveLength(6);
    expect(loaded.every((item) => typeof item.id === 'string' && typeof item.text === 'string')).toBe(true);

    const next = pausedQueue(freshStore(databaseName));
    const notices: QueueEvent[] = [];
    next.on('notice', (event) => notices.push(event));
    await next.ready;
    await next.flushed();
    expect(next.items().map((item) => [item.id, item.target, item.state])).toEqual([
      [kept.id, 'a.bin', 'queued'],
    ]);
    expect(notices).toEqual([
      expect.objectContaining({ code: 'QUEUE_ITEM_INVALID', message: expect.stringContaining('5 stored') }),
    ]);
    // The dropped records are removed from the database, the one under a number key too.
    expect(await keysIn(databaseName)).toEqual([kept.id]);
  });

  it('R45: R22: a record whose String() throws ({ toString: 0 }) is dropped alone; the valid items come back', async () => {
    const databaseName = uniqueFolder('rdl-queue-hostile');
    const kept = await storedItem(databaseName);
    await plant(databaseName, '900', { toString: 0 });

    const next = pausedQueue(freshStore(databaseName));
    const notices: QueueEvent[] = [];
    next.on('notice', (event) => notices.push(event));
    await next.ready;
    await next.flushed();
    expect(next.items().map((item) => [item.id, item.target])).toEqual([[kept.id, 'a.bin']]);
    expect(notices).toEqual([
      expect.objectContaining({ code: 'QUEUE_ITEM_INVALID', message: expect.stringContaining('1 stored') }),
    ]);
    expect(await keysIn(databaseName)).toEqual([kept.id]);
  });

  it('R45: R22: keys that are not text never share an id with a text key, and their records are removed when dropped', async () => {
    const databaseName = uniqueFolder('rdl-queue-hostile');
    const kept = await storedItem(databaseName);
    // A number key that reads as the kept item's id, and a record under it that claims that id too.
    const claim = JSON.stringify({
      version: 1,
      id: kept.id,
      order: 0,
      state: 'queued',
      options: { url: 'https://example.test/evil.bin', target: 'evil.bin' },
      failure: null,
    });
    await plant(databaseName, Number(kept.id), claim);
    await plant(databaseName, [1, 2], claim);
    await plant(databaseName, new Date(0), claim);

    const loaded = (await expectRight(freshStore(databaseName).load())).filter(
      (item) => item.id !== NEXT_ID_KEY,
    );
    expect(new Set(loaded.map((item) => item.id)).size).toBe(4);
    expect(loaded.filter((item) => item.id === kept.id)).toHaveLength(1);

    const next = pausedQueue(freshStore(databaseName));
    await next.ready;
    await next.flushed();
    expect(next.items().map((item) => [item.id, item.target])).toEqual([[kept.id, 'a.bin']]);
    expect(await keysIn(databaseName)).toEqual([kept.id]);
  });

  it('R45: an id is never handed out twice for one database: the largest, forgotten, is not given again after a reload', async () => {
    const databaseName = uniqueFolder('rdl-queue-ids');
    const first = pausedQueue(freshStore(databaseName));
    await first.ready;
    const ids = ['a', 'b', 'c'].map(
      (name) => first.add({ url: `https://example.test/${name}.bin`, target: `${name}.bin` }).id,
    );
    await first.flushed();
    first.forget(ids[2]!);
    await first.flushed();
    await first.close();
    const next = pausedQueue(freshStore(databaseName));
    await next.ready;
    expect(next.items().map((item) => item.id)).toEqual(['1', '2']);
    expect(next.add({ url: 'https://example.test/d.bin', target: 'd.bin' }).id).toBe('4');
    await next.close();
  });

  it('R45: a database that cannot be opened is a StorageFailure, not a rejection', async () => {
    const databaseName = uniqueFolder('rdl-queue-hostile');
    names.push(databaseName);
    // A database of that name without the store, held open by a connection that never gives way to an upgrade
    // (no versionchange handler that closes it): the store cannot be added; typed, not a hang.
    const holder = await openDB(databaseName, 5, { upgrade: (db) => void db.createObjectStore('other') });
    const store = freshStore(databaseName);
    const loaded = await store.load()();
    expect(loaded._tag).toBe('Left');
    const put = await store.put([{ id: '1', text: 'x' }])();
    expect(put).toEqual({ _tag: 'Left', left: expect.objectContaining({ _tag: 'IoError' }) });
    holder.close();
  });
});
