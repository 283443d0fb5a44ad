import { describe, expect, it } from 'vitest';
import { SlotPool } from '../src/http1/slotPool.js';
import { SocketBufferReclaimer } from '../src/SocketBufferReclaimer.js';

const pool = (): SlotPool => new SlotPool(1024, new SocketBufferReclaimer(0));

describe('SlotPool', () => {
  it('reuses a retired slot once every byte lent from it came back, in any pieces', () => {
    const slots = pool();
    const slot = slots.take();
    slots.lend(slot, 100);
    slots.lend(slot, 50);
    slots.retire(slot);
    slots.giveBack(slot.subarray(0, 120));
    expect(slots.take()).not.toBe(slot);
    slots.giveBack(slot.subarray(120, 150));
    expect(slots.take()).toBe(slot);
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
    expect(next).not.toBe(reading);
    expect(next).not.toBe(lent);
  });

  it('a retired slot that lent nothing (head bytes only) serves again at once', () => {
    const slots = pool();
    const slot = slots.take();
    slots.retire(slot);
    expect(slots.take()).toBe(slot);
  });

  it('a slot given back more than it lent is never trusted again; views of other memory are ignored', () => {
    const slots = pool();
    const slot = slots.take();
    slots.lend(slot, 10);
    slots.retire(slot);
    slots.giveBack(new Uint8Array(10));
    slots.giveBack(slot.subarray(0, 20));
    slots.giveBack(slot.subarray(0, 0));
    expect(slots.take()).not.toBe(slot);
  });
});
