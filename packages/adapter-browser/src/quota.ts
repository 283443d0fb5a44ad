import type { PartFile, StorageFailure, StoragePort } from '@rdl/core';
import * as TE from 'fp-ts/TaskEither';

/** What the quota guard needs to know of the run: the total length once the probe told it. */
export interface QuotaPlan {
  total: number | null;
}

/**
 * Wraps a `StoragePort` so that the first write of each opening checks `navigator.storage.estimate()` against the
 * bytes still to come (`total - size of the part file`): a download that cannot fit fails at once with a typed
 * `QuotaExceeded` rather than after gigabytes. The estimate is the browser's own, rounded and padded, so a write
 * can still fail later: the storage maps that `QuotaExceededError` to `QuotaExceeded` too.
 */
export const withQuotaCheck = (
  storage: StoragePort,
  plan: QuotaPlan,
  estimate: () => Promise<StorageEstimate> = () => navigator.storage.estimate(),
): StoragePort => ({
  open: (target) =>
    TE.map((part: PartFile): PartFile => {
      let checked = false;
      const check = async (): Promise<StorageFailure | null> => {
        checked = true;
        if (plan.total === null) return null;
        const size = await part.size()();
        if (size._tag === 'Left') return size.left;
        const needed = plan.total - size.right;
        const { quota, usage } = await estimate().catch(() => ({ quota: undefined, usage: undefined }));
        if (quota === undefined || usage === undefined || needed <= quota - usage) return null;
        return {
          _tag: 'QuotaExceeded',
          message: `${target} needs ${needed} more bytes, the origin has ${Math.max(0, quota - usage)} left`,
        };
      };
      return {
        size: () => part.size(),
        read: (offset, length) => part.read(offset, length),
        truncate: (length) => part.truncate(length),
        flush: () => part.flush(),
        commit: () => part.commit(),
        discard: () => part.discard(),
        close: () => part.close(),
        write: (offset, bytes) => async () => {
          if (!checked) {
            const failure = await check();
            if (failure !== null) return { _tag: 'Left', left: failure };
          }
          return part.write(offset, bytes)();
        },
      };
    })(storage.open(target)),
  remove: (target) => storage.remove(target),
  targetSize: (target) => storage.targetSize(target),
  readTarget: (target, offset, length) => storage.readTarget(target, offset, length),
});
