import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { progressOf, SPEED_WINDOW_MS, sampleMeter, startMeter } from '../../src/rules/progress.js';

describe('progress', () => {
  it('R28: reports bytes, total, fraction, speed and ETA', () => {
    let m = startMeter(0, 0);
    m = sampleMeter(m, 1000, 1000);
    m = sampleMeter(m, 2000, 2000);
    expect(progressOf(m, 10_000)).toEqual({
      bytes: 2000,
      total: 10_000,
      fraction: 0.2,
      bytesPerSecond: 1000,
      etaSeconds: 8,
      connections: 1,
    });
  });

  it('R15: an unknown total gives a null fraction and ETA, never NaN', () => {
    const m = sampleMeter(startMeter(0, 0), 1000, 500);
    expect(progressOf(m, null)).toEqual({
      bytes: 500,
      total: null,
      fraction: null,
      bytesPerSecond: 500,
      etaSeconds: null,
      connections: 1,
    });
  });

  it('R28: no speed yet means no ETA; a zero-length resource is complete', () => {
    expect(progressOf(startMeter(5, 10), 100)).toMatchObject({
      bytesPerSecond: 0,
      etaSeconds: null,
      fraction: 0.1,
    });
    expect(progressOf(startMeter(5, 0), 0)).toMatchObject({ fraction: 1, etaSeconds: 0 });
  });

  it('R28: speed follows the last few seconds, not the whole run', () => {
    let m = startMeter(0, 0);
    for (let t = 100; t <= 20_000; t += 100)
      m = sampleMeter(m, t, t <= 10_000 ? t * 10 : 100_000 + (t - 10_000));
    expect(progressOf(m, null).bytesPerSecond).toBeCloseTo(1000, 5);
    expect(m.samples[0]![0]).toBeGreaterThanOrEqual(20_000 - SPEED_WINDOW_MS - 100);
  });

  it('R28: a restart (fewer bytes) starts a new meter, reported from the new count', () => {
    let m = sampleMeter(startMeter(0, 0), 1000, 5000);
    m = sampleMeter(m, 2000, 0);
    expect(progressOf(m, 10_000)).toMatchObject({ bytes: 0, bytesPerSecond: 0, fraction: 0 });
    m = sampleMeter(m, 500, 10);
    expect(m.samples).toEqual([[500, 10]]);
  });

  it('R28: the meter is plain JSON and stays small', () => {
    let m = startMeter(0, 0);
    for (let t = 1; t <= 100_000; t += 7) m = sampleMeter(m, t, t);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    expect(m.samples.length).toBeLessThanOrEqual(SPEED_WINDOW_MS / 100 + 3);
  });

  it('R28: fraction stays in [0, 1], speed and ETA are never negative or NaN (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.integer({ min: -100, max: 10_000 })), { maxLength: 40 }),
        fc.option(fc.nat(200_000)),
        (steps, total) => {
          let m = startMeter(0, 0);
          let t = 0;
          let bytes = 0;
          for (const [dt, db] of steps) {
            t += dt;
            bytes = Math.max(0, bytes + db);
            m = sampleMeter(m, t, bytes);
            const p = progressOf(m, total);
            expect(p.bytes).toBe(bytes);
            if (p.fraction !== null) {
              expect(p.fraction).toBeGreaterThanOrEqual(0);
              expect(p.fraction).toBeLessThanOrEqual(1);
            } else expect(total).toBeNull();
            expect(Number.isFinite(p.bytesPerSecond) && p.bytesPerSecond >= 0).toBe(true);
            if (p.etaSeconds !== null) expect(Number.isFinite(p.etaSeconds) && p.etaSeconds >= 0).toBe(true);
          }
        },
      ),
    );
  });

  it('R28: a clock going back never gives a negative speed', () => {
    const m = sampleMeter(sampleMeter(startMeter(1000, 0), 2000, 100), 500, 200);
    expect(progressOf(m, 1000).bytesPerSecond).toBe(0);
  });
});
