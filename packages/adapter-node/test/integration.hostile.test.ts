import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { completes, fails, fileSha256 } from './support/harness.js';
import { HostileServer, type Lie } from './support/hostileServer.js';
import { listDir, useTempDir } from './support/tempDir.js';

/** The HEAD of every case declares 100 000 bytes under a strong ETag; the data GETs lie (issue 8, list 3). */
const body = generateBytes(100_000, 8);
const dir = useTempDir();
let server: HostileServer;
beforeAll(async () => {
  server = await HostileServer.start({ body, etag: '"strong-1"' });
});
afterAll(() => server.close());

const target = (): string => join(dir(), 'out.bin');
const download = (lie: Lie) => {
  server.lie(lie);
  return { url: server.url(), target: target() };
};
const dataGets = (from: number): string[] => server.gets().slice(from);
/**
 * `lie` for the data GET, and again for the one it is sent once more as: the GET goes on the probe's kept-alive
 * connection, where bytes that are no answer may be a HEAD's stray body (a naive server), so NodeHttp sends it again
 * on a new connection; what the server answers there is its own (R36).
 */
const lieTwice = (lie: Lie): void => {
  server.lie(lie);
  server.lie(lie);
};

describe('a server lying about lengths and framing (R35, R36)', () => {
  it('R35: an HTTP/1.0 body without a length closed after 50 000 of 100 000 bytes is resumed, never saved short', async () => {
    const before = server.gets().length;
    await completes(download({ kind: 'http10UntilClose', at: 50_000 }));
    expect(await fileSha256(target())).toBe(sha256(body));
    expect(dataGets(before)).toHaveLength(2);
    expect(dataGets(before)[1]).toMatch(/\r\nrange: bytes=50000-\r\n/);
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R35: a chunked body that ends cleanly before the probe total is resumed, never saved short', async () => {
    const before = server.gets().length;
    await completes(download({ kind: 'chunkedShort', at: 30_000 }));
    expect(await fileSha256(target())).toBe(sha256(body));
    expect(dataGets(before)[1]).toMatch(/\r\nrange: bytes=30000-\r\n/);
  });

  it('R36: Content-Length: 3 beside Transfer-Encoding: chunked saves the whole file, not 3 bytes', async () => {
    await completes(download({ kind: 'lengthBesideChunked', length: 3 }));
    expect(await fileSha256(target())).toBe(sha256(body));
  });

  it('R36: a chunk size that is not hex, after good chunks, is a final ERR_BAD_RESPONSE: no retry, no file', async () => {
    const before = server.gets().length;
    const good = body.subarray(0, 1000).toString('latin1');
    const text = `HTTP/1.1 200 OK\r\nETag: "strong-1"\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n${good}\r\nzz\r\n`;
    lieTwice({ kind: 'raw', text });
    const { error, events } = await fails({ url: server.url(), target: target() });
    expect(error.code).toBe('ERR_BAD_RESPONSE');
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(dataGets(before)).toHaveLength(2);
    expect(existsSync(target())).toBe(false);
  });

  it.each(['gzip, chunked', 'chunked, chunked', 'identity', 'x-unknown'])(
    'R36: Transfer-Encoding: %s fails at once as ERR_BAD_RESPONSE, the GET sent once more on a new connection only, nothing saved',
    async (value) => {
      const before = server.gets().length;
      server.lie({ kind: 'transferEncoding', value });
      const { error, events } = await fails(download({ kind: 'transferEncoding', value }));
      expect(error.code).toBe('ERR_BAD_RESPONSE');
      expect(error.message).toContain(value);
      expect(events.filter((e) => e.type === 'retry')).toEqual([]);
      expect(dataGets(before)).toHaveLength(2);
      expect(existsSync(target())).toBe(false);
    },
  );

  it('R36: a malformed head fails at once as ERR_BAD_RESPONSE, not retried eight times as a network error', async () => {
    const before = server.gets().length;
    const folded: Lie = { kind: 'raw', text: 'HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\n\r\n' };
    server.lie(folded);
    const { error, events } = await fails(download(folded));
    expect(error.code).toBe('ERR_BAD_RESPONSE');
    expect(error.message).toBe('server sent an invalid response: obsolete line folding in the response head');
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(dataGets(before)).toHaveLength(2);
  });

  it('R36: a malformed answer to the probe fails at once too, with no GET probe after it', async () => {
    const before = server.requests.length;
    server.lie({ kind: 'raw', text: 'HTTP/1.1 2OO OK\r\ncontent-length: 0\r\n\r\n' }, 'HEAD');
    const { error } = await fails({ url: server.url(), target: target() });
    expect(error.code).toBe('ERR_BAD_RESPONSE');
    expect(server.requests.length - before).toBe(1);
  });
});

describe('a correctly framed answer that contradicts the probe (R35), from the fault server', () => {
  const faults = useFaultServer();

  it('R35: a correctly framed 50 000-byte GET under the same strong ETag as a HEAD of 100 000 is not saved', async () => {
    const resource = faults.serve('/short', body);
    faults.fail({ kind: 'truncatedFull', length: 50_000 }, { method: 'GET' });
    const { error, events } = await fails({ url: faults.url('/short'), target: target() });
    expect(error.code).toBe('ERR_BAD_RESPONSE');
    expect(error.message).toBe(
      `server sent an invalid response: the GET declared 50000 bytes where the probe declared 100000, for the same version ${resource.etag}`,
    );
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(faults.gets()).toHaveLength(1);
    expect(existsSync(target())).toBe(false);
    expect(await listDir(dir())).toEqual([]);
  });
});

describe('a body without a length that never ends (R35)', () => {
  const MiB = 1024 * 1024;
  const big = generateBytes(MiB, 9);
  let endless: HostileServer;
  beforeAll(async () => {
    endless = await HostileServer.start({ body: big, etag: '"big"' });
  });
  afterAll(() => endless.close());

  it('R35: on a 1 MiB resource, exactly the 1 MiB is saved, and the connection is dropped there', async () => {
    endless.lie({ kind: 'endless' });
    await completes({ url: endless.url(), target: target() });
    expect(await fileSha256(target())).toBe(sha256(big));
    // What the socket buffers held when rdl let go, and no more.
    expect(endless.endlessBytes).toBeLessThan(16 * MiB);
  });
});
