import { constants, type Stats, unlinkSync } from 'node:fs';
import { link, readdir, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { errnoOf } from './fsFailure.js';
import { createOwnFile, lstatOrNull, readOwnFile } from './ownFile.js';
import { tempLockNamePattern, tempLockPathOf } from './sidecarPaths.js';

/** What a lock file holds: enough to tell whether its owner still runs. */
interface LockOwner {
  readonly pid: number;
  /** When the owning process started, ms since the epoch (for people reading the file). */
  readonly startedAt: number;
  readonly hostname: string;
  /**
   * The kernel's start time of the owner (`/proc/<pid>/stat` field 22, clock ticks since boot), `null` where there
   * is no `/proc`. With the pid it names one process, whatever the wall clock did: a pid reused by a later
   * process has another start time.
   */
  readonly startTicks: number | null;
}

/** A lock file that cannot be read as an owner is taken over only once it is this old (a crash mid-write). */
const TORN_LOCK_AGE_MS = 10_000;

/** What Linux's `/proc/<pid>/stat` says of a process: its state letter and its start time in ticks since boot. */
interface ProcStat {
  readonly state: string;
  readonly startTicks: number;
}

/**
 * Reads `/proc/<pid>/stat`; `null` where there is none (not Linux, the process gone) or it does not parse. The
 * command name (field 2) may hold spaces and parentheses, so fields are counted from its last `)`.
 */
export const readProcStat = async (pid: number): Promise<ProcStat | null> => {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const state = fields[0];
  const startTicks = Number(fields[19]);
  return state !== undefined && /^[A-Za-z]$/.test(state) && Number.isSafeInteger(startTicks)
    ? { state, startTicks }
    : null;
};

let ownStartTicks: Promise<number | null> | null = null;

const thisProcess = async (): Promise<LockOwner> => {
  ownStartTicks ??= readProcStat(process.pid).then((proc) => proc?.startTicks ?? null);
  return {
    pid: process.pid,
    startedAt: Math.round(performance.timeOrigin),
    hostname: hostname(),
    startTicks: await ownStartTicks,
  };
};

const parseOwner = (text: string): LockOwner | null => {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return null;
    return {
      pid: value.pid,
      startedAt: Number(value.startedAt),
      hostname: String(value.hostname),
      startTicks:
        typeof value.startTicks === 'number' && Number.isSafeInteger(value.startTicks)
          ? value.startTicks
          : null,
    };
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
 * Whether the process `owner` names may still run. `kill(pid, 0)` first; on Linux, `/proc/<pid>/stat` then tells
 * apart what signal 0 cannot: a zombie (`Z`, killed but not yet reaped by its parent) or a dying process (`X`) is
 * dead, and a pid whose start time differs from the one the lock recorded was reused by another process. Without
 * `/proc` (or a lock written without `startTicks`), signal 0 is all there is. The wall-clock `startedAt` is never
 * compared: a clock step would make a live owner look like another process, and its lock be stolen.
 */
const processMayRun = async (owner: LockOwner): Promise<boolean> => {
  if (!isAlive(owner.pid)) return false;
  const proc = await readProcStat(owner.pid);
  if (proc === null) return true;
  if (proc.state === 'Z' || proc.state === 'X') return false;
  return owner.startTicks === null || proc.startTicks === owner.startTicks;
};

/** A lock file is a few hundred bytes; a bigger one is not read, and counts as torn (R33). */
const maxLockBytes = 64 * 1024;

/**
 * Whether `text` may be rdl's lock, whole or torn: one that parses as an owner, or what a crash while one was
 * written in place leaves (nothing, or the start of its JSON). Anything else at the lock's name is a file of the
 * user's own (`Gemfile.lock` beside a download of `Gemfile`), never taken over nor removed (R31).
 */
const mayBeLock = (text: string | null): boolean =>
  text !== null && (parseOwner(text) !== null || '{"pid":'.startsWith(text) || text.startsWith('{"pid":'));

const notALock: { readonly _tag: 'Unsafe'; readonly reason: string } = {
  _tag: 'Unsafe',
  reason:
    "a file of yours that is not rdl's lock is there, and is left as it is (move it, or name the download otherwise)",
};

/**
 * Whether the lock whose text is `text` belongs to a process that may still run. A lock from another host cannot
 * be checked, so it counts as held; one that cannot be read as an owner counts as held while it is fresh (a crash
 * mid-write), given its modification time.
 */
const ownerMayRun = async (text: string | null, mtimeMs: number): Promise<boolean> => {
  const owner = text === null ? null : parseOwner(text);
  if (owner === null) return Date.now() - mtimeMs < TORN_LOCK_AGE_MS;
  if (owner.hostname !== hostname()) return true;
  return processMayRun(owner);
};

/** What is at a lock's name: nothing, a lock with its text, or something that is no lock of this user (R31, R33). */
type LockFile =
  | { readonly _tag: 'Missing' }
  | { readonly _tag: 'Unsafe'; readonly reason: string }
  /** `text` is `null` for a lock too big to be one: not read, torn. */
  | { readonly _tag: 'Found'; readonly text: string | null; readonly mtimeMs: number };

/**
 * Reads the lock at `path` as `readOwnFile` does: a link, a FIFO, a device, a hard link or another user's file is
 * never read nor followed, and never taken over: it is `Unsafe` and stays as it is (R31). A file of this user too
 * big to be a lock is not read (R33), and is no lock (`mayBeLock`).
 */
const readOnce = async (path: string): Promise<LockFile> => {
  const read = await readOwnFile(path, maxLockBytes);
  if (read._tag !== 'Found') return read;
  return { _tag: 'Found', text: read.value.text, mtimeMs: read.value.info.mtimeMs };
};

/**
 * How long a lock with two links is read again before it counts as a planted hard link, and the pauses between the
 * reads (doubling from the first to the last). 40 ms were too few: in a CI run, with the disk busy with other tests'
 * fsyncs, a taker's removal of its temp name came later than that, and eleven of twenty takers at once called the
 * lock unsafe.
 */
const LINKING_MS = 1_000;
const FIRST_PAUSE_MS = 2;
const LAST_PAUSE_MS = 50;
/**
 * And at least this many reads, so that a stalled event loop (a CI machine running two test files and a property
 * test at once) does not spend the whole `LINKING_MS` before the second read: pauses of 2, 4, … 50 ms make 24 reads
 * about 1 s, the same second when nothing stalls.
 */
const LINKING_READS = 24;
/**
 * A bound on the whole wait for a lock with two links, whatever its reads find: a lock whose second name cannot be
 * removed is not read for ever.
 */
const MAX_LINKED_MS = 10_000;

/**
 * Removes a taker's temp name of the lock `path` (`<lock>.<16 hex>.tmp`, beside it) that is the same file as
 * `info`, and says whether there was one. Such a name is left by a taker between its link and the removal of that
 * name: slowed there (a disk busy with other fsyncs), or killed there (kill -9), when it stays for ever. Removing it
 * is safe either way: the file has no third name (two links: the lock and this one, both in this folder), a live
 * taker's own removal then finds nothing (and ignores that), and the lock itself stays as it is, to be read.
 */
const dropTakersTemp = async (path: string, info: Stats): Promise<boolean> => {
  const folder = dirname(path);
  const tempName = tempLockNamePattern(path);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return false;
  }
  for (const name of names) {
    if (!tempName.test(name)) continue;
    const temp = join(folder, name);
    const other = await lstatOrNull(temp);
    if (other === null || other.dev !== info.dev || other.ino !== info.ino) continue;
    try {
      await unlink(temp);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') return false;
    }
    return true;
  }
  return false;
};

/**
 * `readOnce`, except that a lock of this user with two links is read again for a while: another taker links the
 * lock from its temp file and removes that name just after, so in between the lock has two links and is not unsafe,
 * only being made (twenty takers at once on a loaded machine saw it). When the other name is a taker's temp name of
 * it, that name is removed (`dropTakersTemp`: a taker killed between its link and that removal left the lock so for
 * good, and every later run called it unsafe). One that keeps two links for `LINKING_MS` and `LINKING_READS` reads,
 * with no such name, is a hard link planted there: `Unsafe` (R31). One that has one link again, or is gone, when
 * looked at after a read that found two is read again: the read is out of date (returning it made a taker that
 * removed its temp name in between look like a planted link, twice in CI runs).
 */
const readLock = async (path: string): Promise<LockFile> => {
  const started = Date.now();
  const euid = process.geteuid?.();
  for (let pause = FIRST_PAUSE_MS, reads = 1; ; pause = Math.min(2 * pause, LAST_PAUSE_MS), reads += 1) {
    const lock = await readOnce(path);
    if (lock._tag !== 'Unsafe') return lock;
    const info = await lstatOrNull(path);
    const waited = Date.now() - started;
    if (waited >= MAX_LINKED_MS) return lock;
    // Gone, or one link now: its taker removed its temp name (or released the lock) between the read and this
    // look, and what was read is out of date: read it again.
    const links = info === null ? 1 : info.isFile() && info.uid === euid ? info.nlink : 0;
    if (info !== null && links !== 1) {
      // A taker between its link and the removal of its temp name leaves two links, of this user; nothing else does.
      if (links !== 2) return lock;
      // From the second read on: a live taker removes its temp name within a few milliseconds, itself.
      if (reads >= 2 && (await dropTakersTemp(path, info))) continue;
      if (waited >= LINKING_MS && reads >= LINKING_READS) {
        // No taker's temp name of it now: planted, unless the taker removed that name while the folder was looked
        // through (the lock then has one link again: read it again). A name there all along would have been seen.
        const after = await lstatOrNull(path);
        if (after !== null && after.ino === info.ino && after.dev === info.dev && after.nlink === 2)
          return lock;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
};

/** How taking a lock went. */
export type LockAttempt =
  | { readonly _tag: 'Taken' }
  /** A live owner holds it, this process included. */
  | { readonly _tag: 'Busy' }
  /** Something that is not a lock of this user is at its name (R31): refused, left untouched. */
  | { readonly _tag: 'Unsafe'; readonly reason: string };

/**
 * Takes the lock file `path` (R23): created with O_EXCL | O_NOFOLLOW and mode 0600 (R31), holding the owner's pid,
 * start times and host. A lock whose owner is dead (`kill(pid, 0)` answers ESRCH; on Linux also a zombie, or a pid
 * now held by a process that started at another time) is stale and taken over. `Busy` when a live owner holds it,
 * this process included (two downloads of one target in one process are as bad as in two); `Unsafe` when what is
 * there is no lock file of this user. Rejects with the file system's error otherwise.
 *
 * Taking over re-reads the stale lock just before removing it, so two processes racing for the same stale lock
 * cannot both win unless they interleave inside that read-and-unlink window of a few microseconds.
 */
export const acquireLock = async (path: string): Promise<LockAttempt> => {
  const body = JSON.stringify(await thisProcess());
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const created = await createLock(path, body);
    if (created === 'Taken') return { _tag: 'Taken' };
    if (created === 'Again') continue;
    const lock = await readLock(path);
    if (lock._tag === 'Unsafe') return lock;
    if (lock._tag === 'Missing') continue;
    if (!mayBeLock(lock.text)) return notALock;
    if (await ownerMayRun(lock.text, lock.mtimeMs)) return { _tag: 'Busy' };
    const again = await readLock(path);
    if (again._tag === 'Found' && again.text === lock.text) await releaseLock(path);
  }
  return { _tag: 'Busy' };
};

/**
 * Creates the lock `path` holding `body`, whole: written in a temp file of a fresh name, then linked to `path`
 * (`link` fails when something is there, as O_EXCL does), so that no instant shows it empty. A kill between the
 * two leaves only the temp file, which the next run sweeps (`sweepStaleTemps`); an empty lock would have blocked
 * the target for `TORN_LOCK_AGE_MS`. `Exists` when something is at `path`; `Again` when the temp file went away
 * before the link (swept by another run). A file system without hard links gets the lock created and written in
 * place, as before.
 */
const createLock = async (path: string, body: string): Promise<'Taken' | 'Exists' | 'Again'> => {
  const temp = tempLockPathOf(path);
  const handle = await createOwnFile(temp, constants.O_WRONLY);
  if (handle === null) return 'Again';
  // The temp name goes whatever happens from here: a write that fails (ENOSPC) left it behind before.
  try {
    try {
      await handle.writeFile(body, 'utf8');
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
      return 'Taken';
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EEXIST') return 'Exists';
      if (code === 'ENOENT') return 'Again';
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw error;
      return createInPlace(path, body);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
};

/** The lock created with O_EXCL and written in place: where `link` is not supported. */
const createInPlace = async (path: string, body: string): Promise<'Taken' | 'Exists'> => {
  const created = await createOwnFile(path, constants.O_WRONLY);
  if (created === null) return 'Exists';
  try {
    await created.writeFile(body, 'utf8');
  } finally {
    await created.close();
  }
  return 'Taken';
};

/**
 * Who has the lock file `path`: `Busy` while a live owner holds it, `Unsafe` when what is there is no lock of this
 * user (R31), `null` when it is free (missing, or left by a dead owner). Reads it as `acquireLock` does.
 */
export const lockState = async (path: string): Promise<Exclude<LockAttempt, { _tag: 'Taken' }> | null> => {
  const lock = await readLock(path);
  if (lock._tag === 'Missing') return null;
  if (lock._tag === 'Unsafe') return lock;
  if (!mayBeLock(lock.text)) return notALock;
  return (await ownerMayRun(lock.text, lock.mtimeMs)) ? { _tag: 'Busy' } : null;
};

/** Removes the lock file `path`; a missing one is already released. */
export const releaseLock = async (path: string): Promise<void> => {
  try {
    await unlink(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
};

/** `releaseLock` at once, for a process about to exit (no turn of the event loop left to await it). */
export const releaseLockSync = (path: string): void => {
  try {
    unlinkSync(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
};
