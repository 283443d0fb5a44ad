import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../../src/memory/ManualClock.js';

describe('ManualClock', () => {
  it('starts at the given time and moves only through advance', () => {
    const clock = new ManualClock({ now: 1000 });
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    expect(new ManualClock().now()).toBe(1_704_067_200_000);
  });

  it('fires due timers in order of due time then creation, with now() at each due time', () => {
    const clock = new ManualClock({ now: 0 });
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push('late'), 31);
    clock.advance(30);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextDue()).toBe(31);
  });

  it('fires timers scheduled by timers when they fall due within the advance', () => {
    const clock = new ManualClock({ now: 0 });
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('clearTimeout cancels; negative or NaN delays fire at once', () => {
    const clock = new ManualClock({ now: 0 });
    const fired: string[] = [];
    const id = clock.setTimeout(() => fired.push('x'), 1);
    clock.clearTimeout(id);
    clock.setTimeout(() => fired.push('neg'), -5);
    clock.setTimeout(() => fired.push('nan'), Number.NaN);
    clock.advance(0);
    expect(fired).toEqual(['neg', 'nan']);
  });

  it('runAll fires everything and stops a runaway loop', () => {
    const clock = new ManualClock({ now: 0 });
    let count = 0;
    clock.setTimeout(() => count++, 1000);
    clock.runAll();
    expect(count).toBe(1);
    expect(clock.now()).toBe(1000);
    expect(clock.nextDue()).toBeNull();
    const loop = () => clock.setTimeout(loop, 1);
    loop();
    expect(() => clock.runAll(100)).toThrow(/more than 100/);
  });

  it('R25: random() is seeded, reproducible and in [0, 1)', () => {
    const a = new ManualClock({ seed: 42 });
    const b = new ManualClock({ seed: 42 });
    const xs = Array.from({ length: 1000 }, () => a.random());
    expect(Array.from({ length: 1000 }, () => b.random())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new ManualClock({ seed: 7 }).random()).not.toBe(xs[0]);
  });

  it('advanceAsync lets promise callbacks schedule further timers', async () => {
    const clock = new ManualClock({ now: 0 });
    const fired: number[] = [];
    const step = async () => {
      await Promise.resolve();
      fired.push(clock.now());
      if (fired.length < 3) clock.setTimeout(() => void step(), 10);
    };
    clock.setTimeout(() => void step(), 10);
    await clock.advanceAsync(100);
    expect(fired).toEqual([10, 20, 30]);
    expect(clock.now()).toBe(100);
    await settle();
  });
});

describe('ManualClock methods passed around detached', () => {
  it('still work', () => {
    const clock = new ManualClock({ now: 0 });
    const { setTimeout, now, random, clearTimeout } = clock;
    let fired = false;
    setTimeout(() => {
      fired = true;
    }, 5);
    clearTimeout(setTimeout(() => undefined, 1));
    clock.advance(5);
    expect(fired).toBe(true);
    expect(now()).toBe(5);
    expect(random()).toBeLessThan(1);
  });
});
