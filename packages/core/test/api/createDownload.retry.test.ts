import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  drive,
  eventsOf,
  finish,
  gets,
  same,
  TARGET,
  URL_A,
  world,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

describe('createDownload: retries', () => {
  it.each([500, 503, 408, 429])('R25: a %i answer is retried with backoff', async (status) => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.status(status), { method: 'GET', times: 2 });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    const retries = eventsOf(run, 'retry');
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retries.every((r) => r.failure._tag === 'HttpStatus')).toBe(true);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R25: a network error before any answer is retried', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.networkError(), { method: 'GET', times: 3 });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'retry').map((r) => r.failure._tag)).toEqual([
      'NetworkError',
      'NetworkError',
      'NetworkError',
    ]);
  });

  it('R25: Retry-After is honoured (capped by maxDelayMs)', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.status(429, { retryAfter: '7' }), { method: 'GET' });
    const run = begin(w);
    const startedAt = w.clock.now();
    await drive(w, run, () => eventsOf(run, 'retry').length === 1);
    expect(eventsOf(run, 'retry')[0]?.delayMs).toBe(7_000);
    w.clock.advance(6_999 - (w.clock.now() - startedAt));
    expect(gets(w).length).toBe(1);
    expect((await finish(w, run)).code).toBeNull();
    expect(w.clock.now() - startedAt).toBeGreaterThanOrEqual(7_000);
  });

  it('R25: a Retry-After longer than maxDelayMs waits maxDelayMs', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.status(503, { retryAfter: '3600' }), { method: 'GET' });
    const run = begin(w, { retry: { maxDelayMs: 2_000 } });
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'retry')[0]?.delayMs).toBe(2_000);
  });

  it('R25: a stalled body is cut after stallTimeoutMs of clock time and retried from the bytes written', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.stall(20_000), { method: 'GET' });
    const run = begin(w, { stallTimeoutMs: 3_000 });
    await drive(w, run, () => eventsOf(run, 'retry').length === 1);
    expect(eventsOf(run, 'retry')[0]?.failure).toEqual({ _tag: 'Stalled', afterMs: 3_000 });
    expect((await finish(w, run)).code).toBeNull();
    expect(gets(w).at(-1)?.headers.range).toBe('bytes=20000-');
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R25: a server that never answers is cut after stallTimeoutMs too', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.noResponse(), { method: 'GET' });
    const run = begin(w, { stallTimeoutMs: 3_000 });
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'retry')[0]?.failure._tag).toBe('Stalled');
  });

  it.each([404, 401, 410])('R25: a %i is not retried', async (status) => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.status(status), { method: 'GET' });
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_HTTP_STATUS');
    expect(eventsOf(run, 'retry')).toEqual([]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
  });

  it('R25, R29: retries stop after retry.retries retries in a row without a byte: n + 1 attempts, said so, 1 attempt in the singular', async () => {
    for (const [retries, said] of [
      [3, 'gave up after 4 attempts: '],
      [1, 'gave up after 2 attempts: '],
      [0, 'gave up after 1 attempt: '],
    ] as const) {
      const w = world();
      w.server.publish(URL_A, bytesOf(SIZE));
      w.server.inject(fault.status(503), { times: Number.POSITIVE_INFINITY });
      const run = begin(w, { retry: { retries } });
      const end = await finish(w, run);
      expect(end.code).toBe('ERR_RETRIES_EXHAUSTED');
      expect(eventsOf(run, 'retry').length).toBe(retries);
      expect((end.error as Error).message.startsWith(said)).toBe(true);
    }
  });

  it('R25: the attempt counter resets when bytes arrive', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    for (let i = 1; i <= 5; i += 1) w.server.inject(fault.cutBody(5_000), { method: 'GET' });
    const run = begin(w, { retry: { retries: 2 } });
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'retry').map((r) => r.attempt)).toEqual([1, 1, 1, 1, 1]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R25: offline holds a retry wait until online, which cuts it short', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.networkError(), { method: 'GET' });
    const run = begin(w, { retry: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    run.download.offline();
    await drive(w, run, () => run.download.getSnapshot().state === 'waiting');
    w.clock.advance(120_000);
    await drive(w, run, () => true);
    expect(run.download.getSnapshot().state).toBe('waiting');
    const before = w.clock.now();
    run.download.online();
    expect((await finish(w, run)).code).toBeNull();
    expect(w.clock.now() - before).toBeLessThan(60_000);
  });

  it('R26: a retry resumes from the bytes written, never downloading or duplicating them', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(13_333), { method: 'GET' });
    w.server.inject(fault.cutBody(20_001), { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(w.server.bytesSent).toBe(SIZE);
    expect(gets(w).map((r) => r.headers.range)).toEqual([undefined, 'bytes=13333-', 'bytes=33334-']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });
});
