import { readFile, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { CheckpointStore, DownloadEvent } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checkpointPathOf, FileCheckpointStore } from '../src/FileCheckpointStore.js';
import { lockPathOf } from '../src/FsStorage.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { completes, fileSha256, restartReasons } from './support/harness.js';
import { deadPid } from './support/processes.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 2 * 1024 * 1024;
const body = generateBytes(size, 43);
const server = useFaultServer();
server.serve('/file', body);
const dir = useTempDir();

const url = (): string => server.url('/file');

/** The checkpoint store of a process killed right after its rename: the checkpoint's removal never happens. */
const killedBeforeRemoval = (): CheckpointStore => {
  const store = new FileCheckpointStore();
  return {
    load: (target) => store.load(target),
    save: (target, text) => store.save(target, text),
    remove: () => async () => E.right(undefined),
  };
};

/**
 * What a run SIGKILLed between the rename and the checkpoint's removal leaves: `<target>` whole, its checkpoint
 * counting every byte, and the lock of the dead process.
 */
const killedAfterRename = async (target: string): Promise<void> => {
  await completes({ url: url(), target, checkpointIntervalMs: 0 }, { checkpoints: killedBeforeRemoval() });
  await writeFile(
    lockPathOf(target),
    JSON.stringify({ pid: await deadPid(), startedAt: Date.now(), hostname: hostname() }),
  );
  expect(await listDir(dir())).toEqual(['out.bin', 'out.bin.lock', 'out.bin.rdl.json']);
  server.requests.length = 0;
};

const shown = (events: readonly DownloadEvent[]) =>
  events.filter((e) => e.type !== 'state' && e.type !== 'progress').map((e) => e.type);

describe('a finished target left with its checkpoint, on the real file system (R19, R21)', () => {
  it('R19: a kill between the rename and the checkpoint removal is done on the next run, with no request', async () => {
    const target = join(dir(), 'out.bin');
    await killedAfterRename(target);
    const { result, events } = await completes({ url: url(), target, computeSha256: true });
    expect(server.requests).toEqual([]);
    expect(result).toMatchObject({ bytes: size, sha256: sha256(body) });
    expect(shown(events)).toEqual(['start', 'done']);
    expect(events.find((e) => e.type === 'start')).toEqual({ type: 'start', resumedFrom: size, total: size });
    // The checkpoint, the stale lock and the empty part file the run opened are all gone.
    expect(await listDir(dir())).toEqual(['out.bin']);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R21: a target of another size is not the finished download: the run downloads it again', async () => {
    const target = join(dir(), 'out.bin');
    await killedAfterRename(target);
    await truncate(target, size - 1);
    const { events } = await completes({ url: url(), target });
    expect(restartReasons(events)).toEqual(['PART_FILE_MISSING']);
    expect(server.gets().length).toBeGreaterThan(0);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R21, R27: a target of the right size that fails the expected sha256 is downloaded again, never adopted', async () => {
    const target = join(dir(), 'out.bin');
    await killedAfterRename(target);
    const tampered = await readFile(target);
    tampered[1234] = (tampered[1234] ?? 0) ^ 0xff;
    await writeFile(target, tampered);
    const { events } = await completes({ url: url(), target, expectedSha256: sha256(body) });
    expect(events.flatMap((e) => (e.type === 'notice' ? [e.code] : []))).toEqual(['TARGET_MISMATCH']);
    expect(restartReasons(events)).toEqual(['PART_FILE_MISSING']);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R34: a checkpoint of another URL counting every byte, and a target of that size: fetched, never adopted', async () => {
    const target = join(dir(), 'out.bin');
    await killedAfterRename(target);
    const other = generateBytes(size, 44);
    server.serve('/other', other);
    const { result, events } = await completes({ url: server.url('/other'), target });
    expect(server.gets().length).toBeGreaterThan(0);
    expect(restartReasons(events)).toEqual(['URL_CHANGED']);
    expect(result?.bytes).toBe(size);
    expect(await fileSha256(target)).toBe(sha256(other));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R19: a checkpoint kept by a failed removal alone (no kill) is cleaned up by the next run', async () => {
    const target = join(dir(), 'out.bin');
    await completes({ url: url(), target, checkpointIntervalMs: 0 }, { checkpoints: killedBeforeRemoval() });
    expect(await readFile(checkpointPathOf(target), 'utf8')).toContain('"ranges":[[0,');
    server.requests.length = 0;
    await completes({ url: url(), target });
    expect(server.requests).toEqual([]);
    expect(await listDir(dir())).toEqual(['out.bin']);
  });
});
