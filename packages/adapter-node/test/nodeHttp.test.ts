import { createAbortHandle } from '@rdl/core/adapter';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCookieFile } from '../src/cookieFile.js';
import { ResponseBody } from '../src/http1/ResponseBody.js';
import { NodeHttp } from '../src/NodeHttp.js';
import { FaultServer, generateBytes } from './support/faultServer.js';
import { httpContract, readAll, requestWith, right } from './support/httpContract.js';
import { answer, type RawHandler, RawServer } from './support/rawServer.js';

httpContract('NodeHttp', () => new NodeHttp());
// Small slots and queue: every body spans many slots, and the socket pauses and resumes all the time.
httpContract(
  'NodeHttp with 64 KiB slots and 128 KiB queued',
  () => new NodeHttp({ slotBytes: 64 * 1024, maxQueuedBytes: 128 * 1024 }),
);

describe('NodeHttp on the wire', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const raw = async (handler: RawHandler): Promise<{ server: RawServer; http: NodeHttp }> => {
    const server = await RawServer.start(handler);
    const http = new NodeHttp();
    cleanups.push(
      () => server.close(),
      () => http.close(),
    );
    return { server, http };
  };
  const text = async (http: NodeHttp, url: string, method: 'GET' | 'HEAD' = 'GET') => {
    const response = right((await requestWith(http, url, {}, method)).result);
    return { status: response.status, headers: response.headers, body: (await readAll(response)).toString() };
  };

  it('sends Host with the port, user-agent rdl and the caller’s fields; nothing else', async () => {
    const { server, http } = await raw((_request, socket) => socket.write(answer('ok')));
    await readAll(right((await requestWith(http, server.url('/p?q=1'), { Range: 'bytes=0-' })).result));
    const port = new URL(server.url()).port;
    expect(server.requests[0]?.head).toBe(
      `GET /p?q=1 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nRange: bytes=0-\r\nuser-agent: rdl\r\n\r\n`,
    );
  });

  it('R30: a timeout that is not positive, or past what a timer holds (2^31 - 1 ms), is refused when made', () => {
    for (const bad of [0, -1, Number.NaN, 2 ** 31]) {
      expect(() => new NodeHttp({ connectTimeoutMs: bad })).toThrow(/connectTimeoutMs must be/);
      expect(() => new NodeHttp({ idleTimeoutMs: bad })).toThrow(/idleTimeoutMs must be/);
    }
    new NodeHttp({ connectTimeoutMs: 2 ** 31 - 1, idleTimeoutMs: 2 ** 31 - 1 }).close();
  });

  it('keeps one connection for a run of requests read to their end', async () => {
    const { server, http } = await raw((request, socket) =>
      socket.write(answer(request.head.startsWith('HEAD') ? '' : 'hello', 200, 'x-a: 1\r\n')),
    );
    for (let i = 0; i < 5; i += 1)
      expect((await text(http, server.url(), i === 0 ? 'HEAD' : 'GET')).status).toBe(200);
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1, 1, 1, 1]);
  });

  it('a kept-alive socket the server closed when the next request came is retried once on a new one', async () => {
    const { server, http } = await raw((request, socket) => {
      if (request.connection === 1 && request.onConnection === 1) socket.destroy();
      else socket.write(answer(`answer ${request.connection}`));
    });
    expect((await text(http, server.url())).body).toBe('answer 1');
    expect((await text(http, server.url())).body).toBe('answer 2');
    expect(server.requests.map((request) => [request.connection, request.onConnection])).toEqual([
      [1, 0],
      [1, 1],
      [2, 0],
    ]);
  });

  it('R36: bytes a HEAD answer should not have had, arriving on its kept-alive socket once the next request went out, make that request go again on a new socket', async () => {
    // A naive server writes a HEAD's head, then its body a moment later: the GET that took the socket meanwhile
    // reads those bytes first. They are no answer of the GET's, so they are not the GET's BadResponse either.
    const { server, http } = await raw((request, socket) => {
      if (request.head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 31\r\n\r\n');
      else if (request.connection === 1) socket.write('the body of the HEAD answer\r\n\r\n');
      else socket.write(answer(`answer ${request.connection}`));
    });
    expect((await text(http, server.url(), 'HEAD')).status).toBe(200);
    expect((await text(http, server.url())).body).toBe('answer 2');
    expect(server.requests.map((request) => [request.connection, request.onConnection])).toEqual([
      [1, 0],
      [1, 1],
      [2, 0],
    ]);
  });

  it('R36: a malformed answer on a socket whose last answer had a body is final: sent once only', async () => {
    const { server, http } = await raw((request, socket) => {
      if (request.onConnection === 0) socket.write(answer('a body'));
      else socket.write('not an answer\r\n\r\n');
    });
    expect((await text(http, server.url())).body).toBe('a body');
    const { result } = await requestWith(http, server.url());
    expect(E.isLeft(result) && result.left._tag).toBe('BadResponse');
    expect(server.requests).toHaveLength(2);
  });

  it('R36: a malformed answer on a new socket is final: the request is not sent a third time', async () => {
    const { server, http } = await raw((request, socket) => {
      if (request.head.startsWith('HEAD')) socket.write(answer(''));
      else socket.write('not an answer\r\n\r\n');
    });
    expect((await text(http, server.url(), 'HEAD')).status).toBe(200);
    const { result } = await requestWith(http, server.url());
    expect(E.isLeft(result) && result.left._tag).toBe('BadResponse');
    expect(server.requests).toHaveLength(3);
  });

  it('a kept-alive socket closed by the server while idle is dropped from the pool', async () => {
    const { server, http } = await raw((request, socket) => {
      socket.end(answer(`answer ${request.connection}`));
    });
    expect((await text(http, server.url())).body).toBe('answer 1');
    await server.until(() => server.closed === 1);
    expect((await text(http, server.url())).body).toBe('answer 2');
    expect(server.requests.length).toBe(2);
  });

  it('is not retried once some of the answer came, nor on a new connection that fails', async () => {
    const { server, http } = await raw((request, socket) => {
      if (request.onConnection === 0 && request.connection === 1) socket.write(answer('first'));
      else socket.end('HTTP/1.1 200 OK\r\ncontent-len');
    });
    await text(http, server.url());
    const reused = await requestWith(http, server.url());
    expect(E.isLeft(reused.result) && reused.result.left._tag).toBe('NetworkError');
    const fresh = await requestWith(http, server.url());
    expect(E.isLeft(fresh.result) && fresh.result.left._tag).toBe('NetworkError');
    expect(server.requests.length).toBe(3);
    expect(server.connections).toBe(2);
  });

  it('skips interim 1xx answers and reads the final one', async () => {
    const { server, http } = await raw((_request, socket) =>
      socket.write(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\n' +
          answer('final', 200, 'x-final: yes\r\n'),
      ),
    );
    const response = await text(http, server.url());
    expect(response).toMatchObject({ status: 200, body: 'final', headers: { 'x-final': 'yes' } });
    expect(response.headers.link).toBeUndefined();
  });

  it.each([
    ['an invalid Content-Length', 'HTTP/1.1 200 OK\r\ncontent-length: 3, 4\r\n\r\nabcd'],
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n  2\r\ncontent-length: 0\r\n\r\n'],
    ['garbage', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['a head over 64 KiB', `HTTP/1.1 200 OK\r\nx-big: ${'b'.repeat(70_000)}\r\n\r\n`],
  ])('R36: is Left(BadResponse), not retried, for %s', async (_name, wire) => {
    const { server, http } = await raw((_request, socket) => socket.end(wire));
    const { result } = await requestWith(http, server.url());
    expect(E.isLeft(result) && result.left._tag).toBe('BadResponse');
  });

  it('bytes past the Content-Length are no body, and the connection is not used again', async () => {
    const { server, http } = await raw((_request, socket) => socket.write(`${answer('exact')}JUNK`));
    expect((await text(http, server.url())).body).toBe('exact');
    expect((await text(http, server.url())).body).toBe('exact');
    expect(server.connections).toBe(2);
  });

  it('a body without framing runs until close; a reset during it makes the body reject', async () => {
    const { server, http } = await raw((request, socket) => {
      socket.write('HTTP/1.0 200 OK\r\n\r\nuntil the end');
      // A reset from within the write's callback goes out as a FIN; a moment later it is a real RST.
      if (request.connection === 1) socket.end();
      else setTimeout(() => socket.resetAndDestroy(), 20);
    });
    expect((await text(http, server.url())).body).toBe('until the end');
    const cut = right((await requestWith(http, server.url())).result);
    await expect(readAll(cut)).rejects.toThrow();
  });

  it('an abort while waiting for the head is Left(Aborted) at once and closes the socket', async () => {
    const { server, http } = await raw(() => undefined);
    const handle = createAbortHandle();
    const pending = http.request({ method: 'GET', url: server.url(), headers: {}, signal: handle.signal })();
    await server.until(() => server.requests.length === 1);
    handle.abort();
    expect(await pending).toEqual(E.left({ _tag: 'Aborted' }));
    await server.until(() => server.closed === 1);
  });

  it('opens at most maxConnectionsPerOrigin connections to an origin: requests past it wait in order, a waiting one can be aborted', async () => {
    const server = await RawServer.start((request, socket) =>
      socket.write(answer(`answer ${request.connection}.${request.onConnection}`)),
    );
    const http = new NodeHttp({ maxConnectionsPerOrigin: 2 });
    cleanups.push(
      () => server.close(),
      () => http.close(),
    );
    expect(http.maxConnectionsPerOrigin).toBe(2);
    const bodies = [0, 1, 2, 3].map(async () => (await text(http, server.url())).body);
    const handle = createAbortHandle();
    const aborted = http.request({ method: 'GET', url: server.url(), headers: {}, signal: handle.signal })();
    handle.abort();
    expect(await aborted).toEqual(E.left({ _tag: 'Aborted' }));
    const all = await Promise.all(bodies);
    expect(server.connections).toBe(2);
    // Each connection served two of the four, one after the other.
    expect(all.sort()).toEqual(['answer 1.0', 'answer 1.1', 'answer 2.0', 'answer 2.1']);
  });

  it('idle sockets are closed after idleTimeoutMs, and by close()', async () => {
    const server = await RawServer.start((_request, socket) => socket.write(answer('ok')));
    cleanups.push(() => server.close());
    const quick = new NodeHttp({ idleTimeoutMs: 50 });
    await text(quick, server.url());
    await server.until(() => server.closed === 1);
    const closing = new NodeHttp();
    await text(closing, server.url());
    expect(server.closed).toBe(1);
    closing.close();
    await server.until(() => server.closed === 2);
  });
});

