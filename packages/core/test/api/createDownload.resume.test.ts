import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  eventsOf,
  finish,
  gets,
  same,
  TARGET,
  URL_A,
  world,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

describe('createDownload: answers to a resume', () => {
  it('R4: without a strong validator a retry restarts from byte 0 and says so', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(URL_A, content, { etag: null, lastModified: null });
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['NO_STRONG_VALIDATOR']);
    expect(gets(w).every((r) => r.headers.range === undefined)).toBe(true);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R7: a 200 answer to a ranged GET truncates and restarts, never appends', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.ignoreRange(), { method: 'GET' });
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RANGE_IGNORED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R10: a body longer than its Content-Range is never written past its end', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(10_000), { method: 'GET' });
    w.server.inject(fault.longBody(5_000), { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R10: a short body is resumed from what was really written', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(10_000), { method: 'GET' });
    w.server.inject(fault.shortBody(7_000), { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const ranges = gets(w).map((r) => r.headers.range);
    expect(ranges).toEqual([undefined, 'bytes=10000-', `bytes=${SIZE - 7_000}-`]);
  });

  it('R11: a change under a partial download restarts against the new version (onChange restart)', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    const next = bytesOf(SIZE + 1_000, 2);
    w.server.inject(fault.changeResource(next), { method: 'GET' });
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), next)).toEqual(same(next));
  });

  it('R11: a 412 fails with ResourceChanged under onChange fail, keeping nothing of two versions', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(412), { method: 'GET' });
    const run = begin(w, { onChange: 'fail', conditionalRequests: true });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_RESOURCE_CHANGED');
    expect(w.storage.fileOf(TARGET)).toBeNull();
    expect(w.storage.isLocked(TARGET)).toBe(false);
  });

  it('R11: a resource changed under a resume fails under onChange fail', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    // The file changes after the first bytes: the resume's If-Range is answered with the new version's 200.
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.changeResource(), { method: 'GET' });
    const run = begin(w, { onChange: 'fail' });
    expect((await finish(w, run)).code).toBe('ERR_RESOURCE_CHANGED');
  });

  it('R12: a 416 naming another length means the resource changed; its body is never written', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(416, { headers: { 'content-range': `bytes */${SIZE + 5}` } }), {
      method: 'GET',
    });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R13: a 206 whose strong ETag differs restarts, even though the server ignored If-Range', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.setHeaders({ etag: '"another"' }), { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R14: a zero-length resource completes without a Range request', async () => {
    const w = world();
    w.server.publish(URL_A, new Uint8Array(0));
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.result?.bytes).toBe(0);
    expect(gets(w)).toEqual([]);
    expect(w.storage.fileOf(TARGET)).toEqual(new Uint8Array(0));
    expect(eventsOf(run, 'progress').at(-1)?.progress.fraction).toBe(1);
  });

  it('R15: a chunked body with no total is one stream, progress total unknown, never NaN; a cut restarts it', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(URL_A, content, { lengthKnown: false });
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['NOT_RANGEABLE']);
    expect(gets(w).every((r) => r.headers.range === undefined)).toBe(true);
    for (const { progress } of eventsOf(run, 'progress').slice(0, -1)) {
      expect(progress.total).toBeNull();
      expect(progress.fraction).toBeNull();
      expect(Number.isNaN(progress.bytes)).toBe(false);
    }
  });

  it('R16: a refused HEAD is probed with GET bytes=0-0 against headUrl', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.mount('https://files.example/head', w.server.resource(URL_A)!);
    w.server.refuseHead(405);
    const run = begin(w, { headUrl: 'https://files.example/head' });
    expect((await finish(w, run)).code).toBeNull();
    const [head, probe] = w.server.requests;
    expect(head).toMatchObject({ method: 'HEAD', url: 'https://files.example/head' });
    expect(probe).toMatchObject({
      method: 'GET',
      url: 'https://files.example/head',
      headers: { range: 'bytes=0-0' },
    });
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R17: data requests go to the final URL of the redirects; the checkpoint keeps the caller URL', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish('https://cdn.example/a.bin', content);
    w.server.redirect(URL_A, 'https://cdn.example/a.bin');
    w.server.inject(fault.cutBody(20_000), { method: 'GET', url: 'https://cdn.example/a.bin' });
    const urls: string[] = [];
    const save = w.checkpoints.save.bind(w.checkpoints);
    w.checkpoints.save = (target, text) => {
      urls.push(JSON.parse(text).url);
      return save(target, text);
    };
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(gets(w).map((r) => r.url)).toContain('https://cdn.example/a.bin');
    expect(new Set(urls)).toEqual(new Set([URL_A]));
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R16: with a headUrl the probe goes there and every data GET to url, never to the HEAD URL', async () => {
    const headUrl = 'https://files.example/a.bin?sig=head';
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.mount(headUrl, w.server.resource(URL_A)!);
    // Signed for HEAD only, like a presigned URL: a GET there is refused.
    w.server.inject(fault.status(403), { method: 'GET', url: headUrl, times: Number.POSITIVE_INFINITY });
    w.server.inject(fault.cutBody(20_000), { method: 'GET', url: URL_A });
    const run = begin(w, { headUrl });
    expect((await finish(w, run)).code).toBeNull();
    // One probe a run: the retry after the cut asks for the data again, its answer checked by R9–R13.
    const heads = w.server.requests.filter((r) => r.method === 'HEAD');
    expect(heads.map((r) => r.url)).toEqual([headUrl]);
    expect(gets(w).map((r) => `${r.url} ${r.headers.range}`)).toEqual([
      `${URL_A} undefined`,
      `${URL_A} bytes=20000-`,
    ]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R16: with a headUrl the GET’s own redirects are followed, from url, at every request', async () => {
    const headUrl = 'https://files.example/a.bin?sig=head';
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish('https://cdn.example/a.bin', content);
    w.server.mount(headUrl, w.server.resource('https://cdn.example/a.bin')!);
    w.server.redirect(URL_A, 'https://cdn.example/a.bin');
    w.server.inject(fault.cutBody(20_000), { method: 'GET', url: 'https://cdn.example/a.bin' });
    const run = begin(w, { headUrl, headers: { authorization: 'Bearer secret' } });
    expect((await finish(w, run)).code).toBeNull();
    expect(gets(w).map((r) => r.url)).toEqual([
      URL_A,
      'https://cdn.example/a.bin',
      URL_A,
      'https://cdn.example/a.bin',
    ]);
    for (const r of gets(w)) {
      expect(r.headers.authorization).toBe(r.url === URL_A ? 'Bearer secret' : undefined);
    }
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R17, R37: after a cross-origin redirect of the probe, the GETs to the final URL carry none of the caller’s secrets', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish('https://cdn.example/a.bin', content);
    w.server.redirect(URL_A, 'https://cdn.example/a.bin');
    w.server.inject(fault.cutBody(20_000), { method: 'GET', url: 'https://cdn.example/a.bin' });
    const headers = {
      Authorization: 'Bearer secret',
      cookie: 'session=1',
      'x-api-key': 'key',
      'user-agent': 'app/1',
    };
    const run = begin(w, { headers });
    expect((await finish(w, run)).code).toBeNull();
    const atCdn = w.server.requests.filter((r) => r.url.startsWith('https://cdn.example/'));
    expect(atCdn.filter((r) => r.method === 'GET')).toHaveLength(2);
    for (const r of atCdn) {
      expect(r.headers).not.toHaveProperty('authorization');
      expect(r.headers).not.toHaveProperty('cookie');
      expect(r.headers).not.toHaveProperty('proxy-authorization');
      expect(r.headers).not.toHaveProperty('x-api-key');
      expect(r.headers['user-agent']).toBe('app/1');
    }
    const atOrigin = w.server.requests.filter((r) => r.url === URL_A);
    expect(atOrigin.length).toBeGreaterThan(0);
    for (const r of atOrigin)
      expect(r.headers).toMatchObject({
        authorization: 'Bearer secret',
        cookie: 'session=1',
        'x-api-key': 'key',
      });
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R17: after a same-origin redirect of the probe, the GETs to the final URL keep the credentials', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish('https://files.example/v2/a.bin', content);
    w.server.redirect(URL_A, '/v2/a.bin');
    const run = begin(w, { headers: { authorization: 'Bearer secret', cookie: 'session=1' } });
    expect((await finish(w, run)).code).toBeNull();
    expect(gets(w).map((r) => r.url)).toEqual(['https://files.example/v2/a.bin']);
    expect(gets(w)[0]?.headers).toMatchObject({ authorization: 'Bearer secret', cookie: 'session=1' });
  });

  it('R18: an expired URL asks refreshUrl for new ones and goes on from the checkpoint', async () => {
    const fresh = 'https://files.example/a.bin?sig=2';
    const asked: { url: string; status: number }[] = [];
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(URL_A, content);
    w.server.mount(fresh, w.server.resource(URL_A)!);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { method: 'GET', url: URL_A, times: Number.POSITIVE_INFINITY });
    const run = begin(w, {
      refreshUrl: async (failed) => {
        asked.push(failed);
        return { url: fresh };
      },
    });
    expect((await finish(w, run)).code).toBeNull();
    expect(asked).toEqual([{ url: URL_A, status: 403 }]);
    expect(gets(w).at(-1)).toMatchObject({ url: fresh, headers: { range: 'bytes=20000-' } });
    expect(w.server.bytesSent).toBe(SIZE);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R18, R37: a refreshed URL at another origin than the caller’s gets none of the caller’s secret headers', async () => {
    const api = 'https://api.example/download';
    const signed = 'https://bucket.example/a.bin?X-Amz-Signature=s1';
    const fresh = 'https://bucket.example/a.bin?X-Amz-Signature=s2';
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(signed, content);
    w.server.mount(fresh, w.server.resource(signed)!);
    w.server.redirect(api, signed);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { method: 'GET', url: signed, times: Number.POSITIVE_INFINITY });
    const run = begin(w, {
      url: api,
      headers: { authorization: 'Bearer api-token', cookie: 'session=1', 'user-agent': 'app/1' },
      refreshUrl: async () => ({ url: fresh }),
    });
    expect((await finish(w, run)).code).toBeNull();
    const atBucket = w.server.requests.filter((r) => r.url.startsWith('https://bucket.example/'));
    expect(atBucket.map((r) => r.url)).toContain(fresh);
    for (const request of atBucket) {
      expect(request.headers).not.toHaveProperty('authorization');
      expect(request.headers).not.toHaveProperty('cookie');
      expect(request.headers['user-agent']).toBe('app/1');
    }
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it.each([
    ['another path', 'https://files.example/b.bin'],
    ['another query', 'https://files.example/a.bin?file=b'],
    ['another host', 'https://mirror.example/a.bin'],
  ])(
    'R11, R18: a refreshed URL naming %s, with no strong ETag to prove it the same object, starts again from byte 0: one object only',
    async (_name, other) => {
      const w = world();
      const first = bytesOf(SIZE, 1);
      const second = bytesOf(SIZE, 2);
      // Two objects of one size and one old date, no ETag: only the URL tells them apart.
      const lastModified = 'Sun, 06 Nov 1994 08:49:37 GMT';
      w.server.publish(URL_A, first, { etag: null, lastModified });
      w.server.publish(other, second, { etag: null, lastModified });
      w.server.inject(fault.cutBody(20_000), { method: 'GET', url: URL_A });
      w.server.inject(fault.status(403), { method: 'GET', url: URL_A, times: Number.POSITIVE_INFINITY });
      const run = begin(w, { refreshUrl: async () => ({ url: other }) });
      expect((await finish(w, run)).code).toBeNull();
      expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['SOURCE_CHANGED']);
      expect(bytesDiff(w.storage.fileOf(TARGET), second)).toEqual(same(second));
    },
  );

  it('R11, R17: a redirect that leads elsewhere on the next run, to an object of one size and date and no ETag, starts again from byte 0', async () => {
    const w = world();
    const lastModified = 'Sun, 06 Nov 1994 08:49:37 GMT';
    const first = bytesOf(SIZE, 3);
    const second = bytesOf(SIZE, 4);
    w.server.publish('https://files.example/a-1.bin', first, { etag: null, lastModified });
    w.server.publish('https://files.example/a-2.bin', second, { etag: null, lastModified });
    w.server.redirect(URL_A, '/a-1.bin');
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    expect((await finish(w, begin(w, { retry: { retries: 0 } }))).code).toBe('ERR_RETRIES_EXHAUSTED');
    w.server.redirect(URL_A, '/a-2.bin');
    const again = begin(w);
    expect((await finish(w, again)).code).toBeNull();
    expect(eventsOf(again, 'restart').map((e) => e.reason)).toEqual(['SOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), second)).toEqual(same(second));
  });

  it('R17: the same redirect on the next run resumes, as before', async () => {
    const w = world();
    const content = bytesOf(SIZE, 5);
    w.server.publish('https://files.example/a-1.bin', content, {
      etag: null,
      lastModified: 'Sun, 06 Nov 1994 08:49:37 GMT',
    });
    w.server.redirect(URL_A, '/a-1.bin');
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    expect((await finish(w, begin(w, { retry: { retries: 0 } }))).code).toBe('ERR_RETRIES_EXHAUSTED');
    const again = begin(w);
    expect((await finish(w, again)).code).toBeNull();
    expect(eventsOf(again, 'restart')).toEqual([]);
    expect(gets(w).at(-1)?.headers.range).toBe('bytes=20000-');
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R18: without a refreshUrl hook a 403 after bytes fails with a typed error', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(SIZE));
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    w.server.inject(fault.status(403), { method: 'GET', times: Number.POSITIVE_INFINITY });
    const run = begin(w);
    expect((await finish(w, run)).code).toBe('ERR_HTTP_STATUS');
  });
});
