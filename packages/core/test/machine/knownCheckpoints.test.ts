import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { KnownCheckpoints } from '../../src/machine/actors/knownCheckpoints.js';
import { MemoryCheckpointStore } from '../../src/memory/MemoryCheckpointStore.js';
import type { CheckpointStore } from '../../src/ports/CheckpointStore.js';

const KEY = 'file.bin';

/** A memory store that records which of its calls were made, in order. */
const recorded = () => {
  const memory = new MemoryCheckpointStore();
  const calls: string[] = [];
  const store: CheckpointStore = {
    load: (t) => {
      calls.push('load');
      return memory.load(t);
    },
    save: (t, text) => {
      calls.push('save');
      return memory.save(t, text);
    },
    remove: (t) => {
      calls.push('remove');
      return memory.remove(t);
    },
  };
  return { memory, calls, known: new KnownCheckpoints(store) };
};

describe('KnownCheckpoints: a removal of a checkpoint the download knows is absent asks nothing', () => {
  it('R19: a load that found none and no save since: the removal succeeds without a call to the store', async () => {
    const { calls, known } = recorded();
    expect(await known.load(KEY)()).toEqual(E.right(null));
    expect(await known.remove(KEY)()).toEqual(E.right(undefined));
    expect(calls).toEqual(['load']);
  });

  it('R19: once saved, the checkpoint is removed from the store, and a second removal asks nothing more', async () => {
    const { calls, known, memory } = recorded();
    await known.load(KEY)();
    await known.save(KEY, '{"v":1}')();
    expect(await known.remove(KEY)()).toEqual(E.right(undefined));
    expect(await memory.load(KEY)()).toEqual(E.right(null));
    await known.remove(KEY)();
    expect(calls).toEqual(['load', 'save', 'remove']);
  });

  it('R19, R20: a save that failed may have left a checkpoint: its removal is asked of the store', async () => {
    const { calls, known, memory } = recorded();
    await known.load(KEY)();
    memory.failNext('save', { _tag: 'NoSpace', message: 'full' });
    expect(E.isLeft(await known.save(KEY, '{"v":1}')())).toBe(true);
    await known.remove(KEY)();
    expect(calls).toEqual(['load', 'save', 'remove']);
  });

  it('R22, R33: a checkpoint found, or refused, at load is removed from the store', async () => {
    const { calls, known, memory } = recorded();
    await memory.save(KEY, '{"v":1}')();
    expect(await known.load(KEY)()).toEqual(E.right('{"v":1}'));
    await known.remove(KEY)();
    expect(await memory.load(KEY)()).toEqual(E.right(null));
    memory.failNext('load', { _tag: 'UnsafePath', path: KEY, reason: 'it is a symbolic link' });
    expect(E.isLeft(await known.load(KEY)())).toBe(true);
    await known.remove(KEY)();
    expect(calls).toEqual(['load', 'remove', 'load', 'remove']);
  });

  it('R19: a failed removal leaves the key unknown: the next removal asks again', async () => {
    const { calls, known, memory } = recorded();
    await memory.save(KEY, '{"v":1}')();
    await known.load(KEY)();
    memory.failNext('remove', { _tag: 'IoError', message: 'EIO' });
    expect(E.isLeft(await known.remove(KEY)())).toBe(true);
    expect(await known.remove(KEY)()).toEqual(E.right(undefined));
    expect(await memory.load(KEY)()).toEqual(E.right(null));
    expect(calls).toEqual(['load', 'remove', 'remove']);
  });

  it('R23: without a load first nothing is known: a removal is asked of the store', async () => {
    const { calls, known } = recorded();
    await known.remove(KEY)();
    expect(calls).toEqual(['remove']);
  });
});
