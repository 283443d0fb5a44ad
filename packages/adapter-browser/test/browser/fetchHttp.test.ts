import type { HttpResponse } from '@rdl/core';
import { createAbortHandle } from '@rdl/core/adapter';
import { describe, expect, inject, it } from 'vitest';
import './provided.js';
import { patternBytes } from '../../demo/patternBytes.js';
import type { LoggedRequest } from '../../demo/requestLog.js';
import { FetchHttp, isCrossOrigin } from '../../src/FetchHttp.js';

const files = inject('filesOrigin');
const other = inject('otherOrigin');
const SMALL = patternBytes(1048576 + 17, 7);
const http = new FetchHttp();

const control = (origin: string, body: object) =>
  fetch(`${origin}/_control`, { method: 'POST', body: JSON.stringify(body) });
const requestsOf = async (origin: string): Promise<LoggedRequest[]> =>
  (await fetch(`${origin}/_requests`)).json() as Promise<LoggedRequest[]>;

const get = async (url: string, headers: Record<string, string> = {}): Promise<HttpResponse> => {
  const result = await http.request({ method: 'GET', url, headers, signal: createAbortHandle().signal })();
  if (result._tag === 'Left') throw new Error(`request failed: ${JSON.stringify(result.left)}`);
  return result.right;
};

const readAll = async (body: AsyncIterable<Uint8Array>): Promise<Uint8Array> => {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
};

