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
const unframed = fault.setHeaders({ 'content-length': null });

describe('createDownload: lengths a server lies about (R35)', () => {
  it('R35: a body without a length that ends before the probe total is a cut: resumed, never saved short', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject([unframed, fault.shortBody(SIZE / 2)], { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(gets(w).map((r) => r.headers.range)).toEqual([undefined, `bytes=${SIZE / 2}-`]);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R35: a body without a length that goes on past the probe total is not written past it', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject([unframed, fault.longBody(1_000_000)], { method: 'GET' });
    const run = begin(w);
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.bytesSent).toBeLessThan(SIZE + 2 * 4096);
  });

  it('R35: a correctly framed GET shorter than the probe under the same ETag fails at once as ERR_BAD_RESPONSE', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    w.server.inject([fault.setHeaders({ 'content-length': String(SIZE / 2) }), fault.shortBody(SIZE / 2)], {
      method: 'GET',
    });
    const run = begin(w);
    expect((await finish(w, run)).code).toBe('ERR_BAD_RESPONSE');
    expect(gets(w)).toHaveLength(1);
    expect(eventsOf(run, 'retry')).toEqual([]);
    expect(w.storage.fileOf(TARGET)).toBeNull();
  });
});

describe('createDownload: credentials in the URL (R37)', () => {
  const withPassword = 'https://alice:s3cr%3At@files.example/a.bin';

  it('R37: a password in the URL goes as Basic to its origin only, and is never in a checkpoint or an event', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish(URL_A, content);
    w.server.inject(fault.cutBody(20_000), { method: 'GET' });
    const saved: string[] = [];
    const checkpoints = w.ports.checkpoints;
    const run = begin(w, { url: withPassword }, true, {
      ...w.ports,
      checkpoints: {
        ...checkpoints,
        load: (target) => checkpoints.load(target),
        remove: (target) => checkpoints.remove(target),
        save: (target, text) => {
          saved.push(text);
          return checkpoints.save(target, text);
        },
      },
    });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.server.requests.every((r) => r.url === URL_A)).toBe(true);
    // base64("alice:s3cr:t")
    for (const r of w.server.requests) expect(r.headers.authorization).toBe('Basic YWxpY2U6czNjcjp0');
    expect(saved.length).toBeGreaterThan(1);
    for (const text of [...saved, JSON.stringify(run.events), JSON.stringify(end.result)]) {
      expect(text).not.toContain('s3cr');
      expect(text).not.toContain('YWxpY2U6czNjcjp0');
    }
  });

  it('R37: the Basic credentials of the URL never follow a redirect to another origin', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    w.server.publish('https://cdn.example/a.bin', content);
    w.server.redirect(URL_A, 'https://cdn.example/a.bin');
    const run = begin(w, { url: withPassword });
    expect((await finish(w, run)).code).toBeNull();
    const atCdn = w.server.requests.filter((r) => r.url.startsWith('https://cdn.example/'));
    expect(atCdn.length).toBeGreaterThan(0);
    for (const r of atCdn) expect(r.headers).not.toHaveProperty('authorization');
    expect(w.server.requests.filter((r) => r.url === URL_A).every((r) => r.headers.authorization)).toBe(true);
  });

  it('R17, R37: after a redirect to another origin and back, no request carries the secrets to the URL it chose', async () => {
    const w = world();
    const content = bytesOf(SIZE);
    const chosen = 'https://files.example/chosen-by-other';
    w.server.publish(chosen, content);
    w.server.redirect(URL_A, 'https://other.example/bounce');
    w.server.redirect('https://other.example/bounce', chosen);
    const run = begin(w, { headers: { Authorization: 'Bearer t0k', Cookie: 'sid=1', 'x-api-key': 'k' } });
    expect((await finish(w, run)).code).toBeNull();
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const atChosen = w.server.requests.filter((r) => r.url === chosen);
    expect(atChosen.some((r) => r.method === 'GET')).toBe(true);
    for (const r of atChosen) {
      expect(r.headers).not.toHaveProperty('authorization');
      expect(r.headers).not.toHaveProperty('cookie');
      expect(r.headers).not.toHaveProperty('x-api-key');
    }
    expect(w.server.requests.find((r) => r.url === URL_A)?.headers.authorization).toBe('Bearer t0k');
  });

  it('R37: a failure at a URL with a password names the URL without it', async () => {
    const w = world();
    const run = begin(w, { url: withPassword });
    const end = await finish(w, run);
    expect(end.code).toBe('ERR_HTTP_STATUS');
    expect(String((end.error as Error).message)).toContain('https://files.example/a.bin');
    expect(String((end.error as Error).message)).not.toContain('s3cr');
  });
});
