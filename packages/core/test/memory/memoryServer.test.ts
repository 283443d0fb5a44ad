import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import { ManualClock, settle } from '../../src/memory/ManualClock.js';
import { MemoryServer, type MemoryServerOptions } from '../../src/memory/MemoryServer.js';
import { createAbortHandle } from '../../src/ports/abort.js';
import type { HttpResponse } from '../../src/ports/HttpPort.js';

const URL_A = 'https://files.example/a.bin';
const content = (length: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);
const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

const setup = (length = 100_000, options: MemoryServerOptions = {}) => {
  const server = new MemoryServer({ chunkSize: 1000, ...options });
  const version = server.publish(URL_A, content(length));
  const send = async (
    method: 'HEAD' | 'GET',
    headers: Record<string, string> = {},
    url = URL_A,
    abort = createAbortHandle(),
  ): Promise<HttpResponse> => {
    const result = await server.request({ method, url, headers, signal: abort.signal })();
    if (E.isLeft(result)) return expect.fail(`Left ${JSON.stringify(result.left)}`);
    return result.right;
  };
  return { server, version, send, bytes: content(length) };
};

const collect = async (response: HttpResponse): Promise<{ bytes: Uint8Array; chunks: number }> => {
  const parts: Uint8Array[] = [];
  for await (const chunk of response.body) parts.push(chunk);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, chunks: parts.length };
};

const bodyError = async (response: HttpResponse): Promise<{ error: unknown; received: number }> => {
  let received = 0;
  try {
    for await (const chunk of response.body) received += chunk.length;
  } catch (error) {
    return { error, received };
  }
  return expect.fail('the body ended without an error');
};

