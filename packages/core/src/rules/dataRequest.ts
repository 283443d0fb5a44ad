import type { Checkpoint } from '../model/checkpoint.js';
import type { RangeRequest } from '../model/decision.js';
import type { HeaderMap } from '../ports/HttpPort.js';
import { formatRange } from './contentRange.js';
import { strongEtag, strongLastModified } from './validators.js';

/** Headers core sets itself: a caller's copy of them, in any letter case, is dropped so it cannot contradict them. */
export const OWNED_HEADERS: ReadonlySet<string> = new Set([
  'accept-encoding',
  'range',
  'if-range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
]);

/**
 * Headers rdl must own: the range and its conditions are how it resumes (R6), `accept-encoding: identity` keeps
 * byte offsets true (R5), the framing and connection fields are the transport's, and `proxy-authorization` would
 * go to the origin. A caller's `headers` (or `-H`) naming one, in any letter case, are refused (R30), not sent: a
 * `Content-Length` or `Transfer-Encoding` of its own would desync the connection.
 */
export const RESERVED_HEADERS: Readonly<Record<string, string>> = {
  range: 'it asks for the bytes it needs itself (R6)',
  'if-range': 'it sends the resume conditions itself (R6)',
  'if-match': 'it sends the resume conditions itself (R6)',
  'if-none-match': 'a condition of its own would break a resume (R6)',
  'if-modified-since': 'a condition of its own would break a resume (R6)',
  'if-unmodified-since': 'it sends the resume conditions itself (R6)',
  'accept-encoding': 'it asks for identity, so that byte offsets are the file’s (R5)',
  host: 'it comes from the URL',
  'content-length': 'rdl sends no body',
  'transfer-encoding': 'rdl sends no body',
  te: 'the transport owns the framing',
  trailer: 'the transport owns the framing',
  connection: 'the transport owns its connections',
  'keep-alive': 'the transport owns its connections',
  'proxy-connection': 'the transport owns its connections',
  upgrade: 'the transport owns its connections',
  expect: 'rdl sends no body',
  'proxy-authorization': 'it would go to the origin server',
};

/** The caller's headers without those core owns, plus `accept-encoding: identity` (R5). */
export const baseRequestHeaders = (extraHeaders: HeaderMap): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(extraHeaders)) {
    if (!OWNED_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  headers['accept-encoding'] = 'identity';
  return headers;
};

/**
 * The headers of a data GET, and the request as `classifyResponse` will judge its answer.
 *
 * - Always `accept-encoding: identity` (R5).
 * - Offset 0 with `lastByte` null: no `Range`, a plain GET.
 * - Otherwise `Range: bytes=N-` or `bytes=N-M`, and with `conditional` (R6):
 *   a resume sends `If-Range` with the strong ETag, else the strong `Last-Modified`;
 *   a `segment` sends `If-Match` with the strong ETag, else `If-Unmodified-Since` with the strong date (both answer
 *   412 on a change; `condition` says `'if-match'` for either).
 *   A weak ETag or weak date is never sent (R2, R3): with no strong validator no condition is sent.
 * - `conditional: false` (CORS without preflight) or no strong validator: `condition: 'none'`, and
 *   `classifyResponse` compares the answer's validators itself before a byte is written.
 */
export const buildDataRequest = (input: {
  readonly offset: number;
  readonly lastByte: number | null;
  readonly checkpoint: Checkpoint;
  readonly conditional: boolean;
  readonly segment: boolean;
  readonly extraHeaders: HeaderMap;
}): { readonly headers: Record<string, string>; readonly range: RangeRequest } => {
  const headers = baseRequestHeaders(input.extraHeaders);
  const ranged = input.offset > 0 || input.lastByte !== null;
  if (!ranged) return { headers, range: { offset: 0, lastByte: null, ranged: false, condition: 'none' } };
  headers.range = formatRange(input.offset, input.lastByte);
  const etag = strongEtag(input.checkpoint.validators);
  const date = strongLastModified(input.checkpoint.validators);
  let condition: RangeRequest['condition'] = 'none';
  if (input.conditional && input.segment) {
    if (etag !== null) headers['if-match'] = etag;
    else if (date !== null) headers['if-unmodified-since'] = date;
    if (etag !== null || date !== null) condition = 'if-match';
  } else if (input.conditional) {
    const validator = etag ?? date;
    if (validator !== null) {
      headers['if-range'] = validator;
      condition = 'if-range';
    }
  }
  return { headers, range: { offset: input.offset, lastByte: input.lastByte, ranged, condition } };
};
