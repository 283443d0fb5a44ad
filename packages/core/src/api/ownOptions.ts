import { DownloadError } from '../model/DownloadError.js';
import { notAnObject, unreadableReason } from '../rules/unreadOptions.js';

/**
 * A shallow copy of an adapter's queue options, read once (R30): options that are no object or cannot be read (a
 * getter that throws, a `Proxy`) are bad input, a `DownloadError` for `options` as core's own refusal of them,
 * never a raw `TypeError`.
 */
export const ownOptions = <T extends object>(options: T): T => {
  const refused = (message: string): DownloadError =>
    new DownloadError({ _tag: 'InvalidInput', field: 'options', message });
  if (typeof options !== 'object' || options === null) throw refused(notAnObject(options));
  try {
    return { ...options };
  } catch (error) {
    throw refused(unreadableReason(error));
  }
};
