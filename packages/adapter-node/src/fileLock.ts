import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { errnoOf } from './fsFailure.js';

/** What a lock file holds: enough to tell whether its owner still runs. */
interface LockOwner {
  readonly pid: number;
  /** When the owning process started, ms since the epoch: with the pid, it names one process. */
  readonly startedAt: number;
  readonly hostname: string;
}

/** A lock file that cannot be read as an owner is taken over only once it is this old (a crash mid-write). */
const TORN_LOCK_AGE_MS = 10_000;

const thisProcess = (): LockOwner => ({
  pid: process.pid,
  startedAt: Math.round(performance.timeOrigin),
  hostname: hostname(),
});

const parseOwner = (text: string): LockOwner | null => {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0
      ? { pid: value.pid, startedAt: Number(value.startedAt), hostname: String(value.hostname) }
      : null;
  } catch {
    return null;
  }
};

/** Whether `pid` is a live process: signal 0 checks without sending. EPERM means alive but someone else's. */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ESRCH';
  }
};

/**
 * Whether the lock at `path` belongs to a process that may still run. A lock from another host cannot be checked,
 * so it counts as held.
 */
const ownerMayRun = async (path: string, text: string): Promise<boolean> => {
  const owner = parseOwner(text);
  if (owner === null) {
    const info = await stat(path).catch(() => null);
    return info !== null && Date.now() - info.mtimeMs < TORN_LOCK_AGE_MS;
  }
  if (owner.hostname !== hostname()) return true;
  return isAlive(owner.pid);
};

const readLock = async (path: string): Promise<string | null> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  }
};

/**
 * Takes the lock file `path` (R23): created with O_EXCL, holding the owner's pid, start time and host. A lock
 * whose owner is dead (`kill(pid, 0)` answers ESRCH) is stale and taken over. Resolves `false` when a live owner
 * holds it, this process included (two downloads of one target in one process are as bad as in two). Rejects
 * with the file system's error otherwise.
 *
 * Taking over re-reads the stale lock just before removing it, so two processes racing for the same stale lock
 * cannot both win unless they interleave inside that read-and-unlink window of a few microseconds.
 */
export const acquireLock = async (path: string): Promise<boolean> => {
  const body = JSON.stringify(thisProcess());
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await writeFile(path, body, { flag: 'wx' });
      return true;
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
    const text = await readLock(path);
    if (text === null) continue;
    if (await ownerMayRun(path, text)) return false;
    if ((await readLock(path)) === text) await releaseLock(path);
  }
  return false;
};

/** Whether a live owner holds the lock file `path`. */
export const isLockHeld = async (path: string): Promise<boolean> => {
  const text = await readLock(path);
  return text !== null && (await ownerMayRun(path, text));
};

/** Removes the lock file `path`; a missing one is already released. */
export const releaseLock = async (path: string): Promise<void> => {
  try {
    await unlink(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
};
