import { describe, expect, it } from 'vitest';
import {
  begin,
  bytesDiff,
  bytesOf,
  eventsOf,
  finish,
  same,
  TARGET,
  URL_A,
  world,
  worldServing,
} from '../support/machineHarness.js';

describe('createDownload', () => {
  it('downloads a whole file and commits it under its name', async () => {
    const w = world();
    const content = bytesOf(100_000);
    w.server.publish(URL_A, content);
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(run.states.at(-1)).toBe('done');
    expect(eventsOf(run, 'progress').at(-1)?.progress.fraction).toBe(1);
  });

  it('R24: a cancel while the file is verified deletes the part file and the checkpoint once the checks end: no file, ERR_CANCELLED', async () => {
    const content = bytesOf(100_000);
    const w = worldServing(content);
    const run = begin(w, { computeSha256: true }, false);
    run.download.on('state', ({ state }) => {
      if (state === 'verifying') run.download.cancel();
    });
    run.download.start();
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_CANCELLED');
    expect(run.states.slice(-3)).toEqual(['verifying', 'cancelling', 'cancelled']);
    expect(w.storage.list()).toEqual([]);
    expect(w.storage.fileOf(TARGET)).toBeNull();
    expect(w.checkpoints.keys()).toEqual([]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
  });

  it('R24: a pause while the file is verified lets it finish: done, the file under its name', async () => {
    const content = bytesOf(100_000);
    const w = worldServing(content);
    const run = begin(w, {}, false);
    run.download.on('state', ({ state }) => {
      if (state === 'verifying') run.download.pause();
    });
    run.download.start();
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(run.states.slice(-2)).toEqual(['verifying', 'done']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });
});
