import * as E from 'fp-ts/lib/Either.js';
import type { HeaderMap } from '../ports/HttpPort.js';

/** `Range` request header value: `bytes=N-` when `lastByte` is null, else `bytes=N-M` (`lastByte` inclusive). */
export const formatRange = (offset: number, lastByte: number | null): string =>
  lastByte === null ? `bytes=${offset}-` : `bytes=${offset}-${lastByte}`;

/** `Range` request header value for the last `length` bytes: `bytes=-N`. */
export const formatSuffixRange = (length: number): string => `bytes=-${length}`;

/** A parsed `Content-Range` (RFC 9110 §14.4). `last` is inclusive; `total` is `null` for `a-b/*`. */
export type ContentRange =
  | {
      readonly _tag: 'Satisfied';
      readonly first: number;
      readonly last: number;
      readonly total: number | null;
    }
  | { readonly _tag: 'Unsatisfied'; readonly total: number };

const SATISFIED = /^bytes +(\d+)-(\d+)\/(\d+|\*)$/i;
const UNSATISFIED = /^bytes +\*\/(\d+)$/i;

const toSafeInteger = (digits: string): number | null => {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
};

/**
 * Parses a `Content-Range` response header (R8). Missing, malformed, several values (a header sent twice arrives
 * joined with `, `), numbers past 2^53, `last < first` and `last >= total` are all `Left` with a reason.
 */
export const parseContentRange = (value: string | undefined): E.Either<string, ContentRange> => {
  if (value === undefined) return E.left('missing Content-Range');
  const text = value.trim();
  const unsatisfied = UNSATISFIED.exec(text);
  if (unsatisfied !== null) {
    const total = toSafeInteger(unsatisfied[1]!);
    return total === null
      ? E.left(`Content-Range total too large: ${text}`)
      : E.right({ _tag: 'Unsatisfied', total });
  }
  const satisfied = SATISFIED.exec(text);
  if (satisfied === null) return E.left(`malformed Content-Range: ${JSON.stringify(value)}`);
  const first = toSafeInteger(satisfied[1]!);
  const last = toSafeInteger(satisfied[2]!);
  const total = satisfied[3] === '*' ? null : toSafeInteger(satisfied[3]!);
  if (first === null || last === null || (satisfied[3] !== '*' && total === null)) {
    return E.left(`Content-Range number too large: ${text}`);
  }
  if (last < first) return E.left(`Content-Range last byte before first: ${text}`);
  if (total !== null && last >= total) return E.left(`Content-Range last byte past the total: ${text}`);
  return E.right({ _tag: 'Satisfied', first, last, total });
};

/** Parses a `Content-Length` header: a safe non-negative integer, else `null`. */
export const parseContentLength = (value: string | undefined): number | null => {
  if (value === undefined) return null;
  const text = value.trim();
  return /^\d+$/.test(text) ? toSafeInteger(text) : null;
};

/**
 * The length of the body an answer declares: its `Content-Length`, unless it has a `Transfer-Encoding`, whose framing
 * overrides it (RFC 9112 §6.1: the recipient must then ignore the length, R36). `null` when there is none, or an
 * invalid one. Adapters already drop such a length; core does not rely on it.
 */
export const declaredLength = (headers: HeaderMap): number | null =>
  headers['transfer-encoding'] === undefined ? parseContentLength(headers['content-length']) : null;
