import type { PartFile, StorageFailure, StoragePort } from '@rdl/core';
import * as TE from 'fp-ts/TaskEither';

/**
 * Wraps a `StoragePort` so that its part files answer `ensureRoom` (R40) from `navigator.storage.estimate()`:
 * core asks before each data request with the bytes still to come, so a download that cannot fit fails at once
 * with a typed `QuotaExceeded`, before its GET, rather than after gigabytes. The estimate is the browser's own,
 * rounded and padded, so a write can still fail later: the storage maps that `QuotaExceededError` to
 * `QuotaExceeded` too. A browser that gives no estimate is not second-guessed. `estimate` default: the browser's.
 */
export const withQuotaCheck = (
  storage: StoragePort,
  estimate: () => Promise<StorageEstimate> = () => navigator.storage.estimate(),
): StoragePort => ({
  open: (target) =>
    TE.map(
      (part: PartFile): PartFile => ({
        size: () => part.size(),
        write: (offset, bytes) => part.write(offset, bytes),
        read: (offset, length, into) => part.read(offset, length, into),
        truncate: (length) => part.truncate(length),
        flush: () => part.flush(),
        commit: () => part.commit(),
        discard: () => part.discard(),
        close: () => part.close(),
        ensureRoom: (bytes) => async () => {
          // Asked of a closed part file, it fails as every other call does.
          const size = await part.size()();
          if (size._tag === 'Left') return size;
          const inner = part.ensureRoom === undefined ? null : await part.ensureRoom(bytes)();
          if (inner !== null && inner._tag === 'Left') return inner;
          const { quota, usage } = await estimate().catch(() => ({ quota: undefined, usage: undefined }));
          if (quota === undefined || usage === undefined || bytes <= quota - usage) {
            return { _tag: 'Right', right: undefined };
          }
          const failure: StorageFailure = {
            _tag: 'QuotaExceeded',
            message: `${target} needs ${bytes} more bytes, the origin has ${Math.max(0, quota - usage)} left`,
          };
          return { _tag: 'Left', left: failure };
        },
      }),
    )(storage.open(target)),
  remove: (target) => storage.remove(target),
  targetSize: (target) => storage.targetSize(target),
  readTarget: (target, offset, length) => storage.readTarget(target, offset, length),
});
