import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, type ResponseHead } from '../src/http1/responseHead.js';
import { ResponseParser } from '../src/http1/responseParser.js';

/** A response as a server would put it on the wire, and what a client must read from it. */
interface Wire {
  readonly bytes: Uint8Array;
  readonly method: 'GET' | 'HEAD';
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  /** Where the message ends in `bytes` when its framing says so (`null`: it runs until close). */
  readonly end: number | null;
}

/** What reading a wire gave, the way `Connection` reads: each piece written at the parser's `keep`. */
interface Reading {
  head: ResponseHead | null;
  views: Uint8Array[];
  /** A copy of each view taken when it was handed out. */
  copies: Uint8Array[];
  complete: boolean;
  trailing: boolean;
  /** Pieces left unread after the response was complete. */
  piecesAfter: number;
  failure: string | null;
  /** What `end()` said at the close, when the pieces ran out before the response was complete. */
  endFailure: string | null;
  slot: Uint8Array;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const concat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Cuts `bytes` at `points` (any values; taken modulo the length). */
const cut = (bytes: Uint8Array, points: readonly number[]): Uint8Array[] => {
  const at = [...new Set(points.map((p) => (bytes.length === 0 ? 0 : p % bytes.length)))]
    .filter((p) => p > 0)
    .sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of [...at, bytes.length]) {
    if (point > from) pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces;
};

/** Reads `pieces` into one slot as `Connection` does: each read lands at `keep`, the body is a view of the slot. */
const read = (method: 'GET' | 'HEAD', pieces: readonly Uint8Array[]): Reading => {
  const slot = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0) + 16);
  const parser = new ResponseParser(method);
  const reading: Reading = {
    head: null,
    views: [],
    copies: [],
    complete: false,
    trailing: false,
    piecesAfter: 0,
    failure: null,
    endFailure: null,
    slot,
  };
  let fill = 0;
  for (const [index, piece] of pieces.entries()) {
    slot.set(piece, fill);
    const step = parser.receive(slot, fill, fill + piece.length);
    fill = step.keep;
    reading.head ??= step.head;
    if (step.bodyTo > step.bodyFrom) {
      const view = slot.subarray(step.bodyFrom, step.bodyTo);
      reading.views.push(view);
      reading.copies.push(view.slice());
    }
    reading.failure = step.failure;
    if (step.failure !== null) return reading;
    if (step.complete) {
      reading.complete = true;
      reading.trailing = step.trailing;
      reading.piecesAfter = pieces.length - index - 1;
      return reading;
    }
  }
  reading.endFailure = parser.end();
  reading.complete = reading.endFailure === null;
  return reading;
};

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
/** A field value as a server sends it: visible characters, inner spaces and tabs, obs-text; no OWS at the ends. */
const fieldValue = fc
  .string({
    unit: fc.oneof(
      fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.constantFrom(' ', '\t', 'é', 'ÿ'),
    ),
    maxLength: 24,
  })
  .map((value) => value.replace(/^[\t ]+|[\t ]+$/g, ''));
const framingNames = new Set(['content-length', 'transfer-encoding', 'connection']);
/** Names from a small set too, in any letter case, so that repeated fields are common. */
const fieldName = fc.oneof(
  token.filter((n) => !framingNames.has(n.toLowerCase())),
  fc.constantFrom('X-Twice', 'x-twice', 'Set-Cookie', 'ETag'),
);
/** An ETag sent again has the value of its first line: a field of one value with another is refused (R36). */
const fields = fc.array(fc.record({ name: fieldName, value: fieldValue }), { maxLength: 8 }).map((list) => {
  const etag = list.find(({ name }) => name === 'ETag')?.value;
  return list.map((field) =>
    field.name === 'ETag' && etag !== undefined ? { ...field, value: etag } : field,
  );
});
const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n');

const headLines = (
  status: number,
  minor: number,
  list: readonly { name: string; value: string }[],
  ends: string,
): string => {
  let text = `HTTP/1.${minor} ${status} Some Reason${ends}`;
  for (const { name, value } of list) text += `${name}:${value.length % 2 === 0 ? ' ' : ''}${value}${ends}`;
  return text;
};

/** The fields a client must see: names lower-cased, repeats joined with `, `, but an ETag's, which counts once. */
const expectedFields = (list: readonly { name: string; value: string }[]): Record<string, string> => {
  const map = new Map<string, string>();
  for (const { name, value } of list) {
    const key = name.toLowerCase();
    const earlier = map.get(key);
    map.set(key, earlier === undefined || key === 'etag' ? value : `${earlier}, ${value}`);
  }
  return Object.fromEntries(map);
};