describe('NodeHttp cookies (a cookie file’s, rdl -b file)', () => {
  const cookies = (text: string) => {
    const parsed = parseCookieFile(text);
    if (E.isLeft(parsed)) throw new Error(parsed.left.message);
    return parsed.right;
  };

  it('R37: each hop gets the cookies of its own host, after the caller’s Cookie; a redirect to another origin drops the caller’s and sends the file’s for that host', async () => {
    const first = await FaultServer.start();
    const second = await FaultServer.start();
    const http = new NodeHttp({
      cookies: cookies(
        '127.0.0.1\tFALSE\t/\tFALSE\t0\tfirst\t1\n' +
          'localhost\tFALSE\t/\tFALSE\t0\tsecond\t2\n' +
          'localhost\tFALSE\t/elsewhere\tFALSE\t0\tpath\t3\n' +
          'localhost\tFALSE\t/\tTRUE\t0\tsecure\t4\n',
      ),
    });
    try {
      second.serve('/file.bin', generateBytes(100, 1));
      const away = second.url('/file.bin').replace('127.0.0.1', 'localhost');
      first.redirect('/go', 302, away);
      const response = right((await requestWith(http, first.url('/go'), { Cookie: 'given=0' })).result);
      await readAll(response);
      expect(first.requests.map((request) => request.headers.cookie)).toEqual(['given=0; first=1']);
      expect(second.requests.map((request) => request.headers.cookie)).toEqual(['second=2']);
    } finally {
      http.close();
      await first.close();
      await second.close();
    }
  });

  it('sends no Cookie to a host the file has none for', async () => {
    const server = await FaultServer.start();
    const http = new NodeHttp({ cookies: cookies('elsewhere.test\tTRUE\t/\tFALSE\t0\tn\t1\n') });
    try {
      server.serve('/file.bin', generateBytes(10, 1));
      await readAll(right((await requestWith(http, server.url('/file.bin'))).result));
      expect(server.requests.map((request) => request.headers.cookie)).toEqual([undefined]);
    } finally {
      http.close();
      await server.close();
    }
  });
});

