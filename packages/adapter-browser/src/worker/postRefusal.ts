import type { DownloadFailure } from '@rdl/core';

/** The first own field of `options` that structured clone cannot copy or read, or `null` when none is (a `Proxy`). */
const unclonableField = (options: unknown): string | null => {
  if (typeof options !== 'object' || options === null) return null;
  try {
    for (const key of Object.keys(options)) {
      try {
        structuredClone((options as Record<string, unknown>)[key]);
      } catch {
        return key;
      }
    }
  } catch {
    // A `Proxy` whose keys cannot be listed: the options themselves are named.
  }
  return null;
};

/** One line of what was thrown, whatever it was (a thrown `{ toString: 0 }` too). */
export const errorLine = (error: unknown): string =>
  (error instanceof Error ? error.message : typeof error === 'string' ? error : 'not an Error').split(
    '\n',
  )[0] ?? '';

/**
 * Why `options` could not be posted to the `worker` worker (R30): `InvalidInput` naming the first field structured
 * clone cannot copy (a function, a `Headers`, a `Proxy`) or read (a getter that throws), else `options`, with the
 * browser's reason. What `createQueue().add` and the worker's `createDownload` answer when the post throws: nothing
 * was sent.
 */
export const postRefusal = (
  options: unknown,
  error: unknown,
  worker: 'download' | 'queue',
): DownloadFailure => ({
  _tag: 'InvalidInput',
  field: unclonableField(options) ?? 'options',
  message: `cannot reach the ${worker} worker: ${errorLine(error)}`,
});
