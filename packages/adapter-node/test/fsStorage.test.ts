import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expectLeft, expectRight } from '@rdl/core/testing';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStorage, lockPathOf } from '../src/FsStorage.js';
import { acquireLock, readProcStat } from '../src/fileLock.js';
import { toStorageFailure } from '../src/fsFailure.js';
import { listDir, makeTempDir } from './support/tempDir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

/** A pid that is certainly not running: a child that has exited and been reaped. */
const deadPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
};

/** `/proc/<pid>/stat` exists only there. */
const onLinux = process.platform === 'linux';

/** Resolves once `check` holds, polling every 10 ms for up to 5 s. */
const until = async (check: () => Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 500; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
};

describe('FsStorage on disk', () => {
  it('R23: the lock file holds the pid and start time of its owner, and goes with close', async () => {
    const target = join(dir, 'f');
    const file = await expectRight(new FsStorage().open(target));
    const owner = JSON.parse(await readFile(lockPathOf(target), 'utf8')) as {
      pid: number;
      startedAt: number;
    };
    expect(owner.pid).toBe(process.pid);
    expect(owner.startedAt).toBeGreaterThan(0);
    expect(await listDir(dir)).toEqual(['f.lock', 'f.part']);
    await expectRight(file.close());
    expect(await listDir(dir)).toEqual(['f.part']);
  });

  it('R23: a lock left by a dead process is taken over', async () => {
    const target = join(dir, 'f');
    await writeFile(
      lockPathOf(target),
      JSON.stringify({ pid: await deadPid(), startedAt: 1, hostname: hostname() }),
    );
    const file = await expectRight(new FsStorage().open(target));
    await expectRight(file.close());
  });

  it('R23: a lock held by another live process makes open and remove fail with TargetBusy', async () => {
    const target = join(dir, 'f');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('node:fs');const os=require('node:os');
         fs.writeFileSync(process.argv[1],JSON.stringify({pid:process.pid,startedAt:Date.now(),hostname:os.hostname()}),{flag:'wx'});
         console.log('locked');setInterval(()=>{},1000);`,
        lockPathOf(target),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      expect(await expectLeft(new FsStorage().open(target), 'TargetBusy')).toEqual({
        _tag: 'TargetBusy',
        target,
      });
      await expectLeft(new FsStorage().remove(target), 'TargetBusy');
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      const file = await expectRight(new FsStorage().open(target));
      await expectRight(file.close());
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it.runIf(onLinux)(
    'R23: a lock whose owner was killed but not yet reaped (a zombie) is taken over at once',
    async () => {
      // The shell starts `sleep 30` in the background, prints its pid, then becomes `sleep 60`, which never reaps it:
      // killed, the grandchild stays a zombie for as long as the test needs.
      const parent = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 60'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const pid = Number(
          await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d)))),
        );
        const proc = await readProcStat(pid);
        expect(proc?.state).toMatch(/^[RS]$/);
        const target = join(dir, 'f');
        await writeFile(
          lockPathOf(target),
          JSON.stringify({ pid, startedAt: Date.now(), hostname: hostname(), startTicks: proc?.startTicks }),
        );
        await expectLeft(new FsStorage().open(target), 'TargetBusy');
        process.kill(pid, 'SIGKILL');
        await until(async () => (await readProcStat(pid))?.state === 'Z');
        // What the old check saw: signal 0 still reaches a zombie.
        expect(() => process.kill(pid, 0)).not.toThrow();
        const file = await expectRight(new FsStorage().open(target));
        await expectRight(file.close());
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );

  it.runIf(onLinux)(
    'R23: a lock whose pid now belongs to a process that started at another time (pid reuse) is stale',
    async () => {
      const live = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        const pid = live.pid ?? 0;
        await until(async () => (await readProcStat(pid)) !== null);
        const startTicks = (await readProcStat(pid))?.startTicks ?? 0;
        const target = join(dir, 'f');
        const owner = (ticks: number) =>
          JSON.stringify({ pid, startedAt: Date.now(), hostname: hostname(), startTicks: ticks });
        await writeFile(lockPathOf(target), owner(startTicks));
        expect(await acquireLock(lockPathOf(target))).toBe(false);
        await writeFile(lockPathOf(target), owner(startTicks - 1));
        expect(await acquireLock(lockPathOf(target))).toBe(true);
        const mine = JSON.parse(await readFile(lockPathOf(target), 'utf8')) as {
          pid: number;
          startTicks: number;
        };
        expect(mine).toMatchObject({
          pid: process.pid,
          startTicks: (await readProcStat(process.pid))?.startTicks,
        });
      } finally {
        live.kill('SIGKILL');
      }
    },
  );

  it('R23: a lock written without startTicks (an older rdl) still counts as held while its pid runs', async () => {
    const target = join(dir, 'f');
    await writeFile(
      lockPathOf(target),
      JSON.stringify({ pid: process.pid, startedAt: 1, hostname: hostname() }),
    );
    expect(await acquireLock(lockPathOf(target))).toBe(false);
  });

  it('R19: targetSize of a folder is a Left, of a missing path null; readTarget of a missing file a Left', async () => {
    const storage = new FsStorage();
    expect(await expectLeft(storage.targetSize(dir), 'IoError')).toMatchObject({
      message: expect.stringContaining('not a regular file'),
    });
    expect(await expectRight(storage.targetSize(join(dir, 'nope', 'f')))).toBeNull();
    await expectLeft(storage.readTarget(join(dir, 'nope'), 0, 1), 'IoError');
  });

  it('R23: a torn (unreadable) lock is busy while fresh, so a lock being written is never stolen', async () => {
    const target = join(dir, 'f');
    await writeFile(lockPathOf(target), '');
    expect(await acquireLock(lockPathOf(target))).toBe(false);
  });

  it('R29: ENOSPC is NoSpace, EACCES/EPERM/EROFS are PermissionDenied, the rest IoError', () => {
    const failure = (code: string) =>
      toStorageFailure('write', '/x')(Object.assign(new Error(`${code}: oops`), { code }))._tag;
    expect(failure('ENOSPC')).toBe('NoSpace');
    expect(failure('EDQUOT')).toBe('NoSpace');
    expect(failure('EACCES')).toBe('PermissionDenied');
    expect(failure('EPERM')).toBe('PermissionDenied');
    expect(failure('EROFS')).toBe('PermissionDenied');
    expect(failure('EIO')).toBe('IoError');
  });

  it('R29: a part file in a folder that cannot be created is a typed Left, not a throw', async () => {
    // /proc refuses new files even to root, where chmod would not stop a write.
    const result = await new FsStorage().open('/proc/rdl-cannot-write-here')();
    expect(E.isLeft(result) && result.left._tag).toMatch(/^(PermissionDenied|IoError)$/);
    expect(await listDir(dir)).toEqual([]);
  });
});
