import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCheckpoint } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checkpointPathOf } from '../src/FileCheckpointStore.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { completes, fails, fileSha256, pauseAt } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

const size = 1024 * 1024;
const body = generateBytes(size, 31);
const server = useFaultServer();
const other = useFaultServer();
const dir = useTempDir();

describe('probing and redirects, against the fault server', () => {
  it('R16: a HEAD refused with 405 is replaced by a GET bytes=0-0 probe', async () => {
    server.serve('/r16', body, { headStatus: 405 });
    const target = join(dir(), 'out.bin');
    await completes({ url: server.url('/r16'), target });
    expect(server.requests[0]?.method).toBe('HEAD');
    expect(server.requests[1]?.method).toBe('GET');
    expect(server.requests[1]?.headers.range).toBe('bytes=0-0');
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R16: the probe goes to headUrl when given, the data to url', async () => {
    server.serve('/r16get', body);
    server.serve('/r16head', body);
    const target = join(dir(), 'out.bin');
    await completes({ url: server.url('/r16get'), headUrl: server.url('/r16head'), target });
    const heads = server.requests.filter((request) => request.method === 'HEAD');
    expect(heads.map((request) => new URL(request.url).pathname)).toEqual(['/r16head']);
    expect(server.gets().every((request) => new URL(request.url).pathname === '/r16get')).toBe(true);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R17: a cross-origin redirect is followed without Authorization and Cookie; the checkpoint keeps the given URL', async () => {
    other.serve('/data', body);
    server.redirect('/r17', 302, other.url('/data'));
    const target = join(dir(), 'out.bin');
    other.fail({ kind: 'stall', at: 300_000 }, { method: 'GET' });
    await pauseAt(
      {
        url: server.url('/r17'),
        target,
        headers: { authorization: 'Bearer secret', cookie: 'a=1', 'x-app': 'rdl' },
      },
      300_000,
    );
    const stored = decodeCheckpoint(await readFile(checkpointPathOf(target), 'utf8'));
    expect(E.isRight(stored) && stored.right.url).toBe(server.url('/r17'));
    await completes({
      url: server.url('/r17'),
      target,
      headers: { authorization: 'Bearer secret', cookie: 'a=1' },
    });
    expect(other.requests.length).toBeGreaterThan(0);
    for (const request of other.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers.cookie).toBeUndefined();
    }
    expect(server.requests.every((request) => request.headers.authorization === 'Bearer secret')).toBe(true);
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R17: the data requests of a run go to the final URL of the probe’s redirects', async () => {
    server.serve('/final', body);
    server.redirect('/r17hop', 301, '/final');
    const target = join(dir(), 'out.bin');
    await completes({ url: server.url('/r17hop'), target });
    const paths = server.requests.map((request) => `${request.method} ${new URL(request.url).pathname}`);
    expect(paths.slice(0, 2)).toEqual(['HEAD /r17hop', 'HEAD /final']);
    expect(paths.slice(2).every((path) => path === 'GET /final')).toBe(true);
    expect(await fileSha256(target)).toBe(sha256(body));
  });

  it('R17: a redirect to a non-http scheme is refused with a typed error and no target file', async () => {
    server.redirect('/r17ftp', 302, 'file:///etc/passwd');
    const target = join(dir(), 'out.bin');
    const { error } = await fails({ url: server.url('/r17ftp'), target });
    expect(error.code).toBe('ERR_REDIRECT_REFUSED');
    expect(await listDir(dir())).not.toContain('out.bin');
  });

  it('R18: an expired signature after bytes were written asks refreshUrl and goes on from the checkpoint', async () => {
    const resource = server.serve('/r18', body, { tokens: new Set(['old']) });
    const target = join(dir(), 'out.bin');
    // The signature expires while the first GET runs: the connection is cut, and the retry meets a 403.
    server.fail(
      { kind: 'cut', at: 400_000 },
      { method: 'GET', after: () => (resource.tokens = new Set(['new'])) },
    );
    const asked: { url: string; status: number }[] = [];
    await completes({
      url: server.url('/r18?token=old'),
      target,
      refreshUrl: async (failed) => {
        asked.push(failed);
        return { url: server.url('/r18?token=new') };
      },
    });
    expect(asked).toEqual([{ url: expect.stringContaining('token=old'), status: 403 }]);
    const fresh = server.gets().filter((request) => request.url.includes('token=new'));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.at(0)?.headers.range).toBe('bytes=400000-');
    expect(await fileSha256(target)).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R18: without a refreshUrl hook an expired signature is a typed 403 failure and the bytes stay', async () => {
    const resource = server.serve('/r18n', body, { tokens: new Set(['old']) });
    const target = join(dir(), 'out.bin');
    server.fail(
      { kind: 'cut', at: 400_000 },
      { method: 'GET', after: () => (resource.tokens = new Set(['new'])) },
    );
    const { error } = await fails({ url: server.url('/r18n?token=old'), target });
    expect(error.failure).toMatchObject({ _tag: 'HttpStatus', status: 403 });
    expect(await listDir(dir())).toEqual(['out.bin.part', 'out.bin.rdl.json']);
  });
});
