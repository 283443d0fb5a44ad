import { lutimes } from 'node:fs/promises';

/** RFC 9110 §5.6.7's IMF-fixdate, the one form a server must send: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** The time of a `Last-Modified` in ms, or `null` for none or one that is not a valid IMF-fixdate (ignored). */
export const remoteTimeOf = (lastModified: string | null): number | null => {
  if (lastModified === null || !IMF_FIXDATE.test(lastModified.trim())) return null;
  const ms = Date.parse(lastModified);
  return Number.isFinite(ms) ? ms : null;
};

/**
 * `-R`: gives the finished file (renamed and verified: only `result` says so) the access and modification times of
 * `Last-Modified`, as curl's `--remote-time` does. A missing or bad date changes nothing, and so does a file that
 * refuses new times (a file system without them): the file is whole either way. Resolves whether it did.
 */
export const applyRemoteTime = async (target: string, lastModified: string | null): Promise<boolean> => {
  const ms = remoteTimeOf(lastModified);
  if (ms === null) return false;
  const time = new Date(ms);
  // Never through a link planted at the name since the rename.
  return lutimes(target, time, time).then(
    () => true,
    () => false,
  );
};
