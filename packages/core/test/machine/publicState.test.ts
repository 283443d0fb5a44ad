import { describe, expect, it } from 'vitest';
import { publicStateOf } from '../../src/machine/publicState.js';
import { fault } from '../../src/memory/faults.js';
import type { DownloadState } from '../../src/model/download.js';
import { begin, bytesOf, drive, eventsOf, finish, TARGET, URL_A, world } from '../support/machineHarness.js';

const running = { stopIntent: null } as const;

describe('publicStateOf', () => {
  it.each([
    'idle',
    'preparing',
    'heading',
    'waiting',
    'verifying',
    'paused',
    'cancelling',
    'cancelled',
    'failed',
    'done',
  ] as const)('the machine state %s is shown under its own name', (state) => {
    expect(publicStateOf(state, running, 'downloading')).toBe(state);
  });

  it('waiting shows as waiting whether in backoff or held offline', () => {
    expect(publicStateOf({ waiting: 'backoff' }, running, 'downloading')).toBe('waiting');
    expect(publicStateOf({ waiting: 'held' }, running, 'downloading')).toBe('waiting');
  });

  it('R16, R18: deciding (the verdict of the probe) and refreshing (new URLs before the next probe) show as heading', () => {
    expect(publicStateOf('deciding', running, 'heading')).toBe('heading');
    expect(publicStateOf('refreshing', running, 'downloading')).toBe('heading');
  });

  it('R19: recognising (is the target already finished?) shows as preparing, adopting it as verifying', () => {
    expect(publicStateOf('recognising', running, 'preparing')).toBe('preparing');
    expect(publicStateOf('adopting', running, 'preparing')).toBe('verifying');
  });

  it('R24: a stop on its way shows what it is for: pausing, or cancelling once a cancel came', () => {
    expect(publicStateOf({ downloading: 'running' }, running, 'heading')).toBe('downloading');
    expect(publicStateOf({ downloading: 'stopping' }, { stopIntent: 'pause' }, 'downloading')).toBe(
      'pausing',
    );
    expect(publicStateOf({ downloading: 'stopping' }, { stopIntent: 'cancel' }, 'pausing')).toBe(
      'cancelling',
    );
    expect(publicStateOf('pausing', { stopIntent: 'pause' }, 'downloading')).toBe('pausing');
    expect(publicStateOf('pausing', running, 'preparing')).toBe('pausing');
    expect(publicStateOf('pausing', { stopIntent: 'cancel' }, 'pausing')).toBe('cancelling');
  });

  it('R19, R29: failing keeps the state shown: failed appears only when it is final', () => {
    for (const shown of ['preparing', 'heading', 'downloading', 'verifying'] as const) {
      expect(publicStateOf({ failing: 'releasing' }, running, shown)).toBe(shown);
      expect(publicStateOf({ failing: 'discarding' }, running, shown)).toBe(shown);
    }
  });
});

describe('createDownload: the state shown', () => {
  it('R24: pause shows pausing while the checkpoint is saved and the file closes, then paused', async () => {
    const w = world({}, { chunkDelayMs: 10 });
    w.server.publish(URL_A, bytesOf(60_000));
    const run = begin(w);
    const seen: { state: DownloadState; snapshot: DownloadState; locked: boolean }[] = [];
    run.download.subscribe((event) => {
      if (event.type === 'state') {
        seen.push({
          state: event.state,
          snapshot: run.download.getSnapshot().state,
          locked: w.storage.isLocked(TARGET),
        });
      }
    });
    await drive(w, run, () => run.download.getSnapshot().state === 'downloading');
    seen.length = 0;
    run.download.pause();
    expect(run.download.getSnapshot().state).toBe('pausing');
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    expect(seen).toEqual([
      { state: 'pausing', snapshot: 'pausing', locked: true },
      { state: 'paused', snapshot: 'paused', locked: false },
    ]);
    run.download.resume();
    expect((await finish(w, run)).code).toBeNull();
    expect(run.states).toEqual([
      'preparing',
      'heading',
      'downloading',
      'pausing',
      'paused',
      'preparing',
      'heading',
      'downloading',
      'verifying',
      'done',
    ]);
  });

  it('R24: cancel while pausing shows cancelling, then cancelled', async () => {
    const w = world({}, { chunkDelayMs: 10 });
    w.server.publish(URL_A, bytesOf(60_000));
    const run = begin(w);
    await drive(w, run, () => run.download.getSnapshot().state === 'downloading');
    run.download.pause();
    run.download.cancel();
    expect(run.download.getSnapshot().state).toBe('cancelling');
    expect((await finish(w, run)).code).toBe('ERR_CANCELLED');
    expect(run.states.slice(-3)).toEqual(['pausing', 'cancelling', 'cancelled']);
  });

  it('R18: while refreshUrl is asked the state shown is heading, not downloading', async () => {
    const shownWhileAsked: DownloadState[] = [];
    const fresh = 'https://files.example/a.bin?sig=2';
    const w = world();
    w.server.publish(URL_A, bytesOf(60_000));
    w.server.mount(fresh, w.server.resource(URL_A)!);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { method: 'GET', url: URL_A, times: Number.POSITIVE_INFINITY });
    const run = begin(w, {
      refreshUrl: async () => {
        // The hook is called as the step begins; the state is published when the step is taken.
        await Promise.resolve();
        shownWhileAsked.push(run.download.getSnapshot().state);
        return { url: fresh };
      },
    });
    expect((await finish(w, run)).code).toBeNull();
    expect(shownWhileAsked).toEqual(['heading']);
  });

  it('R23, R29: failed is shown only once the file is closed and the lock released, with the error right after', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(60_000));
    w.server.inject(fault.status(404), { method: 'GET' });
    const run = begin(w);
    const atFailed: { locked: boolean; files: string[] }[] = [];
    run.download.subscribe((event) => {
      if (event.type === 'state' && event.state === 'failed') {
        atFailed.push({ locked: w.storage.isLocked(TARGET), files: w.storage.list() });
      }
    });
    expect((await finish(w, run)).code).toBe('ERR_HTTP_STATUS');
    expect(atFailed).toEqual([{ locked: false, files: [] }]);
    expect(run.states).toEqual(['preparing', 'heading', 'downloading', 'failed']);
    expect(run.events.at(-1)?.type).toBe('error');
    expect(eventsOf(run, 'state').at(-1)?.state).toBe('failed');
  });
});