describe('MemoryServer as a correct RFC 9110 server', () => {
  it('R16: HEAD gives length, Accept-Ranges, validators and Date, and no body', async () => {
    const { send, version } = setup(5000);
    const response = await send('HEAD');
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe('5000');
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers.etag).toBe(version.etag);
    expect(response.headers['last-modified']).toBe(version.lastModified);
    expect(response.headers.date).toBe('Mon, 01 Jan 2024 00:00:00 GMT');
    expect((await collect(response)).bytes.length).toBe(0);
  });

  it('a plain GET is 200 with the whole body in small chunks', async () => {
    const { send, bytes } = setup(10_500);
    const response = await send('GET');
    expect(response.status).toBe(200);
    expect(response.url).toBe(URL_A);
    const body = await collect(response);
    expect(body.bytes).toEqual(bytes);
    expect(body.chunks).toBe(11);
  });

  it('R6: Range bytes=N- answers 206 with Content-Range and the tail', async () => {
    const { send, bytes } = setup(5000);
    const response = await send('GET', { Range: 'bytes=1234-' });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBe('bytes 1234-4999/5000');
    expect(response.headers['content-length']).toBe('3766');
    expect((await collect(response)).bytes).toEqual(bytes.slice(1234));
  });

  it('R6: If-Range with the strong ETag or the Last-Modified date keeps the range', async () => {
    const { send, version } = setup(5000);
    expect((await send('GET', { range: 'bytes=10-', 'if-range': version.etag! })).status).toBe(206);
    expect((await send('GET', { range: 'bytes=10-', 'if-range': version.lastModified! })).status).toBe(206);
  });

  it('R7: If-Range with another or a weak ETag serves the whole body (200)', async () => {
    const { send, version, bytes } = setup(5000);
    const other = await send('GET', { range: 'bytes=10-', 'if-range': '"other"' });
    expect(other.status).toBe(200);
    expect((await collect(other)).bytes).toEqual(bytes);
    expect((await send('GET', { range: 'bytes=10-', 'if-range': `W/${version.etag}` })).status).toBe(200);
  });

  it('R11: If-Match with another ETag answers 412; with the current one it passes', async () => {
    const { send, version } = setup(5000);
    const refused = await send('GET', { range: 'bytes=0-99', 'if-match': '"old"' });
    expect(refused.status).toBe(412);
    expect((await collect(refused)).bytes.length).toBe(0);
    expect((await send('GET', { range: 'bytes=0-99', 'if-match': version.etag! })).status).toBe(206);
    expect((await send('GET', { range: 'bytes=0-99', 'if-match': '*' })).status).toBe(206);
  });

  it('R12: an unsatisfiable range answers 416 with bytes */L and no body', async () => {
    const { send } = setup(5000);
    const response = await send('GET', { range: 'bytes=5000-' });
    expect(response.status).toBe(416);
    expect(response.headers['content-range']).toBe('bytes */5000');
    expect((await collect(response)).bytes.length).toBe(0);
  });

  it('R14: a zero-length resource answers 200 empty, and 416 */0 to bytes=0-', async () => {
    const { send } = setup(0);
    const head = await send('HEAD');
    expect(head.headers['content-length']).toBe('0');
    const get = await send('GET');
    expect(get.status).toBe(200);
    expect((await collect(get)).bytes.length).toBe(0);
    const ranged = await send('GET', { range: 'bytes=0-' });
    expect(ranged.status).toBe(416);
    expect(ranged.headers['content-range']).toBe('bytes */0');
  });

  it('several ranges answer multipart/byteranges', async () => {
    const { send } = setup(100);
    const response = await send('GET', { range: 'bytes=0-1,10-11' });
    expect(response.status).toBe(206);
    expect(response.headers['content-type']).toMatch(/^multipart\/byteranges; boundary=/);
    const text = ascii((await collect(response)).bytes);
    expect(text).toContain('content-range: bytes 0-1/100');
    expect(text).toContain('content-range: bytes 10-11/100');
  });

  it('R15: a chunked resource sends no Content-Length and ignores Range', async () => {
    const server = new MemoryServer();
    server.publish(URL_A, content(10), { lengthKnown: false });
    const abort = createAbortHandle();
    const head = await server.request({ method: 'HEAD', url: URL_A, headers: {}, signal: abort.signal })();
    const get = await server.request({
      method: 'GET',
      url: URL_A,
      headers: { range: 'bytes=5-' },
      signal: abort.signal,
    })();
    if (E.isLeft(head) || E.isLeft(get)) return expect.fail('Left');
    expect(head.right.headers['content-length']).toBeUndefined();
    expect(head.right.headers['accept-ranges']).toBe('none');
    expect(get.right.status).toBe(200);
    expect(get.right.headers['content-length']).toBeUndefined();
  });

  it('R4: resources can be served with a weak ETag, no ETag, or no Last-Modified', async () => {
    const server = new MemoryServer();
    expect(server.publish('https://x.example/w', content(1), { weakEtag: true }).etag).toMatch(/^W\/"/);
    const bare = server.publish('https://x.example/n', content(1), { etag: null, lastModified: null });
    expect(bare.etag).toBeNull();
    expect(bare.lastModified).toBeNull();
  });

  it('answers 404 for an unknown URL, and records every request with lower-cased header names', async () => {
    const { send, server } = setup(10);
    const response = await send('GET', { 'Accept-Encoding': 'identity' }, 'https://files.example/nope');
    expect(response.status).toBe(404);
    expect(server.requests).toEqual([
      { method: 'GET', url: 'https://files.example/nope', headers: { 'accept-encoding': 'identity' } },
    ]);
  });

  it('R11: publishing again makes a new version with a new ETag and Last-Modified', async () => {
    const { server, version } = setup(10);
    const next = server.publish(URL_A, content(10, 2));
    expect(next.etag).not.toBe(version.etag);
    expect(next.lastModified).not.toBe(version.lastModified);
    expect(server.resource(URL_A)?.versions).toHaveLength(2);
  });
});

