import type { HeaderMap } from '../ports/HttpPort.js';
import { asciiBytes, concatBytes } from './asciiBytes.js';
import type { ResourceVersion } from './memoryResource.js';
import { parseRangeHeader, type SatisfiableRange } from './rangeHeader.js';

/** A whole answer before it is streamed: what a correct server sends, and what faults then bend. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The single range a 206 carries, for faults that lie about it. */
  readonly range: SatisfiableRange | null;
}

/** The boundary of multipart/byteranges answers. */
export const MULTIPART_BOUNDARY = 'RDL-MEMORY-SERVER-BOUNDARY';

/** The value of request header `name`, whatever the case of its name. */
export const requestHeader = (headers: HeaderMap, name: string): string | undefined => {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
};

const isWeak = (tag: string): boolean => tag.startsWith('W/');

/** RFC 9110 §8.8.3.2 strong comparison: neither weak, same opaque string. */
const strongMatch = (a: string | null, b: string): boolean =>
  a !== null && !isWeak(a) && !isWeak(b) && a === b;

/** If-Match (RFC 9110 §13.1.1): `*` or a list of tags, compared strongly. */
const ifMatchPasses = (value: string, version: ResourceVersion): boolean =>
  value.trim() === '*' ||
  value
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => strongMatch(version.etag, tag));

/** If-Range (RFC 9110 §13.1.5): an entity tag compared strongly, or an HTTP-date equal to Last-Modified. */
const ifRangePasses = (value: string, version: ResourceVersion): boolean => {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || isWeak(trimmed)) return strongMatch(version.etag, trimmed);
  return version.lastModified !== null && trimmed === version.lastModified;
};

/** Validators and the like that every answer about `version` carries. */
export const baseHeaders = (version: ResourceVersion, date: string): Record<string, string> => {
  const headers: Record<string, string> = { date, 'content-type': 'application/octet-stream' };
  if (version.etag !== null) headers.etag = version.etag;
  if (version.lastModified !== null) headers['last-modified'] = version.lastModified;
  headers['accept-ranges'] = version.acceptRanges && version.lengthKnown ? 'bytes' : 'none';
  if (version.contentEncoding !== null) headers['content-encoding'] = version.contentEncoding;
  return headers;
};

/** A multipart/byteranges body (RFC 9110 §14.6) for `ranges` of `bytes`. */
export const multipartBody = (bytes: Uint8Array, ranges: readonly SatisfiableRange[]): Uint8Array =>
  concatBytes([
    ...ranges.flatMap((range) => [
      asciiBytes(
        `--${MULTIPART_BOUNDARY}\r\ncontent-type: application/octet-stream\r\n` +
          `content-range: bytes ${range.first}-${range.last}/${bytes.length}\r\n\r\n`,
      ),
      bytes.slice(range.first, range.last + 1),
      asciiBytes('\r\n'),
    ]),
    asciiBytes(`--${MULTIPART_BOUNDARY}--\r\n`),
  ]);

const withLength = (
  status: number,
  headers: Record<string, string>,
  body: Uint8Array,
  range: SatisfiableRange | null,
  lengthKnown = true,
): Answer => ({
  status,
  headers: lengthKnown ? { ...headers, 'content-length': String(body.length) } : headers,
  body,
  range,
});

/**
 * What a correct RFC 9110 server answers to `method` with `headers` for `version` (`null`: 404): HEAD with the
 * length and validators; If-Match (412 on mismatch); Range with If-Range (a mismatch serves the whole body); 206 with
 * Content-Range, multipart/byteranges for several ranges, 416 with `bytes *\/length`.
 */
export const answerRequest = (
  method: 'HEAD' | 'GET',
  headers: HeaderMap,
  version: ResourceVersion | null,
  date: string,
): Answer => {
  if (version === null)
    return withLength(404, { date }, method === 'HEAD' ? new Uint8Array(0) : asciiBytes('not found'), null);
  const base = baseHeaders(version, date);
  const ifMatch = requestHeader(headers, 'if-match');
  if (ifMatch !== undefined && !ifMatchPasses(ifMatch, version))
    return withLength(412, base, new Uint8Array(0), null);
  const full = version.bytes;
  if (method === 'HEAD') {
    return {
      status: 200,
      headers: version.lengthKnown ? { ...base, 'content-length': String(full.length) } : base,
      body: new Uint8Array(0),
      range: null,
    };
  }
  const range = requestHeader(headers, 'range');
  const ifRange = requestHeader(headers, 'if-range');
  const honoured =
    range !== undefined &&
    version.acceptRanges &&
    version.lengthKnown &&
    (ifRange === undefined || ifRangePasses(ifRange, version));
  const spec = honoured ? parseRangeHeader(range, full.length) : { _tag: 'None' as const };
  switch (spec._tag) {
    case 'None':
      return withLength(200, base, full, null, version.lengthKnown);
    case 'Unsatisfiable':
      return withLength(416, { ...base, 'content-range': `bytes */${full.length}` }, new Uint8Array(0), null);
    case 'Single':
      return withLength(
        206,
        { ...base, 'content-range': `bytes ${spec.first}-${spec.last}/${full.length}` },
        full.slice(spec.first, spec.last + 1),
        { first: spec.first, last: spec.last },
      );
    case 'Multiple':
      return withLength(
        206,
        { ...base, 'content-type': `multipart/byteranges; boundary=${MULTIPART_BOUNDARY}` },
        multipartBody(full, spec.ranges),
        null,
      );
  }
};
