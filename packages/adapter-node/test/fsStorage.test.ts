import { spawn } from 'node:child_process';
import { link, open, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expectLeft, expectRight } from '@rdl/core/testing';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FsStorage, lockPathOf } from '../src/FsStorage.js';
import { acquireLock, readProcStat } from '../src/fileLock.js';
import { toStorageFailure } from '../src/fsFailure.js';
import { deadPid } from './support/processes.js';
import { listDir, makeTempDir } from './support/tempDir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

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

/** A positional write of a FileHandle, as tests replace it on the prototype. */
type HandleWrite = (buffer: Uint8Array, offset: number, length: number, position: number) => Promise<unknown>;

/**
 * The prototype every FileHandle shares, whose methods a test replaces (and puts back) to count or fail the calls
 * FsStorage makes.
 */
const fileHandlePrototype = async <P>(): Promise<P> => {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as P;
  await probe.close();
  return proto;
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
        // Alive: running, sleeping, or for a moment in uninterruptible sleep (D) while exec loads its pages.
        expect(proc?.state).toMatch(/^[RSD]$/);
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
        expect(await acquireLock(lockPathOf(target))).toEqual({ _tag: 'Busy' });
        await writeFile(lockPathOf(target), owner(startTicks - 1));
        expect(await acquireLock(lockPathOf(target))).toEqual({ _tag: 'Taken' });
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
    expect(await acquireLock(lockPathOf(target))).toEqual({ _tag: 'Busy' });
  });

  it('R19: targetSize of a folder is a Left, of a missing path null; readTarget of a missing file a Left', async () => {
    const storage = new FsStorage();
    expect(await expectLeft(storage.targetSize(dir), 'UnsafePath')).toMatchObject({
      reason: expect.stringContaining('a folder, not a regular file'),
    });
    expect(await expectRight(storage.targetSize(join(dir, 'nope', 'f')))).toBeNull();
    await expectLeft(storage.readTarget(join(dir, 'nope'), 0, 1), 'IoError');
  });

  it('R19, R23: a lock is linked whole from a written temp file: of twenty takings at once one wins, and no temp file stays', async () => {
    const target = join(dir, 'f');
    const attempts = await Promise.all(Array.from({ length: 20 }, () => acquireLock(lockPathOf(target))));
    expect(attempts.filter((a) => a._tag === 'Taken')).toHaveLength(1);
    expect(attempts.filter((a) => a._tag === 'Busy')).toHaveLength(19);
    expect(JSON.parse(await readFile(lockPathOf(target), 'utf8')).pid).toBe(process.pid);
    expect(await listDir(dir)).toEqual(['f.lock']);
  });

  /**
   * What taking the lock of `target` gives while another taker of this process holds it mid-way: linked from its
   * temp name, which it removes `afterMs` later.
   */
  const takenWhileLinking = async (target: string, afterMs: number) => {
    const temp = `${lockPathOf(target)}.0123456789abcdef.tmp`;
    await writeFile(temp, JSON.stringify({ pid: process.pid, startedAt: Date.now(), hostname: hostname() }));
    await link(temp, lockPathOf(target));
    const attempt = acquireLock(lockPathOf(target));
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    // As the taker does: the name may be gone already (removed by the reader, which found it the lock's).
    await unlink(temp).catch(() => undefined);
    return attempt;
  };

  it('R23, R31: a lock read while its taker has linked it and not yet removed its temp name (two links) is busy, not unsafe, whenever the removal lands', async () => {
    // The removal lands anywhere among the reads, some of them between a read that found two links and the look
    // after it (which then finds one).
    for (let ms = 0; ms < 60; ms += 1) {
      const target = join(dir, `f${ms}`);
      expect(await takenWhileLinking(target, ms % 30), `removed after ${ms % 30} ms`).toEqual({
        _tag: 'Busy',
      });
      await unlink(lockPathOf(target));
    }
    expect(await listDir(dir)).toEqual([]);
  });

  it('R23, R31: a taker slow to remove its temp name (past the second a taker takes, a busy disk) still leaves the lock busy; a second name elsewhere is unsafe', async () => {
    const target = join(dir, 'f');
    expect(await takenWhileLinking(target, 1_500)).toEqual({ _tag: 'Busy' });
    // The same two links, the other name not a temp name of the lock: a hard link planted there.
    const elsewhere = join(dir, 'elsewhere');
    await link(lockPathOf(target), elsewhere);
    expect(await acquireLock(lockPathOf(target))).toMatchObject({
      _tag: 'Unsafe',
      reason: expect.stringMatching(/2 links/),
    });
    expect((await listDir(dir)).sort()).toEqual(['elsewhere', 'f.lock']);
  });

  it('R19, R23, R31: a lock whose taker was killed between its link and the removal of its temp name (two links, a dead owner) is taken over at once, the temp name removed', async () => {
    const target = join(dir, 'f');
    const temp = `${lockPathOf(target)}.0123456789abcdef.tmp`;
    await writeFile(temp, JSON.stringify({ pid: await deadPid(), startedAt: 1, hostname: hostname() }));
    await link(temp, lockPathOf(target));
    // Not the second (24 reads, a pause of 2 to 50 ms between each) a planted link is waited for: the temp name is
    // seen as the lock's at the second read, after one pause. Counted, not timed.
    const pauses = vi.spyOn(globalThis, 'setTimeout');
    const taken = await acquireLock(lockPathOf(target));
    const lockPauses = pauses.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms <= 50).length;
    pauses.mockRestore();
    expect(taken).toEqual({ _tag: 'Taken' });
    expect(lockPauses).toBe(1);
    expect(JSON.parse(await readFile(lockPathOf(target), 'utf8')).pid).toBe(process.pid);
    expect(await listDir(dir)).toEqual(['f.lock']);
    // And a file's storage opens over such a lock as well (the next run after the kill).
    const other = join(dir, 'g');
    const otherTemp = `${lockPathOf(other)}.fedcba9876543210.tmp`;
    await writeFile(otherTemp, JSON.stringify({ pid: await deadPid(), startedAt: 1, hostname: hostname() }));
    await link(otherTemp, lockPathOf(other));
    const file = await expectRight(new FsStorage().open(other));
    expect(await listDir(dir)).toEqual(['f.lock', 'g.lock', 'g.part']);
    await expectRight(file.close());
  });

  it('R23, R31: a lock with two links whose other name is a temp name of another lock, or another file at a temp name, stays unsafe and untouched', async () => {
    const target = join(dir, 'f');
    await writeFile(
      lockPathOf(target),
      JSON.stringify({ pid: await deadPid(), startedAt: 1, hostname: hostname() }),
    );
    // A name of the lock's pattern for another lock ('h.lock.<hex>.tmp'), and one of f.lock's pattern that is
    // another file: neither is f.lock's temp name of it.
    await link(lockPathOf(target), `${lockPathOf(join(dir, 'h'))}.0123456789abcdef.tmp`);
    await writeFile(`${lockPathOf(target)}.fedcba9876543210.tmp`, 'another file');
    expect(await acquireLock(lockPathOf(target))).toMatchObject({
      _tag: 'Unsafe',
      reason: expect.stringMatching(/2 links/),
    });
    expect(await listDir(dir)).toEqual([
      'f.lock',
      'f.lock.fedcba9876543210.tmp',
      'h.lock.0123456789abcdef.tmp',
    ]);
  });

  it('R19, R31: the temp file of a lock a killed run left is swept by the next open; a link at such a name stays as it is', async () => {
    const target = join(dir, 'f');
    const left = `${lockPathOf(target)}.0123456789abcdef.tmp`;
    const planted = `${lockPathOf(target)}.fedcba9876543210.tmp`;
    await writeFile(left, JSON.stringify({ pid: await deadPid(), startedAt: 1, hostname: hostname() }));
    await writeFile(join(dir, 'victim'), 'keep');
    await symlink(join(dir, 'victim'), planted);
    const file = await expectRight(new FsStorage().open(target));
    expect(await listDir(dir)).toEqual(['f.lock', 'f.lock.fedcba9876543210.tmp', 'f.part', 'victim']);
    expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('keep');
    await expectRight(file.close());
  });

  it('R23: a torn (unreadable) lock is busy while fresh, so a lock being written is never stolen', async () => {
    const target = join(dir, 'f');
    await writeFile(lockPathOf(target), '');
    expect(await acquireLock(lockPathOf(target))).toEqual({ _tag: 'Busy' });
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

describe('FsStorage writes', () => {
  it('R42: writes to one part file go to the file system one at a time, in the order given; one that fails fails alone', async () => {
    const proto = await fileHandlePrototype<{ write: HandleWrite }>();
    const original = proto.write;
    let inFlight = 0;
    let most = 0;
    const order: number[] = [];
    proto.write = async function (this: unknown, buffer, offset, length, position) {
      inFlight += 1;
      most = Math.max(most, inFlight);
      order.push(position);
      try {
        // The third write fails as a full disk's would; a pause lets any other write start meanwhile, if one could.
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (position === 2 * 4096)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return await original.call(this, buffer, offset, length, position);
      } finally {
        inFlight -= 1;
      }
    };
    try {
      const file = await expectRight(new FsStorage().open(join(dir, 'f')));
      // Sixteen writes of 4 KiB, as sixteen segments would issue them: all at once, each at its own offset.
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => file.write(i * 4096, new Uint8Array(4096).fill(i + 1))()),
      );
      await expectRight(file.close());
      expect(most).toBe(1);
      expect(order).toEqual(Array.from({ length: 16 }, (_, i) => i * 4096));
      expect(results.map((result) => (E.isLeft(result) ? result.left._tag : 'ok'))).toEqual(
        Array.from({ length: 16 }, (_, i) => (i === 2 ? 'NoSpace' : 'ok')),
      );
      const bytes = await readFile(join(dir, 'f.part'));
      for (let i = 0; i < 16; i += 1) {
        if (i !== 2) expect(bytes.subarray(i * 4096, (i + 1) * 4096).every((b) => b === i + 1)).toBe(true);
      }
    } finally {
      proto.write = original;
    }
  });
});