const chunkExtension = fc.constantFrom('', ';a', ';a=b', ' ;name="quoted;value"', '\t; x = 1');
const hexOf = fc.record({ upper: fc.boolean(), zeros: fc.integer({ min: 0, max: 20 }) });

/** The chunked coding of `body`, cut into chunks at `sizes`, with extensions and trailers. */
const chunkedWire = fc
  .record({
    body: fc.uint8Array({ maxLength: 3000 }),
    sizes: fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 12 }),
    extensions: fc.array(chunkExtension, { minLength: 13, maxLength: 13 }),
    hex: hexOf,
    trailers: fields,
    ends: eol,
  })
  .map(({ body, sizes, extensions, hex, trailers, ends }) => {
    const parts: Uint8Array[] = [];
    const size = (n: number): string => {
      const digits = '0'.repeat(hex.zeros) + n.toString(16);
      return hex.upper ? digits.toUpperCase() : digits;
    };
    let at = 0;
    let index = 0;
    while (at < body.length) {
      const length = Math.min(body.length - at, sizes[index % Math.max(1, sizes.length)] ?? body.length);
      parts.push(ascii(`${size(length)}${extensions[index % 13]}${ends}`), body.subarray(at, at + length));
      parts.push(ascii(ends));
      at += length;
      index += 1;
    }
    let last = `0${extensions[12]}${ends}`;
    for (const { name, value } of trailers) last += `${name}: ${value}${ends}`;
    parts.push(ascii(`${last}${ends}`));
    return { body, coded: concat(parts) };
  });

const wire: fc.Arbitrary<Wire> = fc
  .record({
    method: fc.constantFrom<'GET' | 'HEAD'>('GET', 'GET', 'GET', 'HEAD'),
    status: fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constantFrom(200, 204, 206, 304)),
    minor: fc.constantFrom(0, 1, 1),
    list: fields,
    interim: fc.array(fc.record({ status: fc.constantFrom(100, 102, 103), list: fields }), { maxLength: 2 }),
    framing: fc.constantFrom('length', 'chunked', 'close'),
    repeatLength: fc.boolean(),
    plain: fc.uint8Array({ maxLength: 3000 }),
    chunked: chunkedWire,
    ends: eol,
  })
  .map((w): Wire => {
    const noBody = w.method === 'HEAD' || w.status === 204 || w.status === 304;
    const framing = noBody && w.framing === 'close' ? 'length' : w.framing;
    const body = framing === 'chunked' ? w.chunked.body : w.plain;
    const headers = expectedFields(w.list);
    let framingLines = '';
    if (framing === 'length') {
      const length = String(body.length);
      framingLines = `Content-Length: ${w.repeatLength ? `${length}, ${length}` : length}${w.ends}`;
      headers['content-length'] = w.repeatLength ? `${length}, ${length}` : length;
    } else if (framing === 'chunked') {
      framingLines = `Transfer-Encoding: chunked${w.ends}`;
      headers['transfer-encoding'] = 'chunked';
    }
    let head = '';
    for (const interim of w.interim) head += `${headLines(interim.status, 1, interim.list, w.ends)}${w.ends}`;
    // Transfer-Encoding is HTTP/1.1's: an HTTP/1.0 answer with it is refused (R36).
    const minor = framing === 'chunked' ? 1 : w.minor;
    head += `${headLines(w.status, minor, w.list, w.ends)}${framingLines}${w.ends}`;
    const payload = noBody ? new Uint8Array(0) : framing === 'chunked' ? w.chunked.coded : body;
    const bytes = concat([ascii(head), payload]);
    return {
      bytes,
      method: w.method,
      status: w.status,
      headers,
      body: noBody ? new Uint8Array(0) : body,
      end: framing === 'close' && !noBody ? null : bytes.length,
    };
  });

const points = fc.array(fc.nat(), { maxLength: 40 });

const bodyOf = (reading: Reading): Uint8Array => concat(reading.views);

/** Each view is of the slot, the next one starts where it ended, and it still holds what it held when handed out. */
const expectViewsOfTheSlot = (reading: Reading): void => {
  for (const [index, view] of reading.views.entries()) {
    expect(view.buffer).toBe(reading.slot.buffer);
    expect(Buffer.from(view).equals(Buffer.from(reading.copies[index] as Uint8Array))).toBe(true);
    const previous = reading.views[index - 1];
    if (previous !== undefined) expect(view.byteOffset).toBe(previous.byteOffset + previous.byteLength);
  }
};

