import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { HttpPort } from '../../src/ports/HttpPort.js';
import { begin, bytesOf, finish, TARGET, URL_A, world } from '../support/machineHarness.js';

const refused = { _tag: 'TlsError', message: 'self-signed certificate' } as const;

describe('createDownload: a refused certificate (R25, R29)', () => {
  it('R25, R29: a certificate refused at the probe fails at once with ERR_TLS: no GET probe, no retry', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(10_000));
    const methods: string[] = [];
    const http: HttpPort = {
      request: (request) => async () => {
        methods.push(request.method);
        return E.left(refused);
      },
    };
    const end = await finish(w, begin(w, {}, true, { ...w.ports, http }));
    expect(end.code).toBe('ERR_TLS');
    expect((end.error as Error).message).toContain('self-signed certificate');
    expect(methods).toEqual(['HEAD']);
    expect(w.storage.fileOf(TARGET)).toBeNull();
  });

  it('R25, R29: a certificate refused for the data GET (a redirect elsewhere) fails at once, with one GET', async () => {
    const w = world();
    w.server.publish(URL_A, bytesOf(10_000));
    let gets = 0;
    const http: HttpPort = {
      request: (request) =>
        request.method === 'HEAD'
          ? w.server.request(request)
          : async () => {
              gets += 1;
              return E.left(refused);
            },
    };
    const end = await finish(w, begin(w, {}, true, { ...w.ports, http }));
    expect(end.code).toBe('ERR_TLS');
    expect(gets).toBe(1);
  });

  it('R25: a plain network failure is still retried', async () => {
    const w = world();
    const content = bytesOf(10_000);
    w.server.publish(URL_A, content);
    let failures = 1;
    const http: HttpPort = {
      request: (request) =>
        request.method === 'GET' && failures-- > 0
          ? async () => E.left({ _tag: 'NetworkError', message: 'connection reset' })
          : w.server.request(request),
    };
    const end = await finish(w, begin(w, {}, true, { ...w.ports, http }));
    expect(end.code).toBeNull();
    expect(w.storage.fileOf(TARGET)).toEqual(content);
  });
});
