import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFetchHttp } from '../src/NodeFetchHttp.js';
import { NodeHttp } from '../src/NodeHttp.js';
import { FaultServer, generateBytes } from './support/faultServer.js';
import { HostileServer } from './support/hostileServer.js';
import { type NodeHttpPort, readAll, requestWith, right } from './support/httpContract.js';
import { RawServer } from './support/rawServer.js';
import { selfSigned } from './support/selfSigned.js';
import { makeTempDir } from './support/tempDir.js';

const body = generateBytes(100_000, 3);

const transports: ReadonlyArray<
  readonly [string, (options?: { allowHttpsDowngrade?: boolean; ca?: Buffer }) => NodeHttpPort]
> = [
  ['NodeHttp', ({ ca, ...o } = {}) => new NodeHttp({ ...o, ...(ca && { tls: { ca } }) })],
  ['NodeFetchHttp', ({ ca, ...o } = {}) => new NodeFetchHttp({ ...o, ...(ca && { tls: { ca } }) })],
];

/**
 * Malformed heads both transports refuse, each with the bytes that follow it. Those whose framing node:http reads
 * say `connection: close`, as the raw server closes after each answer: node:http's agent would otherwise pool the
 * socket and send the next test's request on it as the server's FIN arrives.
 */
const malformedHeads: ReadonlyArray<readonly [string, string]> = [
  ['a status line that is not HTTP/1.x NNN', 'HTTP/1.1 2OO OK\r\ncontent-length: 3\r\n\r\nabc'],
  // Below 100 none is an interim answer to skip: `000` was, and the request waited for a head that never came.
  ['a status code 000', 'HTTP/1.1 000 Bogus\r\nconnection: close\r\ncontent-length: 3\r\n\r\nabc'],
  ['a status code 099', 'HTTP/1.1 099 X\r\nconnection: close\r\ncontent-length: 3\r\n\r\nabc'],
  ['a status code 600', 'HTTP/1.1 600 X\r\nconnection: close\r\ncontent-length: 3\r\n\r\nabc'],
  ['an invalid Content-Length', 'HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\nabc'],
  ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd'],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\ncontent-length: 3\r\n\r\nabc'],
  ['a NUL in a value', 'HTTP/1.1 200 OK\r\nx-a: a\x00b\r\ncontent-length: 3\r\n\r\nabc'],
  ['a CR in a value', 'HTTP/1.1 200 OK\r\nx-a: a\rb\r\ncontent-length: 3\r\n\r\nabc'],
  // Which of two the server meant cannot be told (Chrome refuses two Locations too).
  [
    'two different Locations',
    'HTTP/1.1 302 Found\r\nconnection: close\r\nlocation: /a\r\nlocation: /b\r\ncontent-length: 0\r\n\r\n',
  ],
  [
    'two different ETags',
    'HTTP/1.1 200 OK\r\nconnection: close\r\netag: "a"\r\netag: "b"\r\ncontent-length: 3\r\n\r\nabc',
  ],
  ['a field without a colon', 'HTTP/1.1 200 OK\r\nno colon\r\ncontent-length: 3\r\n\r\nabc'],
  ['a head of 1 MiB', `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(1024 * 1024)}\r\ncontent-length: 3\r\n\r\nabc`],
  [
    'Transfer-Encoding: gzip, chunked',
    'HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  ],
  [
    'Transfer-Encoding: chunked, chunked',
    'HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  ],
  [
    'Transfer-Encoding: identity',
    'HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: identity\r\n\r\nabc',
  ],
  [
    'an unknown Transfer-Encoding',
    'HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: x-rdl\r\n\r\nabc',
  ],
];

describe.each(transports)('%s against a hostile server (R36)', (_name, make) => {
  let raw: RawServer;
  let hostile: HostileServer;
  let next = '';
  let http: NodeHttpPort;
  beforeAll(async () => {
    raw = await RawServer.start((_request, socket) => socket.end(Buffer.from(next, 'latin1')));
    hostile = await HostileServer.start({ body, etag: '"v1"' });
    http = make();
  });
  afterAll(async () => {
    http.close();
    await raw.close();
    await hostile.close();
  });

  it.each(malformedHeads)(
    'R36: %s is Left(BadResponse) with its reason, at the first request: final, not a network error',
    async (_case, text) => {
      next = text;
      const before = raw.requests.length;
      const { result } = await requestWith(http, raw.url('/f'));
      expect(E.isLeft(result) && result.left).toEqual({ _tag: 'BadResponse', reason: expect.any(String) });
      if (E.isLeft(result) && result.left._tag === 'BadResponse')
        expect(result.left.reason).not.toMatch(/\n/);
      expect(raw.requests.length - before).toBe(1);
    },
  );

  it('R36: a Content-Length beside Transfer-Encoding: chunked is never taken as the end of the body', async () => {
    hostile.lie({ kind: 'lengthBesideChunked', length: 3 });
    const { result } = await requestWith(http, hostile.url());
    if (http instanceof NodeFetchHttp) {
      // Node's parser refuses the pair outright (RFC 9112 §6.1 allows it to): final all the same.
      expect(E.isLeft(result) && result.left._tag).toBe('BadResponse');
      return;
    }
    // NodeHttp ignores the length as §6.1 says, and does not pass it on.
    const response = right(result);
    expect(response.headers).not.toHaveProperty('content-length');
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect((await readAll(response)).equals(body)).toBe(true);
  });

  it('R36: a refused Transfer-Encoding on a HEAD is refused too (the GET would be)', async () => {
    hostile.lie({ kind: 'transferEncoding', value: 'gzip, chunked' }, 'HEAD');
    const { result } = await requestWith(http, hostile.url(), {}, 'HEAD');
    expect(E.isLeft(result) && result.left._tag).toBe('BadResponse');
  });

  it('an HTTP/1.0 body without a length closed early ends cleanly: the port cannot tell a cut, core does (R35)', async () => {
    hostile.lie({ kind: 'http10UntilClose', at: 50_000 });
    const response = right((await requestWith(http, hostile.url())).result);
    expect(response.headers).not.toHaveProperty('content-length');
    expect((await readAll(response)).equals(body.subarray(0, 50_000))).toBe(true);
  });
});

describe('NodeHttp only (node:http cannot see these)', () => {
  let raw: RawServer;
  let next = '';
  beforeAll(async () => {
    raw = await RawServer.start((_request, socket) => socket.end(Buffer.from(next, 'latin1')));
  });
  afterAll(() => raw.close());

  it.each([
    [
      'a Transfer-Encoding in HTTP/1.0',
      'HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    [
      '10 000 interim 1xx answers',
      `${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(10_000)}HTTP/1.1 200 OK\r\n\r\n`,
    ],
    ['a 101 never asked for', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n'],
  ])('R36: %s is Left(BadResponse)', async (_case, text) => {
    next = text;
    const http = new NodeHttp();
    const { result } = await requestWith(http, raw.url('/f'));
    expect(E.isLeft(result) && result.left._tag).toBe('BadResponse');
    http.close();
  });

  it('R25: a connection closed before any head is still a network error, retried by core', async () => {
    next = 'HTTP/1.1 200 O';
    const http = new NodeHttp();
    const { result } = await requestWith(http, raw.url('/f'));
    expect(E.isLeft(result) && result.left._tag).toBe('NetworkError');
    http.close();
  });
});

describe.each(transports)('%s: https never goes on over http (R37)', (_name, make) => {
  let https: Server;
  let plain: FaultServer;
  let ca: Buffer;
  let cleanup: () => Promise<void>;
  let httpsUrl: (path: string) => string;
  const secrets = {
    authorization: 'Bearer s3cret',
    'proxy-authorization': 'Basic cHJveHk6czNjcmV0',
    'x-api-key': 's3cret',
    cookie: 'session=s3cret',
    'user-agent': 'app/1',
  };

  beforeAll(async () => {
    const temp = await makeTempDir('rdl-r37-');
    cleanup = temp.cleanup;
    const certificate = await selfSigned(temp.dir);
    ca = certificate.cert;
    plain = await FaultServer.start();
    plain.serve('/file', body);
    https = createServer({ key: certificate.key, cert: certificate.cert }, (_request, response) => {
      response.writeHead(302, { location: plain.url('/file'), 'content-length': '0' }).end();
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const { port } = https.address() as AddressInfo;
    httpsUrl = (path) => `https://localhost:${port}${path}`;
  });
  afterAll(async () => {
    https.closeAllConnections();
    await new Promise((resolve) => https.close(resolve));
    await plain.close();
    await cleanup();
  });

  it('R37: a redirect from https to http is RedirectRefused, and nothing is sent over http', async () => {
    const http = make({ ca });
    const before = plain.requests.length;
    const { result } = await requestWith(http, httpsUrl('/down'), secrets);
    expect(E.isLeft(result) && result.left).toEqual({
      _tag: 'RedirectRefused',
      location: plain.url('/file'),
      message: 'a redirect from https to http (allow it with allowHttpsDowngrade)',
    });
    expect(plain.requests.length).toBe(before);
    http.close();
  });

  it('R37: allowed, it is followed, and no header that may be a secret crosses to the other origin', async () => {
    const http = make({ ca, allowHttpsDowngrade: true });
    plain.requests.length = 0;
    const response = right((await requestWith(http, httpsUrl('/down'), secrets)).result);
    expect((await readAll(response)).equals(body)).toBe(true);
    expect(response.url).toBe(plain.url('/file'));
    const [hop] = plain.requests;
    for (const name of ['authorization', 'proxy-authorization', 'x-api-key', 'cookie'])
      expect(hop?.headers).not.toHaveProperty(name);
    expect(hop?.headers['user-agent']).toBe('app/1');
    http.close();
  });
});
