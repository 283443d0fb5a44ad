import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { HttpFailure, HttpPort, HttpResponse } from '@rdl/core';
import { createAbortHandle } from '@rdl/core/adapter';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultServer, generateBytes } from './faultServer.js';

/** An `HttpPort` of this package: it can drop its idle sockets. */
export type NodeHttpPort = HttpPort & { close(): void };

export const right = (result: E.Either<unknown, HttpResponse>): HttpResponse => {
  if (E.isLeft(result)) throw new Error(`expected a response, got ${JSON.stringify(result.left)}`);
  return result.right;
};

export const readAll = async (response: HttpResponse): Promise<Buffer> => {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return Buffer.concat(chunks);
};

/** Sends one request with a fresh abort handle. */
export const requestWith = async (
  http: HttpPort,
  url: string,
  headers: Record<string, string> = {},
  method: 'GET' | 'HEAD' = 'GET',
): Promise<{
  result: E.Either<HttpFailure, HttpResponse>;
  handle: ReturnType<typeof createAbortHandle>;
}> => {
  const handle = createAbortHandle();
  const result = await http.request({ method, url, headers, signal: handle.signal })();
  return { result, handle };
};

/**
 * The `HttpPort` contract (core's `ports/HttpPort.ts`) as every Node transport must keep it, against two fault
 * servers: statuses, headers, undecoded bodies (R5), redirects (R17), failures before the head, aborts, cuts,
 * bodies let go early, and chunks that stay the reader's.
 */