describe('NodeHttp resolve, ipFamily (curl’s --resolve, -4, -6)', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const started = async (options: Parameters<typeof FaultServer.start>[0] = {}): Promise<FaultServer> => {
    const server = await FaultServer.start(options);
    server.serve('/file.bin', generateBytes(1000, 2));
    cleanups.push(() => server.close());
    return server;
  };
  const made = (options: ConstructorParameters<typeof NodeHttp>[0]): NodeHttp => {
    const http = new NodeHttp(options);
    cleanups.push(() => http.close());
    return http;
  };

  it('connects to the address given for host:port; Host stays the URL’s; another port of that host is not covered', async () => {
    const server = await started();
    const port = Number(new URL(server.origin).port);
    const http = made({ resolve: [{ host: 'download.example', port, addresses: ['127.0.0.1'] }] });
    const response = right((await requestWith(http, `http://download.example:${port}/file.bin`)).result);
    expect((await readAll(response)).length).toBe(1000);
    expect(server.requests.map((request) => request.headers.host)).toEqual([`download.example:${port}`]);
    const other = right((await requestWith(http, `${server.origin}/file.bin`)).result);
    await readAll(other);
  });

  it('with ipFamily, only the addresses of that family: 6 reaches the server on ::1, 4 the one on 127.0.0.1, at the same port', async () => {
    const v6 = await started({ host: '::1' });
    const port = Number(new URL(v6.origin).port);
    const v4 = await started({ host: '127.0.0.1', port });
    const resolve = [{ host: 'dual.example', port, addresses: ['127.0.0.1', '::1'] }];
    const url = `http://dual.example:${port}/file.bin`;
    await readAll(right((await requestWith(made({ resolve, ipFamily: 6 }), url)).result));
    expect([v6.requests.length, v4.requests.length]).toEqual([1, 0]);
    await readAll(right((await requestWith(made({ resolve, ipFamily: 4 }), url)).result));
    expect([v6.requests.length, v4.requests.length]).toEqual([1, 1]);
    const none = await requestWith(
      made({ resolve: [{ host: 'v4.example', port, addresses: ['127.0.0.1'] }], ipFamily: 6 }),
      `http://v4.example:${port}/file.bin`,
    );
    expect(E.isLeft(none.result) && none.result.left).toMatchObject({
      _tag: 'NetworkError',
      message: expect.stringMatching(/v4\.example:\d+ has no IPv6 address among those given/),
    });
  });

  it('ipFamily 4 and a URL whose host is an IPv6 address: a NetworkError saying why, nothing sent', async () => {
    const v6 = await started({ host: '::1' });
    const failed = await requestWith(made({ ipFamily: 4 }), `${v6.origin}/file.bin`);
    expect(E.isLeft(failed.result) && failed.result.left).toMatchObject({
      _tag: 'NetworkError',
      message: '::1 is an IPv6 address, and only IPv4 is used (-4)',
    });
    expect(v6.connections).toBe(0);
  });

  it('resolve covers the proxy’s host too: plain http to it, and the CONNECT of https', async () => {
    const proxy = await RawServer.start((request, socket) =>
      socket.write(
        request.head.startsWith('CONNECT')
          ? 'HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'
          : answer('via'),
      ),
    );
    cleanups.push(() => proxy.close());
    const port = Number(new URL(proxy.url()).port);
    const http = made({
      proxy: `http://proxy.example:${port}`,
      noProxy: '',
      resolve: [{ host: 'proxy.example', port, addresses: ['127.0.0.1'] }],
    });
    const plain = right((await requestWith(http, 'http://origin.example/x')).result);
    expect((await readAll(plain)).toString()).toBe('via');
    const tunnel = await requestWith(http, 'https://origin.example/x');
    expect(E.isLeft(tunnel.result) && tunnel.result.left).toMatchObject({
      _tag: 'ProxyRefused',
      status: 403,
    });
    expect(proxy.requests.map((request) => request.head.split('\r\n')[0])).toEqual([
      'GET http://origin.example/x HTTP/1.1',
      'CONNECT origin.example:443 HTTP/1.1',
    ]);
  });

  it('R30: an address that is no IP, a host that is one, a port out of range: refused when made', () => {
    const cases: ReadonlyArray<readonly [ConstructorParameters<typeof NodeHttp>[0], RegExp]> = [
      [{ resolve: [{ host: 'a.example', port: 80, addresses: ['nope'] }] }, /"nope" is not an IP address/],
      [{ resolve: [{ host: '127.0.0.1', port: 80, addresses: ['127.0.0.1'] }] }, /is not a host name/],
      [{ resolve: [{ host: 'a.example', port: 0, addresses: ['127.0.0.1'] }] }, /0 is not a port/],
      [{ resolve: [{ host: 'a.example', port: 80, addresses: [] }] }, /no address for a\.example:80/],
      [{ ipFamily: 5 as 4 }, /ipFamily must be 4 or 6/],
    ];
    for (const [options, message] of cases) expect(() => new NodeHttp(options)).toThrow(message);
  });
});

