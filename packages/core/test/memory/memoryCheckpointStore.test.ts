import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../src/memory/MemoryCheckpointStore.js';
import { checkpointStoreContract } from '../../src/testing/checkpointStoreContract.js';
import { expectLeft, expectRight } from '../../src/testing/taskEitherAssertions.js';

checkpointStoreContract('MemoryCheckpointStore', async () => ({ store: new MemoryCheckpointStore() }));

describe('MemoryCheckpointStore test hooks', () => {
  it('R22: raw text can be read and tampered with', async () => {
    const store = new MemoryCheckpointStore();
    await expectRight(store.save('t', '{"a":1}'));
    expect(store.raw('t')).toBe('{"a":1}');
    store.setRaw('t', '{"a":');
    expect(await expectRight(store.load('t'))).toBe('{"a":');
    expect(store.keys()).toEqual(['t']);
    expect(store.raw('missing')).toBeNull();
    expect(store.saveCount).toBe(1);
  });

  it('R20: a failed save leaves the previous text whole', async () => {
    const store = new MemoryCheckpointStore();
    await expectRight(store.save('t', 'old'));
    store.failNext('save', { _tag: 'NoSpace', message: 'full' });
    await expectLeft(store.save('t', 'new'), 'NoSpace');
    expect(await expectRight(store.load('t'))).toBe('old');
    await expectRight(store.save('t', 'new'));
    expect(store.raw('t')).toBe('new');
  });

  it('failAll fails every call until cleared', async () => {
    const store = new MemoryCheckpointStore();
    store.failAll({ _tag: 'QuotaExceeded', message: 'quota' });
    await expectLeft(store.load('t'), 'QuotaExceeded');
    await expectLeft(store.remove('t'), 'QuotaExceeded');
    store.failAll(null);
    expect(await expectRight(store.load('t'))).toBeNull();
  });
});