describe('MemoryServer honours the request signal', () => {
  it('an abort before the request resolves Left(Aborted)', async () => {
    const { server } = setup(10);
    const abort = createAbortHandle();
    abort.abort();
    const result = await server.request({ method: 'GET', url: URL_A, headers: {}, signal: abort.signal })();
    expect(result).toEqual(E.left({ _tag: 'Aborted' }));
  });

  it('an abort mid-body makes the iterator reject and yield nothing more', async () => {
    const { send } = setup(10_000);
    const abort = createAbortHandle();
    const response = await send('GET', {}, URL_A, abort);
    const iterator = response.body[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    abort.abort();
    await expect(iterator.next()).rejects.toThrow(/aborted/);
    expect((await iterator.next()).done).toBe(true);
  });

  it('breaking out of the loop ends the body', async () => {
    const { send, server } = setup(10_000);
    const response = await send('GET');
    for await (const _ of response.body) break;
    const iterator = response.body[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(true);
    expect(server.bytesSent).toBe(1000);
  });
});

describe('MemoryServer faults', () => {
  it('R25: networkError answers no response head', async () => {
    const { server } = setup(10);
    server.inject(fault.networkError('refused'));
    const abort = createAbortHandle();
    const result = await server.request({ method: 'GET', url: URL_A, headers: {}, signal: abort.signal })();
    expect(result).toEqual(E.left({ _tag: 'NetworkError', message: 'refused' }));
    expect(server.pendingFaults()).toBe(0);
  });

  it('noResponse hangs until the request is aborted', async () => {
    const { server } = setup(10);
    server.inject(fault.noResponse());
    const abort = createAbortHandle();
    let settled = false;
    const pending = server.request({ method: 'GET', url: URL_A, headers: {}, signal: abort.signal })();
    void pending.then(() => {
      settled = true;
    });
    await settle();
    expect(settled).toBe(false);
    abort.abort();
    expect(await pending).toEqual(E.left({ _tag: 'Aborted' }));
  });

  it('R10: cutBody rejects the iterator after exactly k bytes, mid-chunk', async () => {
    const { send, server } = setup(10_000);
    server.inject(fault.cutBody(2500));
    const { error, received } = await bodyError(await send('GET'));
    expect(received).toBe(2500);
    expect(String(error)).toMatch(/connection reset/);
  });

  it('R25: stall yields k bytes then nothing until aborted', async () => {
    const { send, server } = setup(10_000);
    server.inject(fault.stall(1500));
    const abort = createAbortHandle();
    const iterator = (await send('GET', {}, URL_A, abort)).body[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(1000);
    expect((await iterator.next()).value).toHaveLength(500);
    let settled = false;
    const next = iterator.next();
    void next.then(
      () => (settled = true),
      () => (settled = true),
    );
    await settle();
    expect(settled).toBe(false);
    abort.abort();
    await expect(next).rejects.toThrow(/aborted/);
  });

  it('a stalled body ends at once on return()', async () => {
    const { send, server } = setup(10_000);
    server.inject(fault.stall());
    const iterator = (await send('GET')).body[Symbol.asyncIterator]();
    const next = iterator.next();
    await iterator.return?.();
    expect((await next).done).toBe(true);
  });

  it('R25: status answers 503 with Retry-After, only as often as asked', async () => {
    const { send, server } = setup(10);
    server.inject(fault.status(503, { retryAfter: '7' }), { times: 2 });
    for (const _ of [1, 2]) {
      const response = await send('GET');
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('7');
    }
    expect((await send('GET')).status).toBe(200);
  });

  it('R12: a 416 status fault carries bytes */L', async () => {
    const { send, server } = setup(10);
    server.inject(fault.status(416));
    expect((await send('GET', { range: 'bytes=5-' })).headers['content-range']).toBe('bytes */10');
  });

  it('R16: refuseHead answers 405 to HEAD only, while GET still works', async () => {
    const { send, server } = setup(10);
    server.refuseHead();
    expect((await send('HEAD')).status).toBe(405);
    expect((await send('GET', { range: 'bytes=0-0' })).status).toBe(206);
    expect((await send('HEAD')).status).toBe(405);
  });

  it('faults match by method and URL', async () => {
    const { send, server } = setup(10);
    server.publish('https://files.example/b', content(5));
    server.inject(fault.status(500), { url: 'https://files.example/b', method: 'GET' });
    expect((await send('GET')).status).toBe(200);
    expect((await send('HEAD', {}, 'https://files.example/b')).status).toBe(200);
    expect((await send('GET', {}, 'https://files.example/b')).status).toBe(500);
  });

  it('R7: ignoreRange answers 200 with the whole body to a ranged request', async () => {
    const { send, server, bytes } = setup(3000);
    server.inject(fault.ignoreRange());
    const response = await send('GET', { range: 'bytes=1000-' });
    expect(response.status).toBe(200);
    expect((await collect(response)).bytes).toEqual(bytes);
  });

  it('R9: lieContentRange wrongStart answers another range honestly', async () => {
    const { send, server, bytes } = setup(3000);
    server.inject(fault.lieContentRange('wrongStart'));
    const response = await send('GET', { range: 'bytes=1000-' });
    expect(response.headers['content-range']).toBe('bytes 999-2999/3000');
    expect((await collect(response)).bytes).toEqual(bytes.slice(999));
  });

  it('R8, R9: the other Content-Range lies bend only the header', async () => {
    const cases = [
      ['wrongTotal', 'bytes 1000-2999/3001'],
      ['reversed', 'bytes 3000-1000/3000'],
      ['pastTotal', 'bytes 1000-3000/3000'],
      ['malformed', 'bytes=1000-2999/3000'],
      ['missing', undefined],
    ] as const;
    for (const [lie, header] of cases) {
      const { send, server, bytes } = setup(3000);
      server.inject(fault.lieContentRange(lie));
      const response = await send('GET', { range: 'bytes=1000-' });
      expect(response.status).toBe(206);
      expect(response.headers['content-range']).toBe(header);
      expect((await collect(response)).bytes).toEqual(bytes.slice(1000));
    }
  });

  it('R8: multipart answers a single range as multipart/byteranges', async () => {
    const { send, server } = setup(3000);
    server.inject(fault.multipart());
    const response = await send('GET', { range: 'bytes=1000-1009' });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBeUndefined();
    expect(response.headers['content-type']).toMatch(/^multipart\/byteranges/);
    expect(ascii((await collect(response)).bytes)).toContain('bytes 1000-1009/3000');
  });

  it('R10: shortBody ends cleanly early; longBody sends bytes past the range', async () => {
    const { send, server, bytes } = setup(3000);
    server.inject(fault.shortBody(100));
    const short = await send('GET', { range: 'bytes=1000-1999' });
    expect(short.headers['content-length']).toBe('1000');
    expect((await collect(short)).bytes).toEqual(bytes.slice(1000, 1900));
    server.inject(fault.longBody(50));
    const long = await send('GET', { range: 'bytes=1000-1999' });
    expect(long.headers['content-range']).toBe('bytes 1000-1999/3000');
    expect((await collect(long)).bytes).toEqual(bytes.slice(1000, 2050));
    server.inject(fault.longBody(5));
    const past = await collect(await send('GET'));
    expect(past.bytes.slice(3000)).toEqual(Uint8Array.from([0xee, 0xee, 0xee, 0xee, 0xee]));
  });

  it('R11, R13: changeResource publishes a new version (new ETag, other bytes) before answering', async () => {
    const { send, server, version, bytes } = setup(3000);
    server.inject(fault.changeResource());
    const response = await send('GET', { range: 'bytes=1000-', 'if-range': version.etag! });
    expect(response.status).toBe(200);
    expect(response.headers.etag).not.toBe(version.etag);
    const body = (await collect(response)).bytes;
    expect(body).toHaveLength(3000);
    expect(body[0]).not.toBe(bytes[0]);
    server.inject(fault.changeResource(content(10)));
    expect((await send('GET', { 'if-match': response.headers.etag! })).status).toBe(412);
  });

  it('R2: weakEtag and noEtag change only that answer', async () => {
    const { send, server, version } = setup(10);
    server.inject(fault.weakEtag());
    expect((await send('HEAD')).headers.etag).toBe(`W/${version.etag}`);
    server.inject(fault.noEtag());
    expect((await send('HEAD')).headers.etag).toBeUndefined();
    expect((await send('HEAD')).headers.etag).toBe(version.etag);
  });

  it('R5: gzip answers a real gzip body with Content-Encoding: gzip', async () => {
    const { send, server, bytes, version } = setup(70_000);
    server.inject(fault.gzip());
    const response = await send('GET');
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers.etag).not.toBe(version.etag);
    const encoded = (await collect(response)).bytes;
    expect(response.headers['content-length']).toBe(String(encoded.length));
    const zlib = (await import(`node:${'zlib'}`)) as { gunzipSync: (b: Uint8Array) => Uint8Array };
    expect(new Uint8Array(zlib.gunzipSync(encoded))).toEqual(bytes);
  });

  it('R5: a resource published gzip-encoded always answers encoded', async () => {
    const server = new MemoryServer();
    server.publish(URL_A, content(0), { gzip: true });
    const abort = createAbortHandle();
    const result = await server.request({ method: 'HEAD', url: URL_A, headers: {}, signal: abort.signal })();
    if (E.isLeft(result)) return expect.fail('Left');
    expect(result.right.headers['content-encoding']).toBe('gzip');
    expect(Number(result.right.headers['content-length'])).toBeGreaterThan(0);
  });

  it('setHeaders sets and removes response headers', async () => {
    const { send, server } = setup(10);
    server.inject(fault.setHeaders({ 'X-Oss-Hash-Crc64ecma': '123', 'last-modified': null }));
    const response = await send('HEAD');
    expect(response.headers['x-oss-hash-crc64ecma']).toBe('123');
    expect(response.headers['last-modified']).toBeUndefined();
  });

  it('several faults can hit one request, e.g. a lie then a cut', async () => {
    const { send, server } = setup(3000);
    server.inject([fault.lieContentRange('wrongTotal'), fault.cutBody(10)]);
    const response = await send('GET', { range: 'bytes=0-' });
    expect(response.headers['content-range']).toBe('bytes 0-2999/3001');
    expect((await bodyError(response)).received).toBe(10);
    server.inject(fault.cutBody(1));
    server.clearFaults();
    expect(server.pendingFaults()).toBe(0);
  });
});

describe('MemoryServer redirects (R17)', () => {
  it('R17: follows a redirect, answers from the final URL and records each hop', async () => {
    const { send, server, bytes } = setup(10);
    server.redirect('https://short.example/x', URL_A, 301);
    const response = await send(
      'GET',
      { authorization: 'Bearer t', cookie: 'c=1' },
      'https://short.example/x',
    );
    expect(response.status).toBe(200);
    expect(response.url).toBe(URL_A);
    expect((await collect(response)).bytes).toEqual(bytes);
    expect(server.requests.map((r) => r.url)).toEqual(['https://short.example/x', URL_A]);
    expect(server.requests[1]?.headers).toEqual({});
  });

  it('R17: keeps credentials on a same-origin redirect (relative Location)', async () => {
    const { send, server } = setup(10);
    server.inject(fault.redirect('/a.bin', 307), { url: 'https://files.example/old' });
    const response = await send('GET', { authorization: 'Bearer t' }, 'https://files.example/old');
    expect(response.url).toBe(URL_A);
    expect(server.requests[1]?.headers).toEqual({ authorization: 'Bearer t' });
  });

  it('R17: refuses a redirect to another scheme, and more than 10 hops', async () => {
    const { server } = setup(10);
    const abort = createAbortHandle();
    server.redirect('https://files.example/ftp', 'ftp://files.example/a');
    const ftp = await server.request({
      method: 'GET',
      url: 'https://files.example/ftp',
      headers: {},
      signal: abort.signal,
    })();
    expect(ftp).toEqual(
      E.left(expect.objectContaining({ _tag: 'RedirectRefused', location: 'ftp://files.example/a' })),
    );
    server.redirect('https://files.example/loop', 'https://files.example/loop');
    const loop = await server.request({
      method: 'GET',
      url: 'https://files.example/loop',
      headers: {},
      signal: abort.signal,
    })();
    expect(loop).toEqual(E.left(expect.objectContaining({ _tag: 'RedirectRefused' })));
    // The request and the 10 redirects followed, as redirectStep allows; the 11th is refused.
    expect(server.requests.filter((r) => r.url.endsWith('/loop'))).toHaveLength(11);
  });

  it('R37: refuses a redirect from https to http unless allowHttpsDowngrade; other origins get no secret header', async () => {
    const refused = setup(10);
    refused.server.publish('http://files.example/plain.bin', refused.bytes);
    refused.server.redirect('https://files.example/down', 'http://files.example/plain.bin');
    const abort = createAbortHandle();
    const down = await refused.server.request({
      method: 'GET',
      url: 'https://files.example/down',
      headers: { 'x-api-key': 'secret' },
      signal: abort.signal,
    })();
    expect(down).toEqual(
      E.left(
        expect.objectContaining({ _tag: 'RedirectRefused', location: 'http://files.example/plain.bin' }),
      ),
    );
    expect(refused.server.requests).toHaveLength(1);

    const allowed = setup(10, { allowHttpsDowngrade: true });
    allowed.server.publish('http://files.example/plain.bin', allowed.bytes);
    allowed.server.redirect('https://files.example/down', 'http://files.example/plain.bin');
    const response = await allowed.send(
      'GET',
      { 'x-api-key': 'secret', 'proxy-authorization': 'Basic cA==', 'user-agent': 'app' },
      'https://files.example/down',
    );
    expect(response.url).toBe('http://files.example/plain.bin');
    expect(allowed.server.requests[1]?.headers).toEqual({ 'user-agent': 'app' });
  });

  it('with followRedirects false hands the 3xx back', async () => {
    const { send, server } = setup(10, { followRedirects: false });
    server.redirect('https://short.example/x', URL_A);
    const response = await send('GET', {}, 'https://short.example/x');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(URL_A);
  });

  it('R18: mount serves one resource at another URL; unpublish makes it 404', async () => {
    const { send, server } = setup(10);
    server.mount('https://files.example/a.bin?sig=2', server.resource(URL_A)!);
    expect((await send('GET', {}, 'https://files.example/a.bin?sig=2')).status).toBe(200);
    server.unpublish(URL_A);
    expect((await send('GET')).status).toBe(404);
  });
});

describe('MemoryServer pacing', () => {
  it('with chunkDelayMs, each chunk waits on the clock; an abort cancels the wait', async () => {
    const clock = new ManualClock({ now: 0 });
    const { send } = setup(3000, { clock, chunkDelayMs: 100 });
    const abort = createAbortHandle();
    const response = await send('GET', {}, URL_A, abort);
    expect(response.headers.date).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    const iterator = response.body[Symbol.asyncIterator]();
    const first = iterator.next();
    clock.advance(100);
    expect((await first).value).toHaveLength(1000);
    const second = iterator.next();
    abort.abort();
    await expect(second).rejects.toThrow(/aborted/);
    expect(clock.pendingTimers()).toBe(0);
  });
});