describe('NodeHttp chunks', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])(
    'with %s: consecutive chunks of one slot are adjacent views, and a slow reader gets bigger ones',
    async (_name, chunked) => {
      const server = await FaultServer.start();
      const http = new NodeHttp();
      cleanups.push(
        () => server.close(),
        () => http.close(),
      );
      const body = generateBytes(6 * 1024 * 1024, 3);
      server.serve('/big', body, { chunked });
      const response = right((await requestWith(http, server.url('/big'))).result);
      const chunks: Uint8Array[] = [];
      for await (const chunk of response.body) {
        chunks.push(chunk);
        // A reader slower than loopback: several reads land between two takes.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(Buffer.concat(chunks).equals(body)).toBe(true);
      let adjacent = 0;
      for (const [index, chunk] of chunks.entries()) {
        const previous = chunks[index - 1];
        if (previous === undefined || previous.buffer !== chunk.buffer) continue;
        // Within one slot, nothing lies between two chunks: no framing, no gap.
        expect(chunk.byteOffset).toBe(previous.byteOffset + previous.byteLength);
        adjacent += 1;
      }
      expect(adjacent).toBeGreaterThan(0);
      // One take gives every byte received in the slot since the last: more than node:http's 64 KiB reads.
      expect(Math.max(...chunks.map((chunk) => chunk.byteLength))).toBeGreaterThan(64 * 1024);
    },
  );
});

