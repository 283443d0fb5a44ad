import { parseUrl } from '../model/url.js';
import { redactSignatures } from './signedUrl.js';
import { withoutUserinfo } from './urlCredentials.js';

/**
 * How the URL of a checkpoint relates to the URL a start is asked to fetch (R22):
 * - `same`: equal once the userinfo, the fragment (never sent) and the values of secret query parameters (a
 *   signature, a credential, a session token: `SECRET_PARAMS`) are left out. Those authorise a request, they do not
 *   choose what it fetches.
 * - `query`: the scheme, host, port and path are the same, the rest of the query is not (a URL signed again carries
 *   a new date and expiry). It may name another object (`?file=a`, `?file=b`): only a strong ETag proves it does
 *   not (planStart).
 * - `other`: another scheme, host, port or path, or a URL that does not parse and is not the same text.
 */
export type UrlRelation = 'same' | 'query' | 'other';

/**
 * The URL as a checkpoint keeps it: without its userinfo and with its secret query parameters redacted, so that
 * neither a password nor a signature is ever written to disk in clear (R37). `compareCheckpointUrl` of the stored
 * form and the URL it came from is `same`.
 */
export const storedUrl = (url: string): string => redactSignatures(withoutUserinfo(url));

const comparable = (url: string): string | null => {
  const parsed = parseUrl(storedUrl(url));
  if (parsed === null) return null;
  parsed.hash = '';
  return parsed.href;
};

/** R22: how a checkpoint's URL (`saved`) relates to the URL a start fetches (`given`). Pure and symmetric. */
export const compareCheckpointUrl = (saved: string, given: string): UrlRelation => {
  const a = comparable(saved);
  const b = comparable(given);
  if (a === null || b === null) return storedUrl(saved) === storedUrl(given) ? 'same' : 'other';
  if (a === b) return 'same';
  const pa = parseUrl(a);
  const pb = parseUrl(b);
  if (pa === null || pb === null) return 'other';
  const place = (p: NonNullable<typeof pa>): string => `${p.protocol}//${p.hostname}:${p.port}${p.pathname}`;
  return place(pa) === place(pb) ? 'query' : 'other';
};
