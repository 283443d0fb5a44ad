import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { DownloadPorts } from '../../src/model/download.js';
import type { PartFile, StoragePort } from '../../src/ports/StoragePort.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  eventsOf,
  finish,
  gets,
  leftByEarlierRun,
  type Run,
  same,
  TARGET,
  URL_A,
  type World,
  world,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

/**
 * The ports of a process killed right after its commit: the rename happened, the checkpoint's removal never does.
 * (`crash()` drops the locks and handles a dead process held.)
 */
const killedAfterCommit = (w: World): DownloadPorts => ({
  ...w.ports,
  checkpoints: {
    load: (target) => w.checkpoints.load(target),
    save: (target, text) => w.checkpoints.save(target, text),
    remove: () => async () => {
      w.storage.crash();
      return E.left({ _tag: 'IoError', message: 'killed' });
    },
  },
});

/**
 * A world where a first run of `content` committed `<target>` and was killed before removing its checkpoint. The
 * body is paced past the checkpoint interval, so that the run saved one (a file done within its first interval
 * saves none: see the last tests).
 */
const afterKilledCommit = async (content: Uint8Array = bytesOf(SIZE)): Promise<World> => {
  const w = world({}, { chunkDelayMs: 5 });
  w.server.publish(URL_A, content);
  await finish(w, begin(w, { checkpointIntervalMs: 20 }, true, killedAfterCommit(w)));
  expect(w.storage.list()).toEqual([TARGET]);
  expect(w.checkpoints.keys()).toEqual([TARGET]);
  return w;
};

/** `w`'s storage, each part file opened through it with `overrides` of its methods. */
const partsWrapped = (w: World, overrides: (part: PartFile) => Partial<PartFile>): StoragePort => ({
  open: (target) => async () => {
    const opened = await w.storage.open(target)();
    if (E.isLeft(opened)) return opened;
    const part = opened.right;
    const wrapped: PartFile = {
      size: () => part.size(),
      write: (offset, bytes) => part.write(offset, bytes),
      read: (offset, length, into) => part.read(offset, length, into),
      truncate: (length) => part.truncate(length),
      flush: () => part.flush(),
      commit: () => part.commit(),
      discard: () => part.discard(),
      close: () => part.close(),
      ...overrides(part),
    };
    return E.right(wrapped);
  },
  remove: (target) => w.storage.remove(target),
  targetSize: (target) => w.storage.targetSize(target),
  readTarget: (target, offset, length) => w.storage.readTarget(target, offset, length),
});

const types = (run: Run) => run.events.filter((e) => e.type !== 'state').map((e) => e.type);

