import { describe, expect, it } from 'vitest';
import { download } from '../../src/api/createDownload.js';
import type { AbortSignalLike } from '../../src/ports/abort.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  drive,
  eventsOf,
  finish,
  gets,
  leftByEarlierRun,
  same,
  TARGET,
  URL_A,
  world,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

/** A signal like the platform's, with a `reason`, that the test aborts by hand. */
const abortable = () => {
  const listeners = new Set<() => void>();
  const signal = {
    aborted: false,
    reason: undefined as unknown,
    addEventListener: (_type: 'abort', listener: () => void) => listeners.add(listener),
    removeEventListener: (_type: 'abort', listener: () => void) => listeners.delete(listener),
  };
  return {
    signal: signal as AbortSignalLike,
    listeners,
    abort: (reason: unknown) => {
      signal.aborted = true;
      signal.reason = reason;
      for (const listener of [...listeners]) listener();
    },
  };
};

describe('the Download surface', () => {
  it('start() returns result; download() is createDownload(…).start() in one call', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const run = begin(w, {}, false);
    const started = run.download.start();
    expect(started).toBe(run.download.result);
    await drive(w, run);
    await expect(started).resolves.toMatchObject({ target: TARGET, bytes: SIZE });

    const again = worldServing(content);
    const settled = download({ url: URL_A, target: 'b.bin' }, again.ports);
    await drive(again, run, () => again.storage.fileOf('b.bin') !== null);
    await expect(settled).resolves.toMatchObject({ target: 'b.bin', bytes: SIZE });
    expect(bytesDiff(again.storage.fileOf('b.bin'), content)).toEqual(same(content));
  });

  it('on(type, listener) hears that kind of event only, until unsubscribed', async () => {
    const w = worldServing(bytesOf(SIZE), {}, { chunkDelayMs: 10 });
    const run = begin(w, {}, false);
    const states: string[] = [];
    const starts: number[] = [];
    const stop = run.download.on('state', (event) => states.push(event.state));
    run.download.on('start', (event) => starts.push(event.resumedFrom));
    run.download.start();
    await drive(w, run, () => states.includes('downloading'));
    stop();
    await finish(w, run);
    expect(states).toEqual(['preparing', 'heading', 'downloading']);
    expect(starts).toEqual([0]);
  });

  it('R28: the last progress (100 %) comes before state done; only the done event follows that state', async () => {
    const w = worldServing(bytesOf(SIZE), {}, { chunkDelayMs: 10 });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    const types = run.events.map((event) => (event.type === 'state' ? `state:${event.state}` : event.type));
    const doneAt = types.indexOf('state:done');
    expect(types.slice(doneAt)).toEqual(['state:done', 'done']);
    expect(types.indexOf('start')).toBeLessThan(types.indexOf('progress'));
    expect(types[doneAt - 1]).toBe('progress');
    expect(eventsOf(run, 'progress').at(-1)?.progress).toMatchObject({ bytes: SIZE, fraction: 1 });
  });

  it('R24: an aborted signal stops the download as pause does, keeps its bytes, and rejects ERR_ABORTED with its reason', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const controller = abortable();
    const run = begin(w, { signal: controller.signal, checkpointIntervalMs: 0 });
    await drive(w, run, () => (eventsOf(run, 'progress').at(-1)?.progress.bytes ?? 0) >= 20_000);
    const reason = new Error('the user navigated away');
    controller.abort(reason);
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_ABORTED');
    expect((end.error as Error).cause).toBe(reason);
    // It paused to save its bytes, and it is over: `failed`, as its result says, never `paused` (nothing resumes it).
    expect(run.states.slice(-2)).toEqual(['pausing', 'failed']);
    expect(run.download.getSnapshot().state).toBe('failed');
    expect(run.events.at(-1)?.type).toBe('error');
    expect(eventsOf(run, 'error')).toHaveLength(1);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    expect(w.checkpoints.keys()).toEqual([TARGET]);
    expect(controller.listeners.size).toBe(0);
    // A later start goes on from the bytes kept.
    const later = begin(w);
    expect((await finish(w, later)).code).toBeNull();
    expect(eventsOf(later, 'start')[0]?.resumedFrom).toBeGreaterThan(0);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R24: a signal aborted before start() ends the download at once, with no request and no file', async () => {
    const w = worldServing(bytesOf(SIZE));
    const controller = abortable();
    controller.abort('too late');
    const run = begin(w, { signal: controller.signal }, false);
    const end = await run.download.start().catch((error: { code: string; cause: unknown }) => error);
    expect(end).toMatchObject({ code: 'ERR_ABORTED', cause: 'too late' });
    // Told as a refused download is: a final state, then the error.
    expect(run.download.getSnapshot().state).toBe('failed');
    expect(run.events.map((event) => event.type)).toEqual(['state', 'error']);
    expect(run.states).toEqual(['failed']);
    expect(w.server.requests).toEqual([]);
    expect(w.storage.list()).toEqual([]);
    expect(gets(w)).toEqual([]);
  });

  it('R24: cancel() after an abort deletes the .part and the checkpoint kept; start(), resume() and pause() do nothing', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const controller = abortable();
    const run = begin(w, { signal: controller.signal, checkpointIntervalMs: 0 });
    await drive(w, run, () => (eventsOf(run, 'progress').at(-1)?.progress.bytes ?? 0) >= 20_000);
    controller.abort('stop');
    expect((await finish(w, run)).code).toBe('ERR_ABORTED');
    expect(w.checkpoints.keys()).toEqual([TARGET]);
    const requests = w.server.requests.length;
    run.download.resume();
    run.download.start();
    run.download.pause();
    // Nothing moves: the world runs until no timer is left, the download still `failed`.
    await expect(drive(w, run, () => false)).rejects.toThrow('stuck in failed with no timer pending');
    expect(w.server.requests).toHaveLength(requests);
    run.download.cancel();
    await drive(w, run, () => run.download.getSnapshot().state === 'cancelled');
    expect(run.states.slice(-3)).toEqual(['failed', 'cancelling', 'cancelled']);
    expect(w.storage.partOf(TARGET)).toBeNull();
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    // The result stays what it was: one error, ERR_ABORTED.
    expect(eventsOf(run, 'error').map((event) => event.error.code)).toEqual(['ERR_ABORTED']);
  });

  it('R24: cancel() after an abort before start() deletes what an earlier run left', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, 20_000);
    const controller = abortable();
    const run = begin(w, { signal: controller.signal }, false);
    controller.abort('stop');
    expect((await finish(w, run)).code).toBe('ERR_ABORTED');
    expect(run.states).toEqual(['failed']);
    run.download.cancel();
    await drive(w, run, () => run.download.getSnapshot().state === 'cancelled');
    expect(w.storage.partOf(TARGET)).toBeNull();
    expect(w.checkpoints.keys()).toEqual([]);
    expect(w.server.requests).toEqual([]);
  });

  it('R30: a signal or refreshUrl of the wrong kind is refused before any request', async () => {
    const w = world();
    const bad = [
      { signal: 'stop' as unknown as AbortSignalLike },
      { refreshUrl: 'https://sign.example' as unknown as () => Promise<{ url: string }> },
    ];
    for (const options of bad) {
      const run = begin(w, options);
      const end = await finish(w, run);
      expect(end.code).toBe('ERR_INVALID_INPUT');
    }
    expect(w.server.requests).toEqual([]);
  });
});