describe('NodeHttp recycle', () => {
  it('slots given back serve again, and no byte is overwritten before the reader took it', async () => {
    const server = await FaultServer.start();
    const http = new NodeHttp({ slotBytes: 64 * 1024, maxQueuedBytes: 256 * 1024 });
    try {
      const body = generateBytes(4 * 1024 * 1024, 5);
      server.serve('/big', body);
      server.serve('/chunked', body, { chunked: true });
      // A body let go with bytes still queued gives them back unread.
      const dropped = right((await requestWith(http, server.url('/big'))).result);
      const droppedBody = dropped.body;
      if (!(droppedBody instanceof ResponseBody)) throw new Error('NodeHttp bodies are ResponseBody');
      const first = await droppedBody.next();
      expect(first.done).toBe(false);
      while (droppedBody.queued === 0) await new Promise((resolve) => setImmediate(resolve));
      await droppedBody.return();

      const buffers = new Set<ArrayBufferLike>();
      for (const path of ['/big', '/chunked', '/big']) {
        const response = right((await requestWith(http, server.url(path))).result);
        const recycle = response.recycle;
        if (recycle === undefined) throw new Error('NodeHttp takes chunks back');
        const copies: Buffer[] = [];
        for await (const chunk of response.body) {
          copies.push(Buffer.from(chunk));
          buffers.add(chunk.buffer);
          recycle(chunk);
          // Now and then a slower take, so that the queue fills while given-back slots are read into again.
          if (copies.length % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        expect(Buffer.concat(copies).equals(body)).toBe(true);
      }
      // 12 MiB went through 64 KiB slots: without reuse that is 192 of them.
      expect(buffers.size).toBeLessThan(40);
    } finally {
      http.close();
      await server.close();
    }
  });
});
