import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeHttp } from '../src/NodeHttp.js';
import { FaultServer, generateBytes, sha256 } from './support/faultServer.js';
import { completes, fails } from './support/harness.js';
import { selfSigned } from './support/selfSigned.js';
import { makeTempDir, useTempDir } from './support/tempDir.js';
import { startTinyproxy, type Tinyproxy } from './support/tinyproxy.js';

const body = generateBytes(3 * 1024 * 1024 + 5, 21);
const dir = useTempDir('rdl-proxy-');

let temp: { dir: string; cleanup: () => Promise<void> };
let plain: FaultServer;
let secure: FaultServer;
let ca: Buffer;
/** An https origin whose certificate names only `elsewhere.test`, trusted (its own CA) but not for 127.0.0.1. */
let elsewhere: FaultServer;
let elsewhereCa: Buffer;
let proxy: Tinyproxy;
let guarded: Tinyproxy;

/** A proxy URL with the credentials of tinyproxy's `BasicAuth rdl s3cr.t`, the `.` percent-encoded (`%2E`). */
const withCredentials = (p: Tinyproxy): string => p.url.replace('http://', 'http://rdl:s3cr%2Et@');

beforeAll(async () => {
  temp = await makeTempDir('rdl-tinyproxy-');
  const certificate = await selfSigned(temp.dir);
  ca = certificate.cert;
  plain = await FaultServer.start();
  secure = await FaultServer.start({ tls: { key: certificate.key, cert: certificate.cert } });
  const other = await selfSigned(temp.dir, 'elsewhere.test');
  elsewhereCa = other.cert;
  elsewhere = await FaultServer.start({ tls: { key: other.key, cert: other.cert } });
  const securePorts = [secure, elsewhere].map((server) => Number(new URL(server.origin).port));
  proxy = await startTinyproxy(temp.dir, { connectPorts: securePorts });
  guarded = await startTinyproxy(temp.dir, {
    connectPorts: securePorts,
    basicAuth: { user: 'rdl', password: 's3cr.t' },
  });
});
afterAll(async () => {
  await proxy?.stop();
  await guarded?.stop();
  await plain?.close();
  await secure?.close();
  await elsewhere?.close();
  await temp?.cleanup();
});
beforeEach(() => {
  plain.requests.length = 0;
  secure.requests.length = 0;
  elsewhere.requests.length = 0;
  proxy.clear();
  guarded.clear();
});

