import { link, lstat, mkdir, open, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const absent = (path: string, how: typeof stat) => how(path).catch(() => null);

/**
 * The file-system calls rdl makes for one fresh file of a list, in the order strace shows them (the lock written and
 * linked, the part file created, the checkpoint looked for, the bytes written, the commit: chmod, fsync, stat,
 * rename, the folder fsynced, then the lock removed; a file done within its first checkpoint interval writes no
 * checkpoint and so removes none, and the folder's free space is read once a second), with nothing else: no HTTP, no state machine. What
 * `count` files of `bytes` cost so, `jobs` at a time through Node's thread pool, is the floor of rdl's way of
 * keeping each file durable in Node, whatever the rest costs.
 */
export const fsFloorMs = async (dir: string, count: number, jobs: number, bytes: number): Promise<number> => {
  await mkdir(dir, { recursive: true });
  const data = Buffer.alloc(bytes, 7);
  const small = Buffer.alloc(220, 1);
  const folder = await open(dir, 'r');
  const one = async (i: number): Promise<void> => {
    const target = join(dir, `f${i}.bin`);
    await absent(target, stat);
    await absent(target, lstat);
    const lockTemp = `${target}.lock.${i}.tmp`;
    const lock = await open(lockTemp, 'wx', 0o600);
    await lock.write(small, 0, 75);
    await lock.close();
    await link(lockTemp, `${target}.lock`);
    await unlink(lockTemp);
    const part = await open(`${target}.part`, 'wx+', 0o600);
    await absent(`${target}.rdl.json`, lstat);
    // One statfs a second answers for the folder's small files (FreeSpace); the list's first pays it.
    if (i === 0) await statfs(dir);
    await part.write(data, 0, data.length, 0);
    await part.chmod(0o644);
    await part.sync();
    await part.stat();
    await part.close();
    await lstat(`${target}.part`);
    await absent(target, lstat);
    await rename(`${target}.part`, target);
    await folder.sync();
    await unlink(`${target}.lock`);
  };
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < count) await one(next++);
    }),
  );
  const ms = performance.now() - t0;
  await folder.close();
  await rm(dir, { recursive: true, force: true });
  return ms;
};
