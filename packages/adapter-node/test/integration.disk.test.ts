import { appendFile, lstat, mkdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '@rdl/core/memory';
import { committedPrefix, decodeCheckpoint } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
import { checkpointPathOf } from '../src/FileCheckpointStore.js';
import { lockPathOf, partPathOf } from '../src/FsStorage.js';
import { tempCheckpointPathOf } from '../src/sidecarPaths.js';
import { generateBytes, rangeStart, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { completes, fails, fastOptions, fileSha256, pauseAt } from './support/harness.js';
import { makeFifo } from './support/plant.js';
import { listDir, useTempDir } from './support/tempDir.js';
import { durabilityWatch, FillingFsStorage } from './support/wrappedPorts.js';

const size = 3 * 1024 * 1024;
const body = generateBytes(size, 41);
const server = useFaultServer();
server.serve('/file', body);
const dir = useTempDir();

const url = (): string => server.url('/file');

const readCheckpoint = async (target: string) => {
  const decoded = decodeCheckpoint(await readFile(checkpointPathOf(target), 'utf8'));
  if (E.isLeft(decoded)) throw new Error(`the checkpoint does not decode: ${decoded.left}`);
  return decoded.right;
};

/** The start of the last data GET's Range (0 for a plain GET). */
const lastStart = (): number => rangeStart(server.gets().at(-1));

describe('local state, against the fault server and the real file system', () => {
  it('R19: the final name appears only at the end, and then nothing else is left', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 1_000_000 }, { method: 'GET' });
    const { download } = await pauseAt({ url: url(), target }, 1_000_000);
    expect(await listDir(dir())).toEqual(['out.bin.part', 'out.bin.rdl.json']);
    download.resume();
    const result = await download.result;
    expect(result.bytes).toBe(size);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it.each([1, 4])(
    'R20, R42: every checkpoint saved counts only bytes flushed before it (%i connections)',
    async (connections) => {
      const target = join(dir(), 'out.bin');
      const watch = durabilityWatch();
      server.fail({ kind: 'cut', at: 1_500_000 }, { method: 'GET' });
      await completes(
        { url: url(), target, checkpointIntervalMs: 1, writeBufferBytes: 64 * 1024, connections },
        { storage: watch.storage, checkpoints: watch.checkpoints },
      );
      expect(watch.saves()).toBeGreaterThan(0);
      expect(watch.violations).toEqual([]);
      expect(await fileSha256(target)).toBe(sha256(body));
    },
  );

  it('R19: the temp files of checkpoint saves a SIGKILL cut short are swept by the next run', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 1_000_000 }, { method: 'GET' });
    await pauseAt({ url: url(), target }, 1_000_000);
    const text = await readFile(checkpointPathOf(target), 'utf8');
    // What a kill between a temp file's creation and its rename leaves, in this version's names and the old ones.
    await writeFile(tempCheckpointPathOf(target), text.slice(0, 10));
    await writeFile(`${checkpointPathOf(target)}.${process.pid}.3.tmp`, text);
    await completes({ url: url(), target });
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R21: a part file longer than the checkpoint is truncated to the committed bytes', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 1_000_000 }, { method: 'GET' });
    await pauseAt({ url: url(), target }, 1_000_000);
    const committed = committedPrefix(await readCheckpoint(target));
    await appendFile(partPathOf(target), Buffer.alloc(50_000, 0xab));
    await completes({ url: url(), target });
    expect(lastStart()).toBe(committed);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R21: a part file shorter than the checkpoint resumes from what is really there', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 1_000_000 }, { method: 'GET' });
    await pauseAt({ url: url(), target }, 1_000_000);
    await truncate(partPathOf(target), 400_000);
    await completes({ url: url(), target });
    expect(lastStart()).toBe(400_000);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R21: a missing part file restarts from 0', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 1_000_000 }, { method: 'GET' });
    await pauseAt({ url: url(), target }, 1_000_000);
    await rm(partPathOf(target));
    await completes({ url: url(), target });
    expect(lastStart()).toBe(0);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R22: a torn checkpoint is reported and replaced by a fresh start, never a crash or a wrong file', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 1_000_000 }, { method: 'GET' });
    await pauseAt({ url: url(), target }, 1_000_000);
    const text = await readFile(checkpointPathOf(target), 'utf8');
    await writeFile(checkpointPathOf(target), text.slice(0, Math.floor(text.length / 2)));
    const { events } = await completes({ url: url(), target });
    expect(events.some((event) => event.type === 'notice')).toBe(true);
    expect(events.find((event) => event.type === 'start')).toMatchObject({ resumedFrom: 0 });
    expect(lastStart()).toBe(0);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it.each([
    ['a FIFO (a read of it would wait for ever)', (path: string) => makeFifo(path)],
    ['a link to /dev/zero (a read of it never ends)', (path: string) => symlink('/dev/zero', path)],
  ])(
    'R33: a checkpoint that is %s is not read: reported as torn, then a fresh start',
    async (_name, plant) => {
      const target = join(dir(), 'out.bin');
      await plant(checkpointPathOf(target));
      const { events } = await completes({ url: url(), target });
      const notices = events.flatMap((event) => (event.type === 'notice' ? [event] : []));
      expect(notices.map((notice) => notice.code)).toEqual(['CHECKPOINT_INVALID']);
      expect(notices[0]?.message).toMatch(/refused to use .*out\.bin\.rdl\.json: it is a/);
      expect(await fileSha256(target)).toBe(sha256(body));
      // The first save replaced it by a rename; the end removed the checkpoint.
      expect(await listDir(dir())).toEqual(['out.bin']);
    },
  );

  it('R31, R33: a FIFO at the lock name is refused at once, left a FIFO, and nothing is requested', async () => {
    const target = join(dir(), 'out.bin');
    makeFifo(lockPathOf(target));
    const { error } = await fails({ url: url(), target });
    expect(error.code).toBe('ERR_UNSAFE_PATH');
    expect(error.message).toMatch(/out\.bin\.lock: it is a FIFO, not a regular file/);
    expect((await lstat(lockPathOf(target))).isFIFO()).toBe(true);
    expect(server.gets()).toEqual([]);
    expect(await listDir(dir())).toEqual(['out.bin.lock']);
  });

  it('R22: a tampered checkpoint (bytes counted past the total) never yields a wrong file', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 1_000_000 }, { method: 'GET' });
    await pauseAt({ url: url(), target }, 1_000_000);
    const text = await readFile(checkpointPathOf(target), 'utf8');
    await writeFile(checkpointPathOf(target), text.replace(/\[\[0,\d+\]\]/, `[[0,${size * 2}]]`));
    await completes({ url: url(), target });
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R23: a second download of the same target fails with "target is busy" and the first finishes intact', async () => {
    const target = join(dir(), 'out.bin');
    server.fail({ kind: 'stall', at: 500_000 }, { method: 'GET' });
    // The first download's stall and retry wait on this clock: it holds the lock until the test lets time pass. One
    // connection: its stall is then a retry of the download, not a segment the others take over.
    const clock = new ManualClock();
    const first = createDownload({ ...fastOptions, url: url(), target, connections: 1 }, { clock });
    const started = new Promise<void>((resolve) => {
      first.subscribe((event) => {
        if (event.type === 'progress' && event.progress.bytes > 0) resolve();
      });
    });
    const retried = new Promise<number>((resolve) => first.on('retry', (event) => resolve(event.delayMs)));
    first.start();
    await started;
    const { error } = await fails({ url: url(), target });
    expect(error.code).toBe('ERR_TARGET_BUSY');
    clock.advance(fastOptions.stallTimeoutMs);
    clock.advance(await retried);
    const result = await first.result;
    expect(result.bytes).toBe(size);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R19, R23: a relative target is the file of the folder current when the download was made: a chdir while it runs moves nothing', async () => {
    const elsewhere = join(dir(), 'elsewhere');
    await mkdir(elsewhere);
    const before = process.cwd();
    process.chdir(dir());
    const made = process.cwd();
    try {
      const download = createDownload({ ...fastOptions, url: url(), target: 'rel.bin' });
      // Right after the part file is opened and locked, before any checkpoint of this run is saved.
      download.on('start', () => process.chdir(elsewhere));
      const result = await download.start();
      expect(result.target).toBe(join(made, 'rel.bin'));
    } finally {
      process.chdir(before);
    }
    expect(await listDir(dir())).toEqual(['elsewhere', 'rel.bin']);
    expect(await listDir(elsewhere)).toEqual([]);
    expect(await fileSha256(join(dir(), 'rel.bin'))).toBe(sha256(body));
  });

  it('R24: pause closes the file and keeps part and checkpoint; cancel deletes both', async () => {
    const target = join(dir(), 'out.bin');
    const clock = new ManualClock();
    const connectionClosed = new Promise<void>((resolve) => {
      server.fail({ kind: 'stall', at: 800_000 }, { method: 'GET', after: resolve });
    });
    const { download } = await pauseAt({ url: url(), target }, 800_000, { clock });
    expect(await listDir(dir())).toEqual(['out.bin.part', 'out.bin.rdl.json']);
    // The network stopped: the paused download let its connection go, and armed no timer (a stall timer, a retry's
    // wait) that could send another request.
    await connectionClosed;
    expect(clock.pendingTimers()).toBe(0);
    const stopped = server.requests.length;
    download.cancel();
    await expect(download.result).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    expect(server.requests.length).toBe(stopped);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R29: a disk that fills gives a typed NoSpace error, a valid checkpoint, and a later run completes', async () => {
    const target = join(dir(), 'out.bin');
    const disk = new FillingFsStorage(1_200_000);
    const { error } = await fails({ url: url(), target, writeBufferBytes: 64 * 1024 }, { storage: disk });
    expect(error.code).toBe('ERR_NO_SPACE');
    expect(error.failure._tag).toBe('NoSpace');
    const checkpoint = await readCheckpoint(target);
    const committed = committedPrefix(checkpoint);
    const part = await readFile(partPathOf(target));
    expect(part.length).toBeGreaterThanOrEqual(committed);
    expect(sha256(part.subarray(0, committed))).toBe(sha256(body.subarray(0, committed)));
    disk.capacity = Number.POSITIVE_INFINITY;
    await completes({ url: url(), target }, { storage: disk });
    expect(lastStart()).toBe(committed);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R29: a folder the kernel refuses writes in (sysfs; chmod 555 does not stop root) gives PermissionDenied', async () => {
    const { error } = await fails({ url: url(), target: '/sys/kernel/rdl-cannot-write-here.bin' });
    expect(error.code).toBe('ERR_PERMISSION_DENIED');
    expect(error.message).not.toContain('\n');
  });
});