describe('downloads through tinyproxy', () => {
  it('R37: http goes to the proxy in absolute form; the origin sees the proxy’s Via and the file is whole', async () => {
    plain.serve('/plain.bin', body);
    const target = join(dir(), 'plain.bin');
    const http = new NodeHttp({ proxy: proxy.url });
    await completes({ url: plain.url('/plain.bin'), target }, { http });
    expect(sha256(await readFile(target))).toBe(sha256(body));
    expect(proxy.requests()).toContain(`GET ${plain.url('/plain.bin')} HTTP/1.1`);
    expect(plain.requests.length).toBeGreaterThan(0);
    for (const request of plain.requests) expect(String(request.headers.via)).toContain('tinyproxy');
    http.close();
  });

  it('R37: https goes through CONNECT, TLS to the origin inside, its certificate checked against the origin’s name', async () => {
    secure.serve('/secure.bin', body);
    const target = join(dir(), 'secure.bin');
    const http = new NodeHttp({ proxy: proxy.url, tls: { ca } });
    await completes({ url: secure.url('/secure.bin').replace('127.0.0.1', 'localhost'), target }, { http });
    expect(sha256(await readFile(target))).toBe(sha256(body));
    const port = new URL(secure.origin).port;
    expect(proxy.requests().filter((line) => line.startsWith('CONNECT '))).not.toHaveLength(0);
    expect(proxy.requests().every((line) => line === `CONNECT localhost:${port} HTTP/1.1`)).toBe(true);
    // Inside the tunnel tinyproxy sees nothing of the requests, and adds no Via.
    expect(secure.requests.length).toBeGreaterThan(0);
    for (const request of secure.requests) expect(request.headers.via).toBeUndefined();
    http.close();
  });

  it('R37: through the tunnel, a trusted certificate for another name than the origin’s is refused (ERR_TLS)', async () => {
    elsewhere.serve('/other.bin', body);
    const http = new NodeHttp({ proxy: proxy.url, tls: { ca: [ca, elsewhereCa] } });
    const outcome = await fails(
      { url: elsewhere.url('/other.bin'), target: join(dir(), 'other.bin') },
      { http },
    );
    expect(outcome.error?.code).toBe('ERR_TLS');
    expect(outcome.error?.message).toContain('127.0.0.1');
    expect(elsewhere.requests).toEqual([]);
    http.close();
  });

  it('NO_PROXY: a host on the noProxy list is reached directly: the proxy logs nothing, the origin sees no Via', async () => {
    plain.serve('/direct.bin', body);
    const target = join(dir(), 'direct.bin');
    const http = new NodeHttp({ proxy: proxy.url, noProxy: 'example.com, 127.0.0.1' });
    await completes({ url: plain.url('/direct.bin'), target }, { http });
    expect(sha256(await readFile(target))).toBe(sha256(body));
    expect(proxy.requests()).toEqual([]);
    for (const request of plain.requests) expect(request.headers.via).toBeUndefined();
    http.close();
  });

  it('R29: a proxy that wants credentials answers 407: ERR_PROXY at once, not retried, one line naming the proxy', async () => {
    plain.serve('/auth.bin', body);
    const target = join(dir(), 'auth.bin');
    const http = new NodeHttp({ proxy: guarded.url });
    const outcome = await fails({ url: plain.url('/auth.bin'), target }, { http });
    expect(outcome.error?.code).toBe('ERR_PROXY');
    expect(outcome.error?.message).toContain(`proxy ${guarded.url}`);
    expect(outcome.error?.message).toContain('407');
    expect(outcome.error?.message).not.toContain('\n');
    expect(plain.requests).toEqual([]);
    // The HEAD's 407 is final: no GET probe after it, no retry.
    expect(guarded.requests()).toHaveLength(1);
    http.close();
  });

  it('R29: a CONNECT refused with 407 is ERR_PROXY too, and says that credentials are wanted', async () => {
    secure.serve('/auth.bin', body);
    const http = new NodeHttp({ proxy: guarded.url, tls: { ca } });
    const outcome = await fails({ url: secure.url('/auth.bin'), target: join(dir(), 'auth.bin') }, { http });
    expect(outcome.error?.code).toBe('ERR_PROXY');
    expect(outcome.error?.message).toMatch(/407 to CONNECT 127\.0\.0\.1:\d+ \(it wants credentials/);
    expect(secure.requests).toEqual([]);
    http.close();
  });

  it('R37: credentials in the proxy URL (percent-decoded) pass the 407, go to the proxy only, and are never shown', async () => {
    plain.serve('/auth.bin', body);
    secure.serve('/auth.bin', body);
    for (const [server, name] of [
      [plain, 'plain.bin'],
      [secure, 'secure.bin'],
    ] as const) {
      const target = join(dir(), name);
      const http = new NodeHttp({ proxy: withCredentials(guarded), tls: { ca } });
      await completes({ url: server.url('/auth.bin'), target }, { http });
      expect(sha256(await readFile(target))).toBe(sha256(body));
      for (const request of server.requests) {
        expect(request.headers['proxy-authorization']).toBeUndefined();
        expect(request.headers.authorization).toBeUndefined();
      }
      http.close();
    }
    // tinyproxy answers wrong credentials with 401, which to CONNECT is the proxy's own answer.
    const wrong = new NodeHttp({ proxy: guarded.url.replace('http://', 'http://rdl:wrong@'), tls: { ca } });
    const outcome = await fails(
      { url: secure.url('/auth.bin'), target: join(dir(), 'wrong.bin') },
      { http: wrong },
    );
    expect(outcome.error?.code).toBe('ERR_PROXY');
    expect(outcome.error?.message).toContain('refused the credentials');
    expect(outcome.error?.message).not.toContain('wrong');
    expect(outcome.error?.message).not.toContain('rdl:');
    wrong.close();
  });
});
