import { describe, expect, it } from 'vitest';
import {
  begin,
  bytesDiff,
  bytesOf,
  eventsOf,
  finish,
  gets,
  same,
  savedCheckpoint,
  TARGET,
  URL_A,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 40_000;
const URL_B = 'https://files.example/b.bin';

describe('createDownload: local state it must not trust (R33, R34)', () => {
  it('R33: a checkpoint the store refused to read (UnsafePath) counts as torn: reported, then a fresh start', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.storage.putPart(TARGET, content.subarray(0, 10_000));
    w.checkpoints.setRaw(TARGET, savedCheckpoint(w, SIZE, 10_000));
    w.checkpoints.failNext('load', { _tag: 'UnsafePath', path: 'a.bin.rdl.json', reason: 'it is a FIFO' });
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    const notices = eventsOf(run, 'notice');
    expect(notices.map((e) => e.code)).toEqual(['CHECKPOINT_INVALID']);
    expect(notices[0]?.message).toContain('it is a FIFO');
    expect(eventsOf(run, 'start').map((e) => e.resumedFrom)).toEqual([0]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R33: any other failure to load the checkpoint still fails the download', async () => {
    const w = worldServing(bytesOf(SIZE));
    w.checkpoints.failNext('load', { _tag: 'IoError', message: 'EIO' });
    expect((await finish(w, begin(w))).code).toBe('ERR_IO');
  });

  it('R34: a finished target left with the checkpoint of another URL is not adopted: this URL is fetched', async () => {
    // b.bin has the size of a.bin, whose run committed the target and was killed before removing its checkpoint.
    const a = bytesOf(SIZE, 1);
    const b = bytesOf(SIZE, 2);
    const w = worldServing(a);
    w.server.publish(URL_B, b);
    w.checkpoints.setRaw(TARGET, savedCheckpoint(w, SIZE, SIZE));
    w.storage.putFile(TARGET, a);
    expect(JSON.parse(w.checkpoints.raw(TARGET) ?? '{}').url).toBe(URL_A);
    const run = begin(w, { url: URL_B });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'start').map((e) => e.resumedFrom)).toEqual([0]);
    expect(gets(w).length).toBeGreaterThan(0);
    expect(bytesDiff(w.storage.fileOf(TARGET), b)).toEqual(same(b));
  });
});