describe('FsStorage sizes it knows', () => {
  /** Counts the ftruncate and fstat calls of every FileHandle while `run` goes on. */
  const watchSizeCalls = async (
    run: () => Promise<void>,
  ): Promise<{ truncates: number[]; stats: number }> => {
    const proto = await fileHandlePrototype<{
      truncate: (length?: number) => Promise<void>;
      stat: () => Promise<unknown>;
    }>();
    const { truncate, stat } = proto;
    const truncates: number[] = [];
    let stats = 0;
    proto.truncate = function (this: unknown, length?: number) {
      truncates.push(length ?? 0);
      return truncate.call(this, length);
    };
    proto.stat = function (this: unknown) {
      stats += 1;
      return stat.call(this);
    };
    try {
      await run();
      return { truncates, stats };
    } finally {
      proto.truncate = truncate;
      proto.stat = stat;
    }
  };

  it('R20: a part file created here and written is cut only when bytes lie past the length asked, and its size is the true one', async () => {
    const chunk = new Uint8Array(4096).fill(9);
    const seen = await watchSizeCalls(async () => {
      const file = await expectRight(new FsStorage().open(join(dir, 'f')));
      // Out of order, as segments write, and one write of no bytes far out, which grows nothing.
      await expectRight(file.write(4096, chunk));
      await expectRight(file.write(0, chunk));
      await expectRight(file.write(1 << 20, new Uint8Array(0)));
      expect(await expectRight(file.size())).toBe(8192);
      await expectRight(file.truncate(8192)); // the size it has: nothing to cut
      await expectRight(file.truncate(6000)); // bytes past 6000: cut
      expect(await expectRight(file.size())).toBe(6000);
      await expectRight(file.truncate(6000));
      await expectRight(file.close());
    });
    expect(seen).toEqual({ truncates: [6000], stats: 0 });
    expect((await readFile(join(dir, 'f.part'))).length).toBe(6000);
  });

  it('R20: after a failed write, or on a part file found from an earlier run, the size is asked and every truncate made', async () => {
    const proto = await fileHandlePrototype<{ write: HandleWrite }>();
    const original = proto.write;
    // Half the bytes reach the file, then the disk is full: the file is longer than any end counted.
    proto.write = async function (this: unknown, buffer, offset, length, position) {
      if (length <= 2048)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return await original.call(this, buffer, offset, 2048, position);
    };
    try {
      const seen = await watchSizeCalls(async () => {
        const file = await expectRight(new FsStorage().open(join(dir, 'f')));
        await expectLeft(file.write(0, new Uint8Array(4096).fill(3)), 'NoSpace');
        expect(await expectRight(file.size())).toBe(2048);
        await expectRight(file.truncate(0));
        await expectRight(file.close());
      });
      expect(seen).toEqual({ truncates: [0], stats: 1 });
    } finally {
      proto.write = original;
    }
    await writeFile(join(dir, 'g.part'), new Uint8Array(100));
    const seen = await watchSizeCalls(async () => {
      const file = await expectRight(new FsStorage().open(join(dir, 'g')));
      expect(await expectRight(file.size())).toBe(100);
      await expectRight(file.truncate(100));
      await expectRight(file.close());
    });
    expect(seen.truncates).toEqual([100]);
  });
});

