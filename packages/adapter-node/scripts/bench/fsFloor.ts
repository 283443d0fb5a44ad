import {
  closeSync,
  fchmodSync,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { mkdir, open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The file-system calls rdl makes for one fresh file of a list, in the order strace shows them, through the API rdl
 * uses for each (the lock written and linked, the checkpoint looked for, through the synchronous calls; the part
 * file created, the bytes written, its fsync and the folder's through the thread pool; the commit's chmod, stat,
 * lstat, rename and the lock's removal synchronous again; a file done within its first checkpoint interval writes no
 * checkpoint and so removes none, and the folder's free space is read once a second), with nothing else: no HTTP,
 * no state machine, no list journal. What `count` files of `bytes` cost so, `jobs` at a time, is the floor of rdl's
 * way of keeping each file durable in Node, whatever the rest costs.
 */
export const fsFloorMs = async (dir: string, count: number, jobs: number, bytes: number): Promise<number> => {
  await mkdir(dir, { recursive: true });
  const data = Buffer.alloc(bytes, 7);
  const small = Buffer.alloc(220, 1);
  const folder = await open(dir, 'r');
  const one = async (i: number): Promise<void> => {
    const target = join(dir, `f${i}.bin`);
    statSync(target, { throwIfNoEntry: false });
    lstatSync(target, { throwIfNoEntry: false });
    const lockTemp = `${target}.lock.${i}.tmp`;
    const lock = openSync(lockTemp, 'wx', 0o600);
    writeSync(lock, small, 0, 75);
    closeSync(lock);
    linkSync(lockTemp, `${target}.lock`);
    unlinkSync(lockTemp);
    lstatSync(`${target}.rdl.json`, { throwIfNoEntry: false });
    const part = await open(`${target}.part`, 'wx+', 0o600);
    // One statfs a second answers for the folder's small files (FreeSpace); the list's first pays it.
    if (i === 0) await statfs(dir);
    await part.write(data, 0, data.length, 0);
    await part.datasync();
    fchmodSync(part.fd, 0o644);
    await part.sync();
    fstatSync(part.fd);
    await part.close();
    lstatSync(`${target}.part`);
    lstatSync(target, { throwIfNoEntry: false });
    renameSync(`${target}.part`, target);
    await folder.sync();
    unlinkSync(`${target}.lock`);
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
