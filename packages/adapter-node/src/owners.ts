import { readFileSync } from 'node:fs';

/** `undefined` until first asked. */
let unmapped: number | null | undefined;

/** Whether `/proc/self/uid_map` maps every uid to itself: the first user namespace, however its lines cut it. */
const isIdentityMap = (text: string): boolean => {
  let covered = 0;
  for (const line of text.trim().split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (inside === undefined || outside === undefined || count === undefined || inside !== outside)
      return false;
    covered += count;
  }
  return covered === 2 ** 32 - 1;
};

/**
 * The uid the kernel shows for a file whose owner has no uid in this process's user namespace (the overflow uid,
 * 65534), when the process runs in one other than the first (a rootless container, `unshare -U`): there `/` and
 * every file of the host's root show as owned by it, and so do those of every other unmapped user. `null` in the
 * first namespace, or where it cannot be told.
 */
const unmappedUid = (): number | null => {
  if (unmapped !== undefined) return unmapped;
  unmapped = null;
  try {
    if (!isIdentityMap(readFileSync('/proc/self/uid_map', 'utf8')))
      unmapped = Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());
  } catch {
    // No /proc (another platform): the first namespace, as far as rdl can tell.
  }
  return unmapped;
};

/** Whether a file of `uid` is one only this user or root can change (R31): its own or root's. */
export const isTrustedOwner = (uid: number, me: number): boolean => uid === me || uid === 0;

/**
 * Whether `uid` is the owner a user namespace of its own cannot see (see `unmappedUid`): the host's root as a rule
 * (a rootless container's whole system), but it may be any unmapped user, so it is trusted only where its being
 * another user could not open a hole: a folder no group or other may write, a device or FIFO (never a link).
 */
export const isUnmappedOwner = (uid: number): boolean => uid === unmappedUid();