describe('FetchHttp in Chromium', () => {
  it('R6: a cross-origin `Range: bytes=N-` needs no preflight and shows ETag and Content-Range', async () => {
    await control(files, { reset: true });
    expect(isCrossOrigin(`${files}/files/small.bin`)).toBe(true);
    const response = await get(`${files}/files/small.bin`, {
      range: 'bytes=1000-',
      'accept-encoding': 'identity',
    });
    expect(response.status).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes 1000-${SMALL.length - 1}/${SMALL.length}`);
    expect(response.headers.etag).toMatch(/^"/);
    expect(await readAll(response.body)).toEqual(SMALL.subarray(1000));
    const log = await requestsOf(files);
    expect(log.map((r) => r.method)).toEqual(['GET']);
    // R5: the page may not set Accept-Encoding; Chromium sends identity by itself on a ranged request.
    expect(log[0]?.acceptEncoding).toBe('identity');
  });

  it('R8: a cross-origin answer says its headers are filtered: a Content-Range its server does not expose is not shown', async () => {
    await control(files, { reset: true });
    const hidden = await get(`${files}/files/small.bin?expose=ETag, Content-Length`, {
      range: 'bytes=1000-',
    });
    expect([hidden.status, hidden.headers['content-range'], hidden.headersFiltered]).toEqual([
      206,
      undefined,
      true,
    ]);
    await readAll(hidden.body);
    const shown = await get(`${files}/files/small.bin`, { range: 'bytes=1000-' });
    expect([shown.headers['content-range'], shown.headersFiltered]).toEqual([
      `bytes 1000-${SMALL.length - 1}/${SMALL.length}`,
      true,
    ]);
    await readAll(shown.body);
    // The page's own origin filters nothing.
    const own = await get(`${location.origin}/package.json`);
    expect(own.headersFiltered).toBe(false);
    await readAll(own.body);
  });

  it('R6: If-Range on a cross-origin request costs a preflight (why the adapter leaves it out there)', async () => {
    await control(files, { reset: true });
    const head = await http.request({
      method: 'HEAD',
      url: `${files}/files/small.bin`,
      headers: {},
      signal: createAbortHandle().signal,
    })();
    if (head._tag === 'Left') throw new Error('HEAD failed');
    const etag = head.right.headers.etag ?? '';
    const response = await get(`${files}/files/small.bin`, { range: 'bytes=10-', 'if-range': etag });
    expect(response.status).toBe(206);
    await readAll(response.body);
    const log = await requestsOf(files);
    expect(log.map((r) => r.method)).toEqual(['HEAD', 'OPTIONS', 'GET']);
    expect(log[1]?.accessControlRequestHeaders).toContain('if-range');
  });

  it('R17: a cross-origin redirect drops Authorization; the final URL is reported', async () => {
    await control(files, { reset: true });
    await control(other, { reset: true });
    const target = `${other}/files/small.bin`;
    const response = await get(`${files}/redirect/${encodeURIComponent(target)}`, {
      authorization: 'Bearer secret',
    });
    expect(response.status).toBe(200);
    expect(response.url).toBe(target);
    await readAll(response.body);
    const landed = (await requestsOf(other)).filter((r) => r.method === 'GET');
    expect(landed).toHaveLength(1);
    expect(landed[0]?.authorization).toBeNull();
  });

  it('R17: a same-origin redirect keeps Authorization', async () => {
    await control(files, { reset: true });
    const target = `${files}/files/small.bin`;
    const response = await get(`${files}/redirect/${encodeURIComponent(target)}`, {
      authorization: 'Bearer secret',
    });
    expect(response.url).toBe(target);
    await readAll(response.body);
    const landed = (await requestsOf(files)).filter(
      (r) => r.method === 'GET' && r.path === '/files/small.bin',
    );
    expect(landed[0]?.authorization).toBe('Bearer secret');
  });

  it('R17: a redirect to a non-http scheme fails the request, as a network failure', async () => {
    const result = await http.request({
      method: 'GET',
      url: `${files}/redirect/${encodeURIComponent('data:text/plain,hi')}`,
      headers: {},
      signal: createAbortHandle().signal,
    })();
    expect(result._tag).toBe('Left');
    if (result._tag === 'Left') expect(result.left._tag).toBe('NetworkError');
  });

  it('R25: a connection cut mid-body makes the body iterator reject', async () => {
    await control(files, { reset: true, cutTimes: 1, cutAfterBytes: 300_000 });
    const response = await get(`${files}/files/small.bin`);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const chunk of response.body) seen.push(chunk.length);
      })(),
    ).rejects.toThrow();
    expect(seen.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(300_000);
  });

  it('R24: an abort before the head resolves Left Aborted; an abort mid-body ends the body', async () => {
    const before = createAbortHandle();
    before.abort();
    const early = await http.request({
      method: 'GET',
      url: `${files}/files/small.bin`,
      headers: {},
      signal: before.signal,
    })();
    expect(early).toEqual({ _tag: 'Left', left: { _tag: 'Aborted' } });

    await control(files, { reset: true, holdAt: 100_000 });
    const during = createAbortHandle();
    const result = await http.request({
      method: 'GET',
      url: `${files}/files/small.bin`,
      headers: {},
      signal: during.signal,
    })();
    if (result._tag === 'Left') throw new Error('no head');
    const reading = (async () => {
      for await (const _chunk of result.right.body) during.abort();
    })();
    await expect(reading).rejects.toThrow();
    await control(files, { release: true });
  });
});

describe('FetchHttp connections', () => {
  it('R43: tells core the browser opens 6 connections per host; another count can be set, a count below 1 is refused', () => {
    expect(new FetchHttp().maxConnectionsPerOrigin).toBe(6);
    expect(new FetchHttp({ maxConnectionsPerOrigin: 2 }).maxConnectionsPerOrigin).toBe(2);
    expect(() => new FetchHttp({ maxConnectionsPerOrigin: 0 })).toThrow(/maxConnectionsPerOrigin/);
    expect(() => new FetchHttp({ maxConnectionsPerOrigin: 1.5 })).toThrow(RangeError);
  });
});

describe('FetchHttp and a redirect from https to http (R37)', () => {
  /** A `fetch` that answers as if it had followed redirects to `finalUrl`; `cancelled` says whether the body was let go. */
  const reachedBy = (finalUrl: string) => {
    const seen = { cancelled: false };
    const fake = (async () => {
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => {
          controller.enqueue(new TextEncoder().encode('sent in clear'));
          controller.close();
        },
        cancel: () => {
          seen.cancelled = true;
        },
      });
      const response = new Response(body, { status: 200 });
      Object.defineProperty(response, 'url', { value: finalUrl });
      return response;
    }) as typeof fetch;
    return { fake, seen };
  };
  const send = (port: FetchHttp, url: string) =>
    port.request({ method: 'GET', url, headers: {}, signal: createAbortHandle().signal })();

  it('R37: an answer fetch reached over http from an https URL is RedirectRefused, its body let go unread', async () => {
    const { fake, seen } = reachedBy('http://files.example/a.bin');
    const result = await send(new FetchHttp({ fetch: fake }), 'https://files.example/a.bin');
    expect(result).toEqual({
      _tag: 'Left',
      left: {
        _tag: 'RedirectRefused',
        location: 'http://files.example/a.bin',
        message: 'a redirect from https to http (allow it with allowHttpsDowngrade)',
      },
    });
    expect(seen.cancelled).toBe(true);
  });

  it('R37: with allowHttpsDowngrade it is answered; https to https and http to http always are', async () => {
    const allowed = await send(
      new FetchHttp({ fetch: reachedBy('http://files.example/a.bin').fake, allowHttpsDowngrade: true }),
      'https://files.example/a.bin',
    );
    expect(allowed).toMatchObject({ _tag: 'Right', right: { url: 'http://files.example/a.bin' } });
    for (const [from, to] of [
      ['https://files.example/a.bin', 'https://cdn.example/a.bin'],
      ['http://files.example/a.bin', 'http://cdn.example/a.bin'],
    ] as const) {
      expect(await send(new FetchHttp({ fetch: reachedBy(to).fake }), from)).toMatchObject({ _tag: 'Right' });
    }
  });
});
