import { asciiBytes, concatBytes } from './asciiBytes.js';
import type { ContentRangeLie, Fault } from './faults.js';
import { type Answer, baseHeaders, MULTIPART_BOUNDARY, multipartBody } from './httpAnswer.js';
import type { ResourceVersion } from './memoryResource.js';

const withoutHeader = (headers: Readonly<Record<string, string>>, name: string): Record<string, string> => {
  const { [name]: _, ...rest } = headers;
  return rest;
};

const statusAnswer = (
  f: Extract<Fault, { _tag: 'Status' }>,
  method: 'HEAD' | 'GET',
  version: ResourceVersion | null,
  date: string,
): Answer => {
  const body = method === 'HEAD' ? new Uint8Array(0) : asciiBytes(`status ${f.status}`);
  const headers: Record<string, string> = version === null ? { date } : baseHeaders(version, date);
  if (f.status === 416 && version !== null) headers['content-range'] = `bytes */${version.bytes.length}`;
  if (f.retryAfter !== null) headers['retry-after'] = f.retryAfter;
  return {
    status: f.status,
    headers: { ...headers, ...f.headers, 'content-length': String(body.length) },
    body,
    range: null,
  };
};

const lie = (answer: Answer, how: ContentRangeLie, bytes: Uint8Array): Answer => {
  const { range } = answer;
  if (answer.status !== 206 || range === null) return answer;
  const { first, last } = range;
  const total = bytes.length;
  const header = (value: string): Answer => ({
    ...answer,
    headers: { ...answer.headers, 'content-range': value },
  });
  switch (how) {
    case 'wrongStart': {
      const start = first > 0 ? first - 1 : Math.min(first + 1, last);
      const body = bytes.slice(start, last + 1);
      return {
        status: 206,
        headers: {
          ...answer.headers,
          'content-range': `bytes ${start}-${last}/${total}`,
          'content-length': String(body.length),
        },
        body,
        range: { first: start, last },
      };
    }
    case 'wrongTotal':
      return header(`bytes ${first}-${last}/${total + 1}`);
    case 'reversed':
      return header(`bytes ${last + 1}-${first}/${total}`);
    case 'pastTotal':
      return header(`bytes ${first}-${total}/${total}`);
    case 'malformed':
      return header(`bytes=${first}-${last}/${total}`);
    case 'missing':
      return { ...answer, headers: withoutHeader(answer.headers, 'content-range') };
  }
};

/** The answer after `f`; faults that act before the answer or on the stream leave it unchanged. */
const bend = (
  answer: Answer,
  f: Fault,
  method: 'HEAD' | 'GET',
  version: ResourceVersion | null,
  date: string,
): Answer => {
  const bytes = version?.bytes ?? new Uint8Array(0);
  switch (f._tag) {
    case 'Status':
      return statusAnswer(f, method, version, date);
    case 'LieContentRange':
      return lie(answer, f.lie, bytes);
    case 'Multipart': {
      if (answer.status !== 206 || answer.range === null) return answer;
      const body = multipartBody(bytes, [answer.range]);
      const headers = withoutHeader(answer.headers, 'content-range');
      headers['content-type'] = `multipart/byteranges; boundary=${MULTIPART_BOUNDARY}`;
      headers['content-length'] = String(body.length);
      return { ...answer, headers, body };
    }
    case 'ShortBody':
      return { ...answer, body: answer.body.slice(0, Math.max(0, answer.body.length - f.missing)) };
    case 'LongBody': {
      const from = (answer.range?.last ?? bytes.length - 1) + 1;
      const extra = new Uint8Array(f.extra).fill(0xee);
      extra.set(bytes.subarray(from, from + f.extra));
      return { ...answer, body: concatBytes([answer.body, extra]) };
    }
    case 'WeakEtag': {
      const etag = answer.headers.etag;
      if (etag === undefined || etag.startsWith('W/')) return answer;
      return { ...answer, headers: { ...answer.headers, etag: `W/${etag}` } };
    }
    case 'NoEtag':
      return { ...answer, headers: withoutHeader(answer.headers, 'etag') };
    case 'SetHeaders': {
      const headers: Record<string, string> = { ...answer.headers };
      for (const [name, value] of Object.entries(f.headers)) {
        if (value === null) delete headers[name.toLowerCase()];
        else headers[name.toLowerCase()] = value;
      }
      return { ...answer, headers };
    }
    case 'Redirect':
      return {
        status: f.status,
        headers: { date, location: f.location, 'content-length': '0' },
        body: new Uint8Array(0),
        range: null,
      };
    default:
      return answer;
  }
};

/** Applies every answer-level fault of `faults` to a correct answer, in order. */
export const bentAnswer = (
  answer: Answer,
  faults: readonly Fault[],
  method: 'HEAD' | 'GET',
  version: ResourceVersion | null,
  date: string,
): Answer => {
  const bent = faults.reduce((current, f) => bend(current, f, method, version, date), answer);
  return method === 'HEAD' ? { ...bent, body: new Uint8Array(0) } : bent;
};
