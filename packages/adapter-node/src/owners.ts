import { readFileSync } from 'node:fs';

/** `undefined` until first asked. */
let unmapped: number | null | undefined;

/**
 * The uid the kernel shows for a file whose owner has no uid in this process's user namespace (the overflow uid,
 * 65534), when the process runs in one other than the first (a rootless container, `unshare -U`): there `/` and
 * every file of the host's root show as owned by it. `null` in the first namespace, or where it cannot be told.
 */
const unmappedUid = (): number | null => {
  if (unmapped !== undefined) return unmapped;
  unmapped = null;
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).map(Number);
    const first = map.length === 3 && map[0] === 0 && map[1] === 0 && map[2] === 2 ** 32 - 1;
    if (!first) unmapped = Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim());
  } catch {
    // No /proc (another platform): the first namespace, as far as rdl can tell.
  }
  return unmapped;
};

/**
 * Whether a file of `uid` is one only this user or root can change (R31): its own, root's, or, in a user namespace
 * of its own, one of an owner it cannot see (the host's root as a rule: a rootless container's whole system).
 */
export const isTrustedOwner = (uid: number, me: number): boolean =>
  uid === me || uid === 0 || uid === unmappedUid();