describe('createDownload: a finished target left with its checkpoint (R19, R21)', () => {
  it('R19: a run killed between the rename and the checkpoint removal is done on the next start, with no request', async () => {
    const w = await afterKilledCommit();
    const before = w.server.requests.length;
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(end.result).toMatchObject({ target: TARGET, bytes: SIZE, sha256: null });
    expect(w.server.requests.length).toBe(before);
    expect(types(run)).toEqual(['start', 'progress', 'done']);
    expect(eventsOf(run, 'start')).toEqual([{ type: 'start', resumedFrom: SIZE, total: SIZE }]);
    expect(run.states).toEqual(['preparing', 'verifying', 'done']);
    // Nothing else left behind: the empty part file the start opened is gone, so are the checkpoint and the lock.
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    expect(bytesDiff(w.storage.fileOf(TARGET), bytesOf(SIZE))).toEqual(same(bytesOf(SIZE)));
  });

  it('R19, R21: only a start with a checkpoint looks at the finished target; a fresh one, with none, never does', async () => {
    const looks: string[] = [];
    const counting = (w: World): DownloadPorts => ({
      ...w.ports,
      storage: {
        ...partsWrapped(w, () => ({})),
        targetSize: (target) => {
          looks.push(target);
          return w.storage.targetSize(target);
        },
      },
    });
    const fresh = worldServing(bytesOf(SIZE));
    expect((await finish(fresh, begin(fresh, {}, true, counting(fresh)))).code).toBeNull();
    expect(looks).toEqual([]);
    const killed = await afterKilledCommit();
    const before = killed.server.requests.length;
    expect((await finish(killed, begin(killed, {}, true, counting(killed)))).code).toBeNull();
    expect(looks).toEqual([TARGET]);
    expect(killed.server.requests.length).toBe(before);
  });

  it('R19, R27: the checksums asked for are read from the target; computeSha256 returns its digest', async () => {
    const content = bytesOf(SIZE);
    const w = await afterKilledCommit(content);
    const run = begin(w, {
      expectedSha256: bytesToHex(sha256(content)).toUpperCase(),
      expectedMd5: bytesToHex(md5(content)),
    });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
    expect(w.checkpoints.keys()).toEqual([]);

    const again = await afterKilledCommit(content);
    const computed = await finish(again, begin(again, { computeSha256: true }));
    expect(computed.result?.sha256).toBe(bytesToHex(sha256(content)));
  });

  it('R21, R27: a target of the right length whose checksum differs is not adopted: it is downloaded again', async () => {
    const content = bytesOf(SIZE);
    const w = await afterKilledCommit(content);
    w.storage.putFile(TARGET, bytesOf(SIZE, 7));
    const run = begin(w, { expectedSha256: bytesToHex(sha256(content)) });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'notice').map((e) => e.code)).toEqual(['TARGET_MISMATCH']);
    expect(eventsOf(run, 'notice')[0]?.message).toContain(`not ${bytesToHex(sha256(content))}`);
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['PART_FILE_MISSING']);
    expect(eventsOf(run, 'start').map((e) => e.resumedFrom)).toEqual([SIZE, 0]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.checkpoints.keys()).toEqual([]);
  });

  it.each([
    ['missing', (_w: World) => undefined],
    ['of another length', (w: World) => w.storage.putFile(TARGET, bytesOf(SIZE - 1))],
  ])(
    'R21: a target %s is not the finished download: the start goes on as a missing part file',
    async (_name, arrange) => {
      const content = bytesOf(SIZE);
      const w = await afterKilledCommit(content);
      // Only the checkpoint is kept from that run; the target is replaced by what the case needs.
      const kept = w.checkpoints.raw(TARGET);
      expect(kept).not.toBeNull();
      const fresh = world();
      fresh.server.publish(URL_A, content);
      if (kept !== null) fresh.checkpoints.setRaw(TARGET, kept);
      arrange(fresh);
      const run = begin(fresh);
      expect((await finish(fresh, run)).code).toBeNull();
      expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['PART_FILE_MISSING']);
      expect(eventsOf(run, 'start').map((e) => e.resumedFrom)).toEqual([0]);
      expect(bytesDiff(fresh.storage.fileOf(TARGET), content)).toEqual(same(content));
    },
  );

  it('R21: a part file with bytes in it is never mistaken for a finished target', async () => {
    const content = bytesOf(SIZE);
    const w = await afterKilledCommit(content);
    w.storage.putPart(TARGET, content.subarray(0, 1_000));
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'start').map((e) => e.resumedFrom)).toEqual([1_000]);
    expect(w.server.requests.some((r) => r.headers.range === 'bytes=1000-')).toBe(true);
  });

  it('R19: a target that cannot be looked at is taken as missing and replaced', async () => {
    const content = bytesOf(SIZE);
    const w = await afterKilledCommit(content);
    w.storage.failNext('targetSize', { _tag: 'PermissionDenied', message: 'no' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['PART_FILE_MISSING']);
    expect(w.checkpoints.keys()).toEqual([]);
  });

  it('R19, R29: a target that cannot be read for its checksum fails typed, keeping the checkpoint for a later start', async () => {
    const content = bytesOf(SIZE);
    const w = await afterKilledCommit(content);
    w.storage.failNext('readTarget', { _tag: 'IoError', message: 'EIO' });
    const end = await finish(w, begin(w, { computeSha256: true }));
    expect(end.code).toBe('ERR_IO');
    expect(w.checkpoints.keys()).toEqual([TARGET]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
    // The next start adopts it.
    const next = await finish(w, begin(w, { computeSha256: true }));
    expect(next.result?.sha256).toBe(bytesToHex(sha256(content)));
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
  });

  it('R27: a target that ends before its length while it is read fails typed and is not adopted', async () => {
    const w = await afterKilledCommit();
    const storage = w.storage;
    const shrinking: StoragePort = {
      open: (target) => storage.open(target),
      remove: (target) => storage.remove(target),
      targetSize: (target) => storage.targetSize(target),
      readTarget: (target, offset, length) =>
        offset >= 1_000
          ? async () => E.right(new Uint8Array(0))
          : storage.readTarget(target, offset, Math.min(length, 1_000 - offset)),
    };
    const end = await finish(w, begin(w, { computeSha256: true }, true, { ...w.ports, storage: shrinking }));
    expect(end.code).toBe('ERR_IO');
    expect((end.error as Error).message).toContain(`ends before byte ${SIZE}`);
    expect(w.checkpoints.keys()).toEqual([TARGET]);
  });

  it('R19: a part file that cannot be deleted keeps the checkpoint, so the next start adopts the target again', async () => {
    const w = await afterKilledCommit();
    w.storage.failNext('discard', { _tag: 'IoError', message: 'EBUSY' });
    expect((await finish(w, begin(w))).code).toBeNull();
    expect(w.checkpoints.keys()).toEqual([TARGET]);
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
  });
});

