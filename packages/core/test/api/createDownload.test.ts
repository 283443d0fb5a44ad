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
});
