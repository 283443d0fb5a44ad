import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import { committedPrefix, decodeCheckpoint } from '../../src/rules/checkpointCodec.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  drive,
  eventsOf,
  finish,
  gets,
  leftByEarlierRun,
  processPorts,
  type Run,
  same,
  savedCheckpoint,
  TARGET,
  URL_A,
  type World,
  world,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

const checkpointOf = (w: World): Checkpoint | null => {
  const raw = w.checkpoints.raw(TARGET);
  if (raw === null) return null;
  const decoded = decodeCheckpoint(raw);
  return E.isRight(decoded) ? decoded.right : null;
};

const bytesSoFar = (run: Run) => eventsOf(run, 'progress').at(-1)?.progress.bytes ?? 0;

describe('createDownload: local state', () => {
  it('R19: the final name appears only when every byte is verified, then the checkpoint goes; nothing else stays', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const run = begin(w, { checkpointIntervalMs: 50 });
    await drive(w, run, () => bytesSoFar(run) >= SIZE / 2);
    expect(w.storage.fileOf(TARGET)).toBeNull();
    expect(w.storage.list()).toEqual([`${TARGET}.part`]);
    expect((await finish(w, run)).code).toBeNull();
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it.each([
    ['a 404 at the probe', (w: World) => w.server.unpublish(URL_A), 'ERR_HTTP_STATUS'],
    [
      'a probe redirected to another scheme',
      (w: World) => w.server.redirect(URL_A, 'file:///etc/passwd'),
      'ERR_REDIRECT_REFUSED',
    ],
    [
      'a data GET redirected to another scheme',
      (w: World) => w.server.inject(fault.redirect('ftp://files.example/a.bin'), { method: 'GET' }),
      'ERR_REDIRECT_REFUSED',
    ],
    [
      'a 404 to the first data GET',
      (w: World) => w.server.inject(fault.status(404), { method: 'GET' }),
      'ERR_HTTP_STATUS',
    ],
    ['a checksum mismatch', (_w: World) => undefined, 'ERR_INTEGRITY'],
  ])(
    'R19: a failure with nothing durable (%s) leaves no part file and no checkpoint, and releases the lock',
    async (_name, arrange, code) => {
      const w = world();
      w.server.publish(URL_A, bytesOf(SIZE));
      arrange(w);
      const run = begin(w, code === 'ERR_INTEGRITY' ? { expectedSha256: 'ab'.repeat(32) } : {});
      expect((await finish(w, run)).code).toBe(code);
      expect(w.storage.list()).toEqual([]);
      expect(w.checkpoints.keys()).toEqual([]);
      expect(w.storage.isLocked(TARGET)).toBe(false);
    },
  );

  it('R19: an unreadable checkpoint and untrusted bytes are not kept by a failure either', async () => {
    const w = world();
    w.storage.putPart(TARGET, new Uint8Array(5_000).fill(7));
    w.checkpoints.setRaw(TARGET, '{"version":1,"url":"https://files.exa');
    const run = begin(w);
    expect((await finish(w, run)).code).toBe('ERR_HTTP_STATUS');
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
  });

  it('R19: a failure after bytes were written keeps the part file and the checkpoint, and a later run resumes', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    const run = begin(w);
    await drive(w, run, () => w.server.requests.some((r) => r.method === 'GET'));
    // The retry after the cut finds the resource gone.
    w.server.inject(fault.status(404), { method: 'GET' });
    expect((await finish(w, run)).code).toBe('ERR_HTTP_STATUS');
    expect(w.storage.list()).toEqual([`${TARGET}.part`]);
    expect(committedPrefix(checkpointOf(w)!)).toBe(20_000);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    const again = begin(w);
    expect((await finish(w, again)).code).toBeNull();
    expect(eventsOf(again, 'start')[0]?.resumedFrom).toBe(20_000);
    expect(gets(w).at(-1)?.headers.range).toBe('bytes=20000-');
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R19: a failure of a run that found saved bytes keeps them, even before it wrote any', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, 20_000);
    w.server.inject(fault.status(404), { method: 'HEAD' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBe('ERR_HTTP_STATUS');
    expect(w.storage.partOf(TARGET)?.length).toBe(20_000);
    expect(committedPrefix(checkpointOf(w)!)).toBe(20_000);
  });

  it('R19, R23: a download refused as busy deletes nothing of the one that holds the target', async () => {
    const w = world({}, { chunkDelayMs: 10 });
    w.server.publish(URL_A, bytesOf(SIZE));
    const first = begin(w, { checkpointIntervalMs: 30 });
    await drive(w, first, () => w.checkpoints.keys().length > 0);
    const second = begin(w);
    await drive(w, second);
    expect((await finish(w, second)).code).toBe('ERR_TARGET_BUSY');
    expect(w.storage.list()).toEqual([`${TARGET}.part`]);
    expect(w.checkpoints.keys()).toEqual([TARGET]);
    expect(w.storage.isLocked(TARGET)).toBe(true);
    expect((await finish(w, first)).code).toBeNull();
  });

  it('R20: every checkpoint saved counts only bytes already flushed, and they are the right bytes', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const save = w.checkpoints.save.bind(w.checkpoints);
    const seen: number[] = [];
    w.checkpoints.save = (target, text) => {
      const decoded = decodeCheckpoint(text);
      if (E.isLeft(decoded)) throw new Error(decoded.left);
      const prefix = committedPrefix(decoded.right);
      const durable = w.storage.durablePartOf(target) ?? new Uint8Array(0);
      expect(durable.length).toBeGreaterThanOrEqual(prefix);
      expect(bytesDiff(durable.subarray(0, prefix), content.subarray(0, prefix))).toEqual(
        same(content.subarray(0, prefix)),
      );
      seen.push(prefix);
      return save(target, text);
    };
    const run = begin(w, { checkpointIntervalMs: 30 });
    expect((await finish(w, run)).code).toBeNull();
    expect(seen.filter((n) => n > 0 && n < SIZE).length).toBeGreaterThan(2);
  });

  it('R20: a crash at any instant leaves a state that resumes to the right bytes', async () => {
    const content = bytesOf(SIZE);
    for (const crashAt of [1, 3, 7, 11, 14]) {
      const w = world({}, { chunkDelayMs: 10 });
      w.server.publish(URL_A, content);
      const process = processPorts(w);
      const first = begin(w, { checkpointIntervalMs: 25 }, true, process.ports);
      await drive(w, first, () => w.clock.now() - 1_704_067_200_000 >= crashAt * 10);
      expect(first.settled).toBe(false);
      w.storage.crash();
      process.kill();
      const second = begin(w, { checkpointIntervalMs: 25 });
      const resumedFrom = committedPrefix(checkpointOf(w) ?? ({ ranges: [] } as unknown as Checkpoint));
      expect((await finish(w, second)).code).toBeNull();
      expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
      expect(eventsOf(second, 'start')[0]?.resumedFrom).toBe(resumedFrom);
    }
  });

  it('R20, R21: a fresh start over no checkpoint saves none before its first flush; a crash before it leaves bytes nothing counts, fetched again from 0', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const saves: { text: string; flushed: number }[] = [];
    const save = w.checkpoints.save.bind(w.checkpoints);
    w.checkpoints.save = (target, text) => {
      saves.push({ text, flushed: w.storage.durablePartOf(TARGET)?.length ?? 0 });
      return save(target, text);
    };
    const process = processPorts(w);
    const first = begin(w, { checkpointIntervalMs: 10_000 }, true, process.ports);
    await drive(w, first, () => (w.storage.partOf(TARGET)?.length ?? 0) >= SIZE / 2);
    // Bytes written, none saved: the checkpoint store was never asked.
    expect(saves).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
    w.storage.crash();
    process.kill();
    const second = begin(w, { checkpointIntervalMs: 20 });
    expect((await finish(w, second)).code).toBeNull();
    expect(eventsOf(second, 'start')[0]?.resumedFrom).toBe(0);
    expect(gets(w).at(-1)?.headers.range ?? 'bytes=0-').toBe('bytes=0-');
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    // Every checkpoint the second run saved counts only bytes flushed before it (R20).
    expect(saves.length).toBeGreaterThan(0);
    for (const { text, flushed } of saves) {
      const decoded = decodeCheckpoint(text);
      expect(E.isRight(decoded) && committedPrefix(decoded.right) <= flushed).toBe(true);
    }
  });

  it('R11, R20: a fresh start over a checkpoint that counts bytes of another version saves the fresh one before its first byte', async () => {
    const old = bytesOf(SIZE, 2);
    const content = bytesOf(SIZE);
    const w = worldServing(old);
    leftByEarlierRun(w, old, 20_000);
    w.server.publish(URL_A, content);
    const firstSave: { partBytes: number | null; ranges: string }[] = [];
    const save = w.checkpoints.save.bind(w.checkpoints);
    w.checkpoints.save = (target, text) => {
      if (firstSave.length === 0) {
        const decoded = decodeCheckpoint(text);
        firstSave.push({
          partBytes: w.storage.partOf(TARGET)?.length ?? null,
          ranges: E.isRight(decoded) ? JSON.stringify(decoded.right.ranges) : 'torn',
        });
      }
      return save(target, text);
    };
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    // The old version's checkpoint was replaced by one counting nothing while the part file was still empty.
    expect(firstSave).toEqual([{ partBytes: 0, ranges: '[]' }]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R21: a part file longer than the checkpoint is cut back to the checkpoint and resumed from there', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const junk = new Uint8Array(30_000).fill(7);
    junk.set(content.subarray(0, 20_000));
    w.storage.putPart(TARGET, junk);
    w.checkpoints.setRaw(TARGET, savedCheckpoint(w, content.length, 20_000));
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'notice').map((e) => e.code)).toEqual(['PART_TRIMMED']);
    expect(eventsOf(run, 'start')[0]?.resumedFrom).toBe(20_000);
    expect(w.server.bytesSent).toBe(SIZE - 20_000);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R21: a part file shorter than the checkpoint resumes from what is really there', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, 12_000, 20_000);
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'start')[0]?.resumedFrom).toBe(12_000);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R21: a missing part file restarts from 0 and says so', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.checkpoints.setRaw(TARGET, savedCheckpoint(w, content.length, 20_000));
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['PART_FILE_MISSING']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it.each([
    ['torn JSON', '{"version":1,"url":"https://files.exa'],
    ['a wrong version', '{"version":9}'],
    ['tampered numbers', null],
  ])('R22: a checkpoint with %s is reported and replaced by a fresh start', async (_name, text) => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.storage.putPart(TARGET, new Uint8Array(20_000).fill(9));
    const tampered = savedCheckpoint(w, content.length, 20_000).replace('[[0,20000]]', '[[0,90000]]');
    w.checkpoints.setRaw(TARGET, text ?? tampered);
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'notice').map((e) => e.code)).toEqual(['CHECKPOINT_INVALID']);
    expect(eventsOf(run, 'start')[0]?.resumedFrom).toBe(0);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R22: a checkpoint of another URL is replaced by a fresh start', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.storage.putPart(TARGET, new Uint8Array(20_000).fill(9));
    w.checkpoints.setRaw(
      TARGET,
      savedCheckpoint(w, content.length, 20_000).replace(URL_A, 'https://other.example/x'),
    );
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['URL_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R23: a second download of the same target fails "busy" and does not touch the first', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const first = begin(w);
    await drive(w, first, () => bytesSoFar(first) > 0);
    const second = begin(w);
    await drive(w, second);
    const error = await second.download.result.catch((e: { code: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'ERR_TARGET_BUSY' });
    expect((await finish(w, first)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R19, R24: a fresh start paused before its probe answered leaves nothing behind: no empty part file, no checkpoint', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.noResponse(), { method: 'HEAD' });
    const run = begin(w);
    await drive(w, run, () => w.server.requests.some((q) => q.method === 'HEAD'));
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    expect(w.storage.partOf(TARGET)).toBeNull();
    expect(w.checkpoints.keys()).toEqual([]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    run.download.resume();
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R19, R24: a fresh start paused while its part file is opened (before any request) leaves nothing behind; a resumed one keeps its bytes', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const run = begin(w);
    expect(run.download.getSnapshot().state).not.toBe('paused');
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    expect(run.states).not.toContain('heading');
    expect(w.server.requests).toEqual([]);
    expect(w.storage.partOf(TARGET)).toBeNull();
    expect(w.checkpoints.keys()).toEqual([]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    // Bytes and a checkpoint from before: a pause at the same moment keeps both, as they were.
    w.storage.putPart(TARGET, content.slice(0, 20_000));
    w.checkpoints.setRaw(TARGET, savedCheckpoint(w, content.length, 20_000));
    const again = begin(w);
    again.download.pause();
    await drive(w, again, () => again.download.getSnapshot().state === 'paused');
    expect(w.server.requests).toEqual([]);
    expect(w.storage.partOf(TARGET)).toEqual(content.slice(0, 20_000));
    expect(checkpointOf(w)?.ranges).toEqual([[0, 20_000]]);
    again.download.resume();
    expect((await finish(w, again)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R24: a fresh start paused before its first byte still saves a checkpoint (of the version, counting nothing)', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.stall(0), { method: 'GET' });
    const run = begin(w, { checkpointIntervalMs: 10_000 });
    await drive(w, run, () => gets(w).length > 0);
    expect(w.checkpoints.keys()).toEqual([]);
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    const saved = checkpointOf(w);
    expect(saved?.ranges).toEqual([]);
    expect(saved?.validators.etag).toBe(w.server.resource(URL_A)?.current.etag);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    run.download.resume();
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R24: a resume that comes while the pause is under way is not dropped: the download goes on, from its checkpoint', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const run = begin(w, { checkpointIntervalMs: 10_000 });
    await drive(w, run, () => bytesSoFar(run) >= 20_000);
    run.download.pause();
    run.download.resume();
    expect((await finish(w, run)).code).toBeNull();
    expect(run.states).toContain('pausing');
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const resumed = gets(w).at(-1)?.headers.range;
    expect(Number(/^bytes=(\d+)-$/.exec(resumed ?? '')?.[1])).toBeGreaterThanOrEqual(20_000);
  });

  it('R24: start, pause and resume in one turn ends done; pause, resume, pause ends paused (the last wins)', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const run = begin(w, {}, false);
    run.download.start();
    run.download.pause();
    run.download.resume();
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));

    const again = worldServing(content, {}, { chunkDelayMs: 10 });
    const other = begin(again, { checkpointIntervalMs: 10_000 });
    await drive(again, other, () => bytesSoFar(other) >= 20_000);
    other.download.pause();
    other.download.resume();
    other.download.pause();
    await drive(again, other, () => other.download.getSnapshot().state === 'paused');
    expect(again.storage.isLocked(TARGET)).toBe(false);
  });

  it('R24: pause stops the network, saves a checkpoint and closes the file; resume goes on from it', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkDelayMs: 10 });
    const run = begin(w, { checkpointIntervalMs: 10_000 });
    await drive(w, run, () => bytesSoFar(run) >= 20_000);
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    expect(w.storage.isLocked(TARGET)).toBe(false);
    const saved = committedPrefix(checkpointOf(w)!);
    expect(saved).toBeGreaterThanOrEqual(20_000);
    expect(w.storage.durablePartOf(TARGET)?.length).toBe(saved);
    const sent = w.server.bytesSent;
    w.clock.advance(60_000);
    expect(w.server.bytesSent).toBe(sent);
    run.download.resume();
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'start').map((e) => e.resumedFrom)).toEqual([0, saved]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R24: cancel deletes the part file and the checkpoint; result rejects with ERR_CANCELLED', async () => {
    const w = world({}, { chunkDelayMs: 10 });
    w.server.publish(URL_A, bytesOf(SIZE));
    const run = begin(w, { checkpointIntervalMs: 20 });
    await drive(w, run, () => bytesSoFar(run) >= 20_000);
    run.download.cancel();
    expect((await finish(w, run)).code).toBe('ERR_CANCELLED');
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(run.states.slice(-2)).toEqual(['cancelling', 'cancelled']);
  });

  it('R24: cancel of a paused download deletes what the pause kept', async () => {
    const w = world({}, { chunkDelayMs: 10 });
    w.server.publish(URL_A, bytesOf(SIZE));
    const run = begin(w);
    await drive(w, run, () => bytesSoFar(run) >= 20_000);
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    expect(w.storage.list()).toEqual([`${TARGET}.part`]);
    run.download.cancel();
    expect((await finish(w, run)).code).toBe('ERR_CANCELLED');
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
  });

  it('R24: pause while waiting to retry, then resume', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.status(503), { method: 'HEAD' });
    const run = begin(w);
    await drive(w, run, () => run.download.getSnapshot().state === 'waiting');
    run.download.pause();
    await drive(w, run, () => run.download.getSnapshot().state === 'paused');
    run.download.resume();
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });
});