describe('createDownload: start before done', () => {
  it('R21: a resume whose part file is already complete says start (every byte present) before it verifies', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, SIZE);
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(types(run)).toEqual(['start', 'progress', 'done']);
    expect(eventsOf(run, 'start')).toEqual([{ type: 'start', resumedFrom: SIZE, total: SIZE }]);
  });

  it('R14: a zero-length resource says start (0 of 0) before done', async () => {
    const w = world();
    w.server.publish(URL_A, new Uint8Array(0));
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(types(run)).toEqual(['start', 'progress', 'done']);
    expect(eventsOf(run, 'start')).toEqual([{ type: 'start', resumedFrom: 0, total: 0 }]);
  });
  it('R19, R20: a file done within its first checkpoint interval saves no checkpoint and removes none: the file is whole under its name and nothing else is left', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    const saves: string[] = [];
    const removes: string[] = [];
    const ports: DownloadPorts = {
      ...w.ports,
      checkpoints: {
        save: (target, text) => {
          saves.push(text);
          return w.checkpoints.save(target, text);
        },
        load: (t) => w.checkpoints.load(t),
        remove: (t) => {
          removes.push(t);
          return w.checkpoints.remove(t);
        },
      },
    };
    const end = await finish(w, begin(w, {}, true, ports));
    expect(end.code).toBeNull();
    expect(saves).toEqual([]);
    // Nor a removal asked of the store: the load under the lock found none, and none was saved since.
    expect(removes).toEqual([]);
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R19, R21: killed between the rename and the end, such a file has no checkpoint to adopt it: fetched again, exact', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    await finish(w, begin(w, {}, true, killedAfterCommit(w)));
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
    const before = gets(w).length;
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    // Not adopted (no checkpoint names it, R34): the whole file once more, never a byte of another version.
    expect(gets(w).length).toBe(before + 1);
    expect(eventsOf(run, 'start').map((e) => e.resumedFrom)).toEqual([0]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.checkpoints.keys()).toEqual([]);
  });
  it('R24, R19: a pause that comes as the last byte of such a file is written lets it finish, never a part file nothing counts', async () => {
    const content = bytesOf(SIZE);
    const w = world({}, { chunkDelayMs: 1 });
    w.server.publish(URL_A, content);
    let run: Run | null = null;
    const storage = partsWrapped(w, (part) => ({
      write: (offset, bytes) => async () => {
        const written = await part.write(offset, bytes)();
        if (offset + bytes.length >= SIZE) run?.download.pause();
        return written;
      },
    }));
    run = begin(w, { checkpointIntervalMs: 1e6 }, true, { ...w.ports, storage });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(run.states).not.toContain('paused');
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(gets(w).length).toBe(1);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R19: when such a file cannot be renamed, the failure leaves nothing behind: no part file a checkpoint would not count', async () => {
    const w = worldServing(bytesOf(SIZE));
    // A commit ends the handle and the lock whatever fails (StoragePort): the rename fails after the close.
    const storage = partsWrapped(w, (part) => ({
      commit: () => async () => {
        await part.close()();
        return E.left({ _tag: 'IoError', message: 'rename failed' });
      },
    }));
    const end = await finish(w, begin(w, {}, true, { ...w.ports, storage }));
    expect(end.code).toBe('ERR_IO');
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
  });
});
