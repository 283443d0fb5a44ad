import { DownloadError } from '../model/DownloadError.js';
import { notAnObject, unreadableReason } from '../rules/unreadOptions.js';

/**
 * What `read` takes from an adapter's options, read once (R30): options that are no object, or that `read` cannot
 * read (a getter that throws, a `Proxy`), are bad input, a `DownloadError` for `options` as core's own refusal of
 * them, never a raw `TypeError`. `read` destructures them as it likes: getters of a class and fields of a prototype
 * are read as any field.
 */
export const readOptions = <T extends object, R>(options: T, read: (options: T) => R): R => {
  const refused = (message: string): DownloadError =>
    new DownloadError({ _tag: 'InvalidInput', field: 'options', message });
  if (typeof options !== 'object' || options === null) throw refused(notAnObject(options));
  try {
    return read(options);
  } catch (error) {
    throw refused(unreadableReason(error));
  }
};
