import { join } from 'node:path';
import { URL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeHttp } from '../src/NodeHttp.js';
import { generateBytes } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fails } from './support/harness.js';
import { RawServer } from './support/rawServer.js';
import { listDir, useTempDir } from './support/tempDir.js';

const dir = useTempDir('rdl-proxy-hostile-');
const origin = useFaultServer();
const body = generateBytes(64 * 1024, 5);

let fake: RawServer | null = null;
let http: NodeHttp | null = null;
afterEach(async () => {
  http?.close();
  await fake?.close();
  fake = null;
  http = null;
});

/** A fake proxy that answers every request with `reply` (or does what it says to the socket). */
const fakeProxy = async (reply: (socket: import('node:net').Socket) => void): Promise<RawServer> => {
  fake = await RawServer.start((_request, socket) => reply(socket));
  return fake;
};

/** An https URL on a port nobody listens on: the fake proxy never connects anywhere. */
const httpsUrl = 'https://origin.test:8443/f.bin';

describe('a hostile proxy: a one-line typed error, nothing written, no hang', () => {
  it('R29, R36: garbage in answer to CONNECT is ERR_PROXY at once (final: asked once), nothing written', async () => {
    const proxy = await fakeProxy((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    http = new NodeHttp({ proxy: proxy.url() });
    const outcome = await fails({ url: httpsUrl, target: join(dir(), 'f.bin') }, { http });
    expect(outcome.error.code).toBe('ERR_PROXY');
    expect(outcome.error.message).toMatch(
      /^proxy http:\/\/127\.0\.0\.1:\d+: invalid answer to CONNECT origin\.test:8443/,
    );
    expect(proxy.requests).toHaveLength(1);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R29: a head over 64 KiB in answer to CONNECT is refused as ERR_PROXY, never buffered without bound', async () => {
    const proxy = await fakeProxy((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 2_000; i += 1) socket.write(`x-filler-${i}: ${'y'.repeat(60)}\r\n`);
    });
    http = new NodeHttp({ proxy: proxy.url() });
    const outcome = await fails({ url: httpsUrl, target: join(dir(), 'f.bin') }, { http });
    expect(outcome.error.code).toBe('ERR_PROXY');
    expect(outcome.error.message).toContain('over 65536 bytes');
    expect(await listDir(dir())).toEqual([]);
  });

  it('R29: bytes after a 200 to CONNECT, before the client’s TLS hello, are garbage: ERR_PROXY', async () => {
    const proxy = await fakeProxy((socket) =>
      socket.write('HTTP/1.1 200 Connection established\r\n\r\nhello'),
    );
    http = new NodeHttp({ proxy: proxy.url() });
    const outcome = await fails({ url: httpsUrl, target: join(dir(), 'f.bin') }, { http });
    expect(outcome.error.code).toBe('ERR_PROXY');
    expect(outcome.error.message).toContain('sent bytes after its answer to CONNECT');
  });

  it('R25: a 200 to CONNECT and then a closed tunnel is a network failure, retried, then given up with one line', async () => {
    const proxy = await fakeProxy((socket) => socket.end('HTTP/1.1 200 Connection established\r\n\r\n'));
    http = new NodeHttp({ proxy: proxy.url() });
    const outcome = await fails(
      { url: httpsUrl, target: join(dir(), 'f.bin'), retry: { retries: 2 } },
      { http },
    );
    expect(outcome.error.code).toBe('ERR_RETRIES_EXHAUSTED');
    expect(outcome.error.message).toMatch(/^gave up after 3 attempts: network error: .*(socket|TLS)/);
    expect(outcome.error.message).not.toContain('\n');
    expect(await listDir(dir())).toEqual([]);
  });

  it('R25: a 502 to CONNECT passes (the proxy could not reach the origin): retried, the last failure ERR_PROXY', async () => {
    const proxy = await fakeProxy((socket) =>
      socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n'),
    );
    http = new NodeHttp({ proxy: proxy.url() });
    const outcome = await fails(
      { url: httpsUrl, target: join(dir(), 'f.bin'), retry: { retries: 2 } },
      { http },
    );
    expect(outcome.error.code).toBe('ERR_RETRIES_EXHAUSTED');
    expect(outcome.error.failure).toMatchObject({
      last: { _tag: 'ProxyRefused', reason: 'refused', status: 502 },
    });
    // Three attempts, the HEAD of each followed by the GET probe (R16: a HEAD that failed passingly).
    expect(
      proxy.requests.every((request) => request.head.startsWith('CONNECT origin.test:8443 HTTP/1.1\r\n')),
    ).toBe(true);
    expect(proxy.requests).toHaveLength(6);
  });

  it('R29: a 403 to CONNECT is final: ERR_PROXY, asked once', async () => {
    const proxy = await fakeProxy((socket) =>
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'),
    );
    http = new NodeHttp({ proxy: proxy.url() });
    const outcome = await fails({ url: httpsUrl, target: join(dir(), 'f.bin') }, { http });
    expect(outcome.error.code).toBe('ERR_PROXY');
    expect(outcome.error.message).toContain('answered HTTP 403 to CONNECT origin.test:8443');
    expect(proxy.requests).toHaveLength(1);
  });

  it('R25: a proxy that cannot be reached is ERR_PROXY (not ERR_NETWORK), retried as the network is', async () => {
    const proxy = await fakeProxy(() => undefined);
    const port = new URL(proxy.url()).port;
    await proxy.close();
    fake = null;
    http = new NodeHttp({ proxy: `http://user:pw@127.0.0.1:${port}` });
    const outcome = await fails(
      { url: origin.url('/none'), target: join(dir(), 'f.bin'), retry: { retries: 1 } },
      { http },
    );
    expect(outcome.error.failure).toMatchObject({ last: { _tag: 'ProxyRefused', reason: 'unreachable' } });
    expect(outcome.error.message).toContain(`proxy http://127.0.0.1:${port}: cannot be reached`);
    expect(outcome.error.message).not.toContain('pw');
  });

  it('R25: a proxy that accepts and never answers CONNECT is unreachable past connectTimeoutMs, named with the time, and retried', async () => {
    const proxy = await fakeProxy(() => undefined);
    http = new NodeHttp({ proxy: proxy.url(), connectTimeoutMs: 100 });
    // A stall timeout no run reaches: only the connect timeout can end a request.
    const outcome = await fails(
      { url: httpsUrl, target: join(dir(), 'f.bin'), retry: { retries: 1 }, stallTimeoutMs: 600_000 },
      { http },
    );
    expect(outcome.error.failure).toMatchObject({ last: { _tag: 'ProxyRefused', reason: 'unreachable' } });
    expect(outcome.error.message).toBe(
      `gave up after 2 attempts: proxy ${proxy.url().replace(/\/$/, '')}: did not answer CONNECT origin.test:8443 within 0.1 s (connect timeout)`,
    );
    // The probe's HEAD and its GET fallback (R16), each tried twice: every one a CONNECT left unanswered.
    const lines = proxy.requests.map((request) => request.head.split('\r\n')[0]);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(new Set(lines)).toEqual(new Set(['CONNECT origin.test:8443 HTTP/1.1']));
  });

  it('R29: a 407 to an absolute-form request names the method it refused: the probe’s HEAD, final', async () => {
    const proxy = await fakeProxy((socket) =>
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n'),
    );
    http = new NodeHttp({ proxy: proxy.url() });
    const outcome = await fails(
      { url: 'http://origin.test:8080/f.bin', target: join(dir(), 'h.bin') },
      { http },
    );
    expect(outcome.error.code).toBe('ERR_PROXY');
    // The probe's HEAD got it, final: no GET was sent, and the message does not name one.
    expect(outcome.error.message).toContain('answered HTTP 407 to HEAD http://origin.test:8080/f.bin');
    expect(proxy.requests.map((request) => request.head.split(' ')[0])).toEqual(['HEAD']);
  });

  it('R37: the proxy’s credentials go on CONNECT and on each absolute-form request, to the proxy alone', async () => {
    const proxy = await fakeProxy((socket) =>
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'),
    );
    http = new NodeHttp({ proxy: proxy.url().replace('http://', 'http://us%65r:p%40ss@') });
    await fails({ url: httpsUrl, target: join(dir(), 'a.bin') }, { http });
    await fails(
      { url: 'http://origin.test:8080/f.bin', target: join(dir(), 'b.bin'), retry: { retries: 0 } },
      { http },
    );
    const basic = `proxy-authorization: Basic ${Buffer.from('user:p@ss').toString('base64')}\r\n`;
    const [connect, get] = proxy.requests;
    expect(connect?.head).toMatch(/^CONNECT origin\.test:8443 HTTP\/1\.1\r\nhost: origin\.test:8443\r\n/);
    expect(connect?.head).toContain(basic);
    expect(get?.head).toMatch(
      /^HEAD http:\/\/origin\.test:8080\/f\.bin HTTP\/1\.1\r\nhost: origin\.test:8080\r\n/,
    );
    expect(get?.head).toContain(basic);
  });

  it('R37: a direct request to an origin never takes a proxied connection to it, nor the reverse', async () => {
    origin.serve('/mixed.bin', body);
    const relay = await fakeProxy((socket) =>
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'),
    );
    // One transport, one origin: proxied under one name of it, direct under the list.
    http = new NodeHttp({ proxy: relay.url(), noProxy: '127.0.0.1' });
    const direct = await fails({ url: origin.url('/missing'), target: join(dir(), 'd.bin') }, { http });
    expect(direct.error.code).toBe('ERR_HTTP_STATUS');
    const viaProxy = await fails(
      { url: origin.url('/missing').replace('127.0.0.1', 'localhost'), target: join(dir(), 'p.bin') },
      { http },
    );
    expect(viaProxy.error.code).toBe('ERR_HTTP_STATUS');
    // The HEAD, and the GET probe after its 403 (R16; sent again on a new connection when the fake proxy's close
    // made the kept one stale): all for the proxied name, all to the proxy.
    const proxied = origin.url('/missing').replace('127.0.0.1', 'localhost');
    const lines = relay.requests.map((request) => request.head.split('\r\n')[0]);
    expect(lines[0]).toBe(`HEAD ${proxied} HTTP/1.1`);
    expect(lines.slice(1).every((line) => line === `GET ${proxied} HTTP/1.1`)).toBe(true);
    expect(origin.requests.every((request) => !request.url.includes('localhost'))).toBe(true);
  });
});
