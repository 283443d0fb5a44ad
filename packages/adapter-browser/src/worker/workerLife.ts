/**
 * How the page learns that a worker it talks to has ended, however it ended (terminated, crashed, killed by the
 * browser): the worker holds a Web Lock of its own for as long as it lives, and the page asks for the same lock,
 * which the browser grants only once the worker's locks are freed with it. A message can say nothing of that: a
 * dead worker just stops answering.
 */

/** Locks of worker lives are named `rdl-worker-life:<random>`. */
const PREFIX = 'rdl-worker-life:';

const locksHere = (): LockManager | undefined =>
  (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;

const randomName = (): string =>
  `${PREFIX}${globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`}`;

/**
 * In the worker: takes a fresh lock held until the worker ends, then gives its name to `announce` (to be posted
 * to the page). Where there are no Web Locks, `announce` gets `null`: the page then learns only of script errors.
 */
export const holdWorkerLife = (announce: (lock: string | null) => void): void => {
  const locks = locksHere();
  if (locks === undefined) {
    announce(null);
    return;
  }
  const name = randomName();
  locks
    .request(name, () => {
      announce(name);
      return new Promise<never>(() => {});
    })
    .catch(() => announce(null));
};

/** In the page: calls `ended` once the worker holding the lock `name` (from `holdWorkerLife`) has ended. */
export const watchWorkerLife = (name: string, ended: () => void): void => {
  const locks = locksHere();
  if (locks === undefined) return;
  locks.request(name, () => ended()).catch(() => undefined);
};
