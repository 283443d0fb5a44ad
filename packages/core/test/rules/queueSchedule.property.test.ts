import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Candidate, connectionShare, countByOrigin, toStart } from '../../src/rules/queueSchedule.js';

const origins = ['https://a.example', 'https://b.example', 'http://c.example:8080'];

const world = fc.record({
  concurrency: fc.integer({ min: 1, max: 20 }),
  maxConnectionsPerOrigin: fc.integer({ min: 1, max: 16 }),
  running: fc.array(fc.constantFrom(...origins), { maxLength: 24 }),
  waiting: fc.uniqueArray(
    fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), origin: fc.constantFrom(...origins) }),
    { maxLength: 40, selector: (c) => c.id },
  ),
});

/** Runs the queue to its end: each step starts what the rule says, then one running download ends. */
const simulate = (
  concurrency: number,
  cap: number,
  waiting: readonly Candidate[],
  endOrder: (running: readonly Candidate[]) => number,
): { starts: string[]; peak: number; peakPerOrigin: number } => {
  let queued = [...waiting];
  const running: Candidate[] = [];
  const starts: string[] = [];
  let peak = 0;
  let peakPerOrigin = 0;
  for (let guard = 0; guard < 1000 && (queued.length > 0 || running.length > 0); guard++) {
    const ids = toStart({
      concurrency,
      maxConnectionsPerOrigin: cap,
      running: running.map((r) => r.origin),
      waiting: queued,
    });
    for (const id of ids) {
      const item = queued.find((q) => q.id === id)!;
      queued = queued.filter((q) => q.id !== id);
      running.push(item);
      starts.push(id);
    }
    peak = Math.max(peak, running.length);
    for (const n of countByOrigin(running.map((r) => r.origin)).values())
      peakPerOrigin = Math.max(peakPerOrigin, n);
    if (running.length > 0) running.splice(endOrder(running) % running.length, 1);
  }
  return { starts, peak, peakPerOrigin };
};

describe('queueSchedule', () => {
  it('never more than `concurrency` running, never more downloads on an origin than its connections', () => {
    fc.assert(
      fc.property(world, ({ concurrency, maxConnectionsPerOrigin, running, waiting }) => {
        const starts = toStart({ concurrency, maxConnectionsPerOrigin, running, waiting });
        expect(running.length + starts.length).toBeLessThanOrEqual(Math.max(concurrency, running.length));
        const byOrigin = countByOrigin([
          ...running,
          ...starts.map((id) => waiting.find((w) => w.id === id)!.origin),
        ]);
        const before = countByOrigin(running);
        for (const [origin, n] of byOrigin) {
          expect(n).toBeLessThanOrEqual(Math.max(maxConnectionsPerOrigin, before.get(origin) ?? 0));
        }
      }),
    );
  });

  it('starts in order of position; one is passed over only while its origin is full', () => {
    fc.assert(
      fc.property(world, ({ concurrency, maxConnectionsPerOrigin, running, waiting }) => {
        const starts = toStart({ concurrency, maxConnectionsPerOrigin, running, waiting });
        const positions = starts.map((id) => waiting.findIndex((w) => w.id === id));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        // Every candidate before the last one started was started, or its origin was full.
        const last = positions.length === 0 ? -1 : positions[positions.length - 1]!;
        const counts = countByOrigin([
          ...running,
          ...starts.map((id) => waiting.find((w) => w.id === id)!.origin),
        ]);
        waiting.slice(0, last + 1).forEach((candidate) => {
          if (!starts.includes(candidate.id)) {
            expect(counts.get(candidate.origin) ?? 0).toBeGreaterThanOrEqual(maxConnectionsPerOrigin);
          }
        });
        // Free slots stay free only when no candidate could take them.
        if (running.length + starts.length < concurrency) {
          for (const candidate of waiting) {
            if (!starts.includes(candidate.id)) {
              expect(counts.get(candidate.origin) ?? 0).toBeGreaterThanOrEqual(maxConnectionsPerOrigin);
            }
          }
        }
      }),
    );
  });

  it('no starvation: whatever order downloads end in, every queued one starts, each once', () => {
    fc.assert(
      fc.property(
        world,
        fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
        ({ concurrency, maxConnectionsPerOrigin, waiting }, ends) => {
          let turn = 0;
          const { starts, peak, peakPerOrigin } = simulate(
            concurrency,
            maxConnectionsPerOrigin,
            waiting,
            () => {
              turn += 1;
              return ends[turn % ends.length]!;
            },
          );
          expect([...starts].sort()).toEqual(waiting.map((w) => w.id).sort());
          expect(peak).toBeLessThanOrEqual(concurrency);
          expect(peakPerOrigin).toBeLessThanOrEqual(maxConnectionsPerOrigin);
        },
      ),
    );
  });

  it('R43: the shares of the downloads on one origin stay within its cap, each at least one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (cap, running) => {
        const share = connectionShare(cap, running);
        expect(share).toBeGreaterThanOrEqual(1);
        if (running <= cap) expect(share * running).toBeLessThanOrEqual(cap);
        // Alone, a download may use them all.
        expect(connectionShare(cap, 1)).toBe(cap);
      }),
    );
  });
});
