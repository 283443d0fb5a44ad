import * as E from 'fp-ts/lib/Either.js';
import { headerMapOf } from './headerMap.js';

/** A parsed HTTP/1.x response head. */
export interface ResponseHead {
  /** The minor version of `HTTP/1.x`: 0 or 1 (a higher one is read as 1, RFC 9110 §2.5). */
  readonly minorVersion: number;
  readonly status: number;
  /** Names lower-cased; a repeated field joined with `, ` (RFC 9110 §5.3), one of a single value kept once (`headerMapOf`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Bytes a head may take, interim 1xx heads included: a longer one is refused, never buffered without limit. */
export const MAX_HEAD_BYTES = 64 * 1024;

/** What `ResponseHeadParser.feed` made of the bytes it got. */
export type HeadStep =
  /** The head goes on past these bytes. */
  | { readonly _tag: 'More' }
  /** The final head; `end` is the index just past its blank line (the body starts there). */
  | { readonly _tag: 'Head'; readonly head: ResponseHead; readonly end: number }
  | { readonly _tag: 'Invalid'; readonly message: string };

const LF = 0x0a;
/**
 * `line` from `from` on without the spaces and tabs around it (RFC 9110's OWS), in one pass from each end: a pattern
 * for the trailing ones was tried from each space of a run, and a value of 64 KiB of spaces before a last letter
 * took 3.5 s to read.
 */
const withoutOws = (line: string, from: number): string => {
  let start = from;
  let end = line.length;
  while (start < end && (line[start] === ' ' || line[start] === '\t')) start += 1;
  while (end > start && (line[end - 1] === ' ' || line[end - 1] === '\t')) end -= 1;
  return line.slice(start, end);
};

const STATUS_LINE = /^HTTP\/1\.(\d) (\d{3})(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const more: HeadStep = { _tag: 'More' };

/**
 * An incremental parser of one response head (RFC 9112 §4, §5): bytes may come cut anywhere, across any number of
 * `feed` calls. Interim 1xx heads are skipped (100 Continue, 103 Early Hints); 101 is refused, since rdl never asks
 * to switch protocols. Lines end with CRLF or a bare LF (§2.2 lets a recipient accept it). Refused as garbage: a
 * status line that is not `HTTP/1.x NNN`, a status outside 100 to 599 (`statusProblem`), obs-fold (§5.2), a field without a colon or with a space before it,
 * control characters, a head over `MAX_HEAD_BYTES`. The head's bytes are decoded into strings as they come, so
 * the caller may reuse their memory once fed.
 */
export class ResponseHeadParser {
  #line = '';
  #size = 0;
  #status: { minorVersion: number; status: number } | null = null;
  #fields = new Map<string, string[]>();

  /** Parses `bytes[from, to)`, which follow the bytes of the previous call. */
  feed(bytes: Uint8Array, from: number, to: number): HeadStep {
    let at = from;
    while (at < to) {
      const found = bytes.subarray(at, to).indexOf(LF);
      const lineEnd = found < 0 ? to : at + found;
      this.#size += lineEnd - at + (found < 0 ? 0 : 1);
      if (this.#size > MAX_HEAD_BYTES) return invalid(`the response head is over ${MAX_HEAD_BYTES} bytes`);
      this.#line += latin1(bytes, at, lineEnd);
      if (found < 0) return more;
      at = lineEnd + 1;
      const line = this.#line.endsWith('\r') ? this.#line.slice(0, -1) : this.#line;
      this.#line = '';
      const step = this.#takeLine(line);
      if (step === 'final') {
        const headers = headerMapOf(this.#fields);
        if (E.isLeft(headers)) return invalid(headers.left);
        return { _tag: 'Head', head: { ...this.#statusLine(), headers: headers.right }, end: at };
      }
      if (step !== null) return invalid(step);
    }
    return more;
  }

  /** `null` when the line was taken, `'final'` at the end of the final head, else why the line is refused. */
  #takeLine(line: string): string | 'final' | null {
    if (this.#status === null) {
      const match = STATUS_LINE.exec(line);
      if (match === null) return `not an HTTP/1.x status line: ${JSON.stringify(line.slice(0, 80))}`;
      const status = Number(match[2]);
      const refused = statusProblem(status);
      if (refused !== null) return refused;
      this.#status = { minorVersion: Math.min(1, Number(match[1])), status };
      return null;
    }
    if (line === '') {
      const { status } = this.#status;
      if (status === 101) return 'the server switched protocols (101), which rdl never asks for';
      if (status >= 200) return 'final';
      // An interim answer: the real one follows on the same connection.
      this.#status = null;
      this.#fields = new Map();
      return null;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) return 'obsolete line folding in the response head';
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) return `not a header field: ${JSON.stringify(line.slice(0, 80))}`;
    const value = withoutOws(line, colon + 1);
    if (!FIELD_VALUE.test(value)) return `a control character in the value of ${name}`;
    const key = name.toLowerCase();
    const earlier = this.#fields.get(key);
    if (earlier === undefined) this.#fields.set(key, [value]);
    else earlier.push(value);
    return null;
  }

  #statusLine(): { minorVersion: number; status: number } {
    return this.#status ?? { minorVersion: 1, status: 0 };
  }
}

/**
 * Why a status code is refused (R36), or `null`: one outside 100 to 599 is invalid (RFC 9110 §15). Below 100 it
 * is no interim answer either: skipped as one, `000` left the request waiting for a head that never came. RFC 9110
 * lets a client read such a status as a 5xx; rdl refuses it as it refuses a malformed status line, since asking
 * again gets the same answer.
 */
export const statusProblem = (status: number): string | null =>
  Number.isInteger(status) && status >= 100 && status <= 599
    ? null
    : `the status code ${status} is not one of 100 to 599`;

const invalid = (message: string): HeadStep => ({ _tag: 'Invalid', message });

const latin1 = (bytes: Uint8Array, from: number, to: number): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
