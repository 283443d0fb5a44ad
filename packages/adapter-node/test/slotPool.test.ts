import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SlotPool } from '../src/http1/slotPool.js';

const pool = (): SlotPool => new SlotPool(1024);

describe('SlotPool', () => {
  it('reuses a retired slot once every byte lent from it came back, in any pieces', () => {
    const slots = pool();
    const slot = slots.take();
    slots.lend(slot, 100);
    slots.lend(slot, 50);
    slots.retire(slot);
    slots.giveBack(slot.subarray(0, 120));
    expect(slots.take().buffer).not.toBe(slot.buffer);
    slots.giveBack(slot.subarray(120, 150));
    expect(slots.take().buffer).toBe(slot.buffer);
  });

  it('never reuses a slot still read into, nor one with bytes still lent', () => {
    const slots = pool();
    const reading = slots.take();
    slots.lend(reading, 10);
    slots.giveBack(reading.subarray(0, 10));
    const lent = slots.take();
    slots.lend(lent, 10);
    slots.retire(lent);
    const next = slots.take();
    expect(next.buffer).not.toBe(reading.buffer);
    expect(next.buffer).not.toBe(lent.buffer);
  });

  it('a retired slot that lent nothing (head bytes only) serves again at once', () => {
    const slots = pool();
    const slot = slots.take();
    slots.retire(slot);
    expect(slots.take().buffer).toBe(slot.buffer);
  });

  it('a slot given back more than it lent is never trusted again; views of other memory are ignored', () => {
    const slots = pool();
    const slot = slots.take();
    slots.lend(slot, 10);
    slots.retire(slot);
    slots.giveBack(new Uint8Array(10));
    slots.giveBack(slot.subarray(0, 20));
    slots.giveBack(slot.subarray(0, 0));
    expect(slots.take().buffer).not.toBe(slot.buffer);
  });
});

describe('SlotPool and the garbage collector', () => {
  const minorGc = (): void => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
    setFlagsFromString('--no-expose-gc');
    gc({ type: 'minor' });
  };

  it('slots lent and never given back are freed by a minor collection once the reader drops them', () => {
    const MiB = 1024 * 1024;
    const slots = new SlotPool(MiB);
    minorGc();
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 64; i += 1) {
      const slot = slots.take();
      slots.lend(slot, 512);
      slots.retire(slot);
    }
    // 64 MiB went through the pool; its bookkeeping must not hold them: only the reader's views could.
    minorGc();
    minorGc();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MiB);
  });
});
