/** A held Web Lock; `release` lets it go (idempotent). */
export interface HeldLock {
  release(): void;
}

/** The Web Lock name that guards one target across every tab and worker of the origin (R23). */
export const lockName = (target: string): string => `rdl:${target}`;

/**
 * Takes the origin-wide lock of `target` if nobody holds it, without waiting (`ifAvailable: true`): `null` when
 * another tab, worker or download of this realm holds it. The browser releases it when the holder's realm dies
 * (tab closed or reloaded, worker terminated), so a crash never leaves a target locked.
 */
export const tryLockTarget = (locks: LockManager, target: string): Promise<HeldLock | null> =>
  new Promise<HeldLock | null>((resolve, reject) => {
    let release: () => void = () => {};
    const held = new Promise<void>((done) => {
      release = done;
    });
    locks
      .request(lockName(target), { ifAvailable: true }, (lock) => {
        if (lock === null) {
          resolve(null);
          return undefined;
        }
        resolve({ release });
        return held;
      })
      .catch(reject);
  });