describe('ResponseParser (RFC 9112 framing, cut at any read boundary)', () => {
  it('any valid response parses to the same head and body, wherever the reads cut it', () => {
    fc.assert(
      fc.property(wire, points, (w, at) => {
        const reading = read(w.method, cut(w.bytes, at));
        expect(reading.failure).toBeNull();
        expect(reading.head?.status).toBe(w.status);
        expect(reading.head?.headers).toEqual(w.headers);
        expect(reading.complete).toBe(true);
        expect(Buffer.from(bodyOf(reading)).equals(Buffer.from(w.body))).toBe(true);
        expectViewsOfTheSlot(reading);
      }),
      { numRuns: 400 },
    );
  });

  it('chunked decoding yields views into the bytes read (decoded in place, no copy), adjacent to each other', () => {
    fc.assert(
      fc.property(chunkedWire, points, ({ body, coded }, at) => {
        const head = ascii('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        const reading = read('GET', cut(concat([head, coded]), at));
        expect(reading.complete).toBe(true);
        expect(Buffer.from(bodyOf(reading)).equals(Buffer.from(body))).toBe(true);
        expectViewsOfTheSlot(reading);
      }),
      { numRuns: 300 },
    );
  });

  it('bytes past the framed end are never body, and say the connection cannot be reused', () => {
    fc.assert(
      fc.property(
        wire.filter((w) => w.end !== null),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        points,
        (w, extra, at) => {
          const reading = read(w.method, cut(concat([w.bytes, extra]), at));
          expect(reading.complete).toBe(true);
          expect(Buffer.from(bodyOf(reading)).equals(Buffer.from(w.body))).toBe(true);
          // The extra bytes came in the read that completed the response, or in a later one.
          expect(reading.trailing || reading.piecesAfter > 0).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a response cut before its framed end is incomplete at the close, and its body is a true prefix', () => {
    fc.assert(
      fc.property(
        wire.filter((w) => w.end !== null && w.bytes.length > 0),
        fc.nat(),
        points,
        (w, length, at) => {
          const truncated = w.bytes.subarray(0, length % (w.end as number));
          const reading = read(w.method, cut(truncated, at));
          expect(reading.complete).toBe(false);
          expect(reading.failure ?? reading.endFailure).not.toBeNull();
          const received = bodyOf(reading);
          expect(received.length).toBeLessThanOrEqual(w.body.length);
          expect(Buffer.from(received).equals(Buffer.from(w.body.subarray(0, received.length)))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a garbage chunk size fails the body after the chunks before it, never yielding a byte past them', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.constantFrom('g', 'x1', '-1', ' ', '1 2', '\x00', '0x10', '12345678901234', '0'.repeat(70_000)),
        points,
        (body, size, garbage, at) => {
          const first = body.subarray(0, Math.min(size, body.length));
          const coded = ascii(
            `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${first.length.toString(16)}\r\n`,
          );
          const wireBytes = concat([coded, first, ascii(`\r\n${garbage}\r\n`), body, ascii('\r\n0\r\n\r\n')]);
          const reading = read('GET', cut(wireBytes, at));
          expect(reading.failure).not.toBeNull();
          expect(Buffer.from(bodyOf(reading)).equals(Buffer.from(first))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a size zero-padded on every line (`00000100`) decodes however many chunks come; padding is bounded a line', () => {
    const chunk = new Uint8Array(256).fill(0x61);
    const parts = [ascii('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')];
    for (let i = 0; i < 20_000; i += 1) parts.push(ascii('00000100\r\n'), chunk, ascii('\r\n'));
    parts.push(ascii('0000\r\n\r\n'));
    const reading = read('GET', [concat(parts)]);
    expect(reading.failure).toBeNull();
    expect(reading.complete).toBe(true);
    expect(bodyOf(reading).length).toBe(20_000 * 256);
    const endless = read('GET', [
      ascii(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'0'.repeat(70_000)}1\r\na\r\n0\r\n\r\n`),
    ]);
    expect(endless.failure).toBe('a chunk size with more than 64 KiB of leading zeros');
  });

  it('R36: an extension on every chunk (S3’s `;chunk-signature=`) decodes however many chunks come; extensions are bounded a line, trailers in all', () => {
    const chunk = new Uint8Array(256).fill(0x61);
    const signature = `;chunk-signature=${'a'.repeat(64)}`;
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    const parts = [ascii(head)];
    // 81 bytes of extension a chunk, 160 KiB in all: over any bound of a whole message.
    for (let i = 0; i < 2_000; i += 1) parts.push(ascii(`100${signature}\r\n`), chunk, ascii('\r\n'));
    parts.push(ascii(`0${signature}\r\nx-checksum: 1\r\n\r\n`));
    const reading = read('GET', [concat(parts)]);
    expect(reading.failure).toBeNull();
    expect(reading.complete).toBe(true);
    expect(bodyOf(reading).length).toBe(2_000 * 256);
    const endlessExtension = read('GET', [ascii(`${head}1;${'x'.repeat(70_000)}\r\na\r\n0\r\n\r\n`)]);
    expect(endlessExtension.failure).toBe('a chunk extension over 64 KiB');
    // Trailer lines each short, many of them: the section is bounded, not each line.
    const endlessTrailers = read('GET', [ascii(`${head}1\r\na\r\n0\r\n${'x-t: y\r\n'.repeat(10_000)}\r\n`)]);
    expect(endlessTrailers.failure).toBe('trailer fields over 64 KiB');
    expect(bodyOf(endlessTrailers).length).toBe(1);
  });

  it('garbage before a head never gives a head or a byte of body', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }).filter((bytes) => bytes[0] !== 0x48),
        points,
        (garbage, at) => {
          const reading = read('GET', cut(concat([garbage, ascii('\r\n\r\nHTTP/1.1 200 OK\r\n\r\n')]), at));
          expect(reading.head).toBeNull();
          expect(reading.views).toEqual([]);
          expect(reading.complete).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('R36: a field value loses the spaces and tabs around it (OWS), however many, and keeps those inside it', () => {
    const ows = fc.stringMatching(/^[ \t]{0,40}$/);
    const inner = fc.stringMatching(/^[!-~]([ \t!-~]{0,20}[!-~])?$/);
    fc.assert(
      fc.property(ows, inner, ows, points, (before, value, after, at) => {
        const wire = ascii(
          `HTTP/1.1 200 OK\r\nX-Value:${before}${value}${after}\r\nContent-Length: 0\r\n\r\n`,
        );
        expect(read('GET', cut(wire, at)).head?.headers['x-value']).toBe(value);
      }),
      { numRuns: 300 },
    );
    // A value of spaces to the head's limit around two letters: read in one pass from each end (a pattern for the
    // trailing spaces, tried from each of them, took 3.5 s for this head).
    const spaces = ' '.repeat(Math.floor((MAX_HEAD_BYTES - 64) / 3));
    const wide = ascii(`HTTP/1.1 200 OK\r\nX-Value:${spaces}a${spaces}b${spaces}\r\n\r\n`);
    expect(wide.length).toBeLessThanOrEqual(MAX_HEAD_BYTES);
    expect(read('GET', [wide]).head?.headers['x-value']).toBe(`a${spaces}b`);
  });

  it('R36: a malformed head is refused, however it is cut', () => {
    const heads = [
      'HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\nx-a : 1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nx-a: 1\r2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 12, 13\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`,
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n',
      'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      'HTTP/1.1 200 OK\r\nx-a: a\x00b\r\n\r\n',
      'HTTP/1.1 302 Found\r\nLocation: /a\r\nlocation: /b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nETag: "e1"\r\nETag: "e2"\r\n\r\n',
      `${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(10_000)}HTTP/1.1 200 OK\r\n\r\n`,
    ];
    fc.assert(
      fc.property(fc.constantFrom(...heads), points, (head, at) => {
        const reading = read('GET', cut(ascii(`${head}body`), at));
        expect(reading.failure).not.toBeNull();
        expect(reading.views).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ResponseParser: Transfer-Encoding (R36)', () => {
  const coding = fc.constantFrom('chunked', 'gzip', 'deflate', 'identity', 'compress', 'x-rdl', 'br');
  it('R36: a Transfer-Encoding other than one chunked is refused with no byte of body, however it is cut', () => {
    fc.assert(
      fc.property(
        fc.array(coding, { minLength: 1, maxLength: 4 }).filter((list) => list.join() !== 'chunked'),
        fc.boolean(),
        chunkedWire,
        points,
        (codings, withLength, { coded }, at) => {
          const length = withLength ? `Content-Length: ${coded.length}\r\n` : '';
          const head = ascii(`HTTP/1.1 200 OK\r\n${length}Transfer-Encoding: ${codings.join(', ')}\r\n\r\n`);
          const reading = read('GET', cut(concat([head, coded]), at));
          expect(reading.failure).toMatch(/^Transfer-Encoding .*: only a single chunked is accepted$/);
          expect(reading.views).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