export const httpContract = (name: string, make: () => NodeHttpPort): void => {
  describe(`${name}: the HttpPort contract`, () => {
    let http: NodeHttpPort;
    let server: FaultServer;
    let other: FaultServer;
    const body = generateBytes(300_000, 7);

    beforeAll(async () => {
      http = make();
      server = await FaultServer.start();
      other = await FaultServer.start();
      server.serve('/file', body);
      other.serve('/file', body);
      server.serve('/chunked', body, { chunked: true });
    });
    afterAll(async () => {
      http.close();
      await server.close();
      await other.close();
    });

    const get = (url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') =>
      requestWith(http, url, headers, method);

    it('gives the status, lower-cased headers and the body bytes', async () => {
      const response = right((await get(server.url('/file'))).result);
      expect(response.status).toBe(200);
      expect(response.url).toBe(server.url('/file'));
      expect(response.headers['content-length']).toBe(String(body.length));
      expect(response.headers.etag).toBe(server.resource('/file').etag);
      expect((await readAll(response)).equals(body)).toBe(true);
    });

    it('resolves Right for 4xx and 5xx answers: classifying them is core’s job', async () => {
      server.fail({ kind: 'status', status: 503, retryAfter: '2' });
      const unavailable = right((await get(server.url('/file'))).result);
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers['retry-after']).toBe('2');
      await readAll(unavailable);
      const missing = right((await get(server.url('/nothing'))).result);
      expect(missing.status).toBe(404);
      await readAll(missing);
    });

    it('joins a repeated header with ", "', async () => {
      const raw = createServer((_request, response) => {
        response.setHeader('x-twice', ['a', 'b']);
        response.end('ok');
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      const { port } = raw.address() as AddressInfo;
      const response = right((await get(`http://127.0.0.1:${port}/`)).result);
      expect(response.headers['x-twice']).toBe('a, b');
      await readAll(response);
      raw.closeAllConnections();
      await new Promise((resolve) => raw.close(resolve));
    });

    it('R1, R17: a field of one value sent twice with that value counts once: a doubled Location is followed, a doubled ETag kept as the server gave it', async () => {
      const raw = createServer((request, response) => {
        if (request.url === '/twice') {
          response.statusCode = 302;
          response.setHeader('location', ['/real', '/real']);
          response.end();
          return;
        }
        const modified = 'Wed, 01 Jan 2020 00:00:00 GMT';
        response.setHeader('etag', ['"e1"', '"e1"']);
        response.setHeader('last-modified', [modified, modified]);
        response.end(request.url === '/real' ? 'ok' : 'not this one');
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      const { port } = raw.address() as AddressInfo;
      const response = right((await get(`http://127.0.0.1:${port}/twice`)).result);
      expect(response.url).toBe(`http://127.0.0.1:${port}/real`);
      expect(response.headers.etag).toBe('"e1"');
      expect(response.headers['last-modified']).toBe('Wed, 01 Jan 2020 00:00:00 GMT');
      expect((await readAll(response)).toString()).toBe('ok');
      raw.closeAllConnections();
      await new Promise((resolve) => raw.close(resolve));
    });

    it('R5: does not decode a gzip body', async () => {
      server.fail({ kind: 'gzip' });
      const response = right((await get(server.url('/file'), { 'accept-encoding': 'identity' })).result);
      expect(response.headers['content-encoding']).toBe('gzip');
      const received = await readAll(response);
      expect(received.equals(body)).toBe(false);
      expect(gunzipSync(received).equals(body)).toBe(true);
    });

    it('R5: sends no Accept-Encoding of its own', async () => {
      const before = server.requests.length;
      await readAll(right((await get(server.url('/file'))).result));
      expect(server.requests[before]?.headers['accept-encoding']).toBeUndefined();
    });

    it('R17, R37: follows a redirect to another origin with only the headers that carry no secret', async () => {
      server.redirect('/moved', 302, other.url('/file'));
      const before = other.requests.length;
      const sent = {
        authorization: 'Bearer x',
        cookie: 'a=b',
        'proxy-authorization': 'Basic eDp5',
        'x-api-key': 'k',
        'user-agent': 'app/1',
        range: 'bytes=5-',
      };
      const response = right((await get(server.url('/moved'), sent)).result);
      expect(response.status).toBe(206);
      expect(response.url).toBe(other.url('/file'));
      await readAll(response);
      const seen = other.requests[before];
      for (const name of ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'])
        expect(seen?.headers[name]).toBeUndefined();
      expect(seen?.headers['user-agent']).toBe('app/1');
      expect(seen?.headers.range).toBe('bytes=5-');
    });

    it('R17: keeps credentials on a same-origin redirect, resolving a relative Location', async () => {
      server.redirect('/relative', 307, '/file');
      const before = server.requests.length;
      const response = right((await get(server.url('/relative'), { authorization: 'Bearer x' })).result);
      expect(response.url).toBe(server.url('/file'));
      await readAll(response);
      expect(server.requests[before + 1]?.headers.authorization).toBe('Bearer x');
    });

    it('R17: refuses a redirect to a non-http scheme', async () => {
      server.redirect('/ftp', 301, 'ftp://127.0.0.1/file');
      const { result } = await get(server.url('/ftp'));
      expect(result).toEqual(
        E.left(expect.objectContaining({ _tag: 'RedirectRefused', location: 'ftp://127.0.0.1/file' })),
      );
    });

    it('R17: refuses a redirect loop after 10 hops', async () => {
      server.redirect('/loop', 302, '/loop');
      const before = server.requests.length;
      const { result } = await get(server.url('/loop'));
      expect(E.isLeft(result) && result.left._tag).toBe('RedirectRefused');
      expect(server.requests.length - before).toBe(11);
    });

    it('is Left(NetworkError) when nothing answers', async () => {
      const { result } = await get('http://127.0.0.1:1/file');
      expect(E.isLeft(result) && result.left._tag).toBe('NetworkError');
    });

    it('is Left(NetworkError), and sends nothing, for a header value holding CR or LF', async () => {
      const before = server.requests.length;
      const { result } = await get(server.url('/file'), { 'x-evil': 'a\r\nx-injected: 1' });
      expect(E.isLeft(result) && result.left._tag).toBe('NetworkError');
      expect(server.requests.length).toBe(before);
    });

    it('is Left(Aborted) when aborted before the head arrives', async () => {
      const handle = createAbortHandle();
      handle.abort();
      const result = await http.request({
        method: 'GET',
        url: server.url('/file'),
        headers: {},
        signal: handle.signal,
      })();
      expect(result).toEqual(E.left({ _tag: 'Aborted' }));
      server.fail({ kind: 'stall', at: 0 });
      const late = createAbortHandle();
      const pending = http.request({
        method: 'GET',
        url: server.url('/file'),
        headers: {},
        signal: late.signal,
      })();
      const response = right(await pending);
      late.abort();
      // After an abort the body rejects or ends, and never yields again.
      const received = await readAll(response).then(
        (bytes) => bytes.length,
        () => 'rejected',
      );
      expect(received === 'rejected' || received === 0).toBe(true);
    });

    it('an abort mid-body closes the connection; the body then rejects or ends and never yields again', async () => {
      const closed = new Promise<void>((resolve) => {
        server.fail({ kind: 'stall', at: 100_000 }, { after: resolve });
      });
      const handle = createAbortHandle();
      const response = right(
        await http.request({ method: 'GET', url: server.url('/file'), headers: {}, signal: handle.signal })(),
      );
      const iterator = response.body[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      handle.abort();
      const after = await iterator.next().then(
        (next) => (next.done === true ? 'ended' : 'yielded'),
        () => 'rejected',
      );
      expect(after).not.toBe('yielded');
      await closed;
    });

    it('a cut connection makes the body iterator reject', async () => {
      server.fail({ kind: 'cut', at: 100_000 });
      const response = right((await get(server.url('/file'))).result);
      await expect(readAll(response)).rejects.toThrow();
    });

    it('leaving the body loop early closes the connection', async () => {
      const closed = new Promise<void>((resolve) => {
        server.fail({ kind: 'stall', at: 65_536 }, { after: resolve });
      });
      const response = right((await get(server.url('/file'))).result);
      for await (const chunk of response.body) {
        expect(chunk.byteLength).toBeGreaterThan(0);
        break;
      }
      await closed;
    });

    it('letting go of a body before reading it (return() first) closes the connection', async () => {
      const closed = new Promise<void>((resolve) => {
        server.fail({ kind: 'stall', at: 1000 }, { after: resolve });
      });
      const response = right((await get(server.url('/file'))).result);
      await response.body[Symbol.asyncIterator]().return?.();
      await closed;
    });

    it('R26: bytes that arrived before a cut are all yielded before the error, even to a slow reader', async () => {
      server.fail({ kind: 'cut', at: 250_000 });
      const response = right((await get(server.url('/file'))).result);
      let received = 0;
      await expect(
        (async () => {
          for await (const chunk of response.body) {
            received += chunk.byteLength;
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })(),
      ).rejects.toThrow();
      expect(received).toBe(250_000);
    });

    it('HEAD gives the headers and an empty body', async () => {
      const response = right((await get(server.url('/file'), {}, 'HEAD')).result);
      expect(response.headers['content-length']).toBe(String(body.length));
      expect((await readAll(response)).length).toBe(0);
    });

    it('R15: a chunked body arrives decoded, without its framing, and no Content-Length', async () => {
      const response = right((await get(server.url('/chunked'))).result);
      expect(response.headers['transfer-encoding']).toBe('chunked');
      expect(response.headers['content-length']).toBeUndefined();
      expect((await readAll(response)).equals(body)).toBe(true);
    });

    it('R15, R26: a chunked body cut mid-way yields what arrived, then rejects', async () => {
      server.fail({ kind: 'cut', at: 100_000 });
      const response = right((await get(server.url('/chunked'))).result);
      let received = 0;
      await expect(
        (async () => {
          for await (const chunk of response.body) received += chunk.byteLength;
        })(),
      ).rejects.toThrow();
      expect(received).toBe(100_000);
    });

    it('chunks stay the reader’s: kept until the end, every one still holds the bytes it had', async () => {
      const kept: Uint8Array[] = [];
      const copies: Buffer[] = [];
      for (const path of ['/file', '/chunked', '/file']) {
        const response = right((await get(server.url(path))).result);
        for await (const chunk of response.body) {
          kept.push(chunk);
          copies.push(Buffer.from(chunk));
        }
      }
      expect(kept.every((chunk, index) => Buffer.from(chunk).equals(copies[index] as Buffer))).toBe(true);
      expect(Buffer.concat(kept).equals(Buffer.concat([body, body, body]))).toBe(true);
    });

    it('a HEAD then a GET to one origin share one kept-alive connection', async () => {
      const fresh = await FaultServer.start();
      fresh.serve('/file', body);
      try {
        const head = right((await get(fresh.url('/file'), {}, 'HEAD')).result);
        await readAll(head);
        expect((await readAll(right((await get(fresh.url('/file'))).result))).equals(body)).toBe(true);
        expect(fresh.requests.map((request) => request.connection)).toEqual([1, 1]);
      } finally {
        await fresh.close();
      }
    });

    it('R25, R43: past its per-origin cap a request waits and says so (onQueued); one aborted while it waits is Left(Aborted), and a place freed goes to the next', async () => {
      const cap = http.maxConnectionsPerOrigin ?? 0;
      expect(cap).toBeGreaterThan(0);
      const fresh = await FaultServer.start();
      fresh.serve('/file', body);
      // The bodies that hold the places stop after their first bytes, until the test lets them go on.
      let goOn = (): void => undefined;
      const stalled = new Promise<void>((resolve) => {
        goOn = resolve;
      });
      for (let i = 0; i < cap; i++) fresh.fail({ kind: 'stall', at: 1_000, until: stalled });
      const told: string[] = [];
      const send = (name: string) => {
        const handle = createAbortHandle();
        const result = http.request({
          method: 'GET',
          url: fresh.url('/file'),
          headers: {},
          signal: handle.signal,
          onQueued: (waiting) => told.push(`${name} ${waiting}`),
        })();
        return { handle, result };
      };
      try {
        const held = await Promise.all(Array.from({ length: cap }, (_, i) => send(`held${i}`).result));
        expect(told).toEqual([]);
        const aborted = send('aborted');
        const next = send('next');
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(told).toEqual(['aborted true', 'next true']);
        aborted.handle.abort();
        expect(await aborted.result).toEqual(E.left({ _tag: 'Aborted' }));
        expect(told).toEqual(['aborted true', 'next true', 'aborted false']);
        // The bodies end: their places free, the next request goes out.
        goOn();
        for (const result of held) expect((await readAll(right(result))).equals(body)).toBe(true);
        expect((await readAll(right(await next.result))).equals(body)).toBe(true);
        expect(told).toEqual(['aborted true', 'next true', 'aborted false', 'next false']);
        expect(fresh.requests.length).toBe(cap + 1);
      } finally {
        goOn();
        await fresh.close();
      }
    });
  });
};