describe('FsStorage flush-behind', () => {
  /** Counts (and may fail) the fdatasync calls of every FileHandle while `run` goes on. */
  const watchDatasync = async <T>(
    failFirst: boolean,
    run: () => Promise<T>,
  ): Promise<{ calls: number; value: T }> => {
    const proto = await fileHandlePrototype<{ datasync: () => Promise<void> }>();
    const original = proto.datasync;
    let calls = 0;
    proto.datasync = function (this: unknown) {
      calls += 1;
      if (failFirst && calls === 1) {
        return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      }
      return original.call(this);
    };
    try {
      const value = await run();
      return { calls, value };
    } finally {
      proto.datasync = original;
    }
  };

  it('R20: every flushBehindBytes written start an fdatasync in the background; 0 starts none', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(7);
    const writeMiB = async (storage: FsStorage, name: string) => {
      const file = await expectRight(storage.open(join(dir, name)));
      for (let i = 0; i < 16; i += 1) await expectRight(file.write(i * chunk.length, chunk));
      await expectRight(file.close());
    };
    const behind = await watchDatasync(false, () =>
      writeMiB(new FsStorage({ flushBehindBytes: 256 * 1024 }), 'a'),
    );
    // 1 MiB in writes of 64 KiB, one fdatasync started per 256 KiB unless one is still running.
    expect(behind.calls).toBeGreaterThanOrEqual(1);
    expect(behind.calls).toBeLessThanOrEqual(4);
    const never = await watchDatasync(false, () => writeMiB(new FsStorage({ flushBehindBytes: 0 }), 'b'));
    expect(never.calls).toBe(0);
    expect((await readFile(join(dir, 'a.part'))).length).toBe(16 * chunk.length);
  });

  it('R20: a background fdatasync that failed fails the next flush, so no checkpoint counts lost data', async () => {
    const { value } = await watchDatasync(true, async () => {
      const file = await expectRight(new FsStorage({ flushBehindBytes: 1 }).open(join(dir, 'f')));
      await expectRight(file.write(0, Uint8Array.of(1, 2, 3)));
      const failed = await file.flush()();
      const again = await file.flush()();
      await expectRight(file.close());
      return { failed, again };
    });
    expect(E.isLeft(value.failed) && value.failed.left).toMatchObject({
      _tag: 'IoError',
      message: expect.stringContaining('EIO'),
    });
    // Reported once, like the kernel does; the flush after it runs a fdatasync of its own.
    expect(E.isRight(value.again)).toBe(true);
  });

  it('R19: commit fails too when the background fdatasync failed, and leaves no target', async () => {
    const target = join(dir, 'f');
    const { value } = await watchDatasync(true, async () => {
      const file = await expectRight(new FsStorage({ flushBehindBytes: 1 }).open(target));
      await expectRight(file.write(0, Uint8Array.of(1)));
      return file.commit()();
    });
    expect(E.isLeft(value)).toBe(true);
    const left = await listDir(dir);
    expect(left).not.toContain('f');
    // The part file stays for a resume, and the lock went with the failed commit.
    expect(left).toContain('f.part');
    expect(left).not.toContain('f.lock');
  });
});
