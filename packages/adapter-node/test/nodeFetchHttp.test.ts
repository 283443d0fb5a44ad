import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { NodeFetchHttp } from '../src/NodeFetchHttp.js';
import { httpContract, requestWith } from './support/httpContract.js';

httpContract('NodeFetchHttp', () => new NodeFetchHttp());

describe('NodeFetchHttp failures', () => {
  it('R25, R37: a URL that reads as an OpenSSL error line (a redirect to a closed http port) is a NetworkError, not a TlsError of the server’s wording', async () => {
    const trap = 'http://127.0.0.1:1/:error:0A:x:y:certificate required:';
    const server = createServer((_request, response) => {
      response.writeHead(302, { location: trap });
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const http = new NodeFetchHttp();
    try {
      for (const url of [`http://127.0.0.1:${port}/f`, `${trap}/f`]) {
        const { result } = await requestWith(http, url);
        expect(E.isLeft(result) && result.left).toMatchObject({
          _tag: 'NetworkError',
          message: expect.stringContaining('ECONNREFUSED'),
        });
      }
    } finally {
      http.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('R37: a network error of a presigned URL says why, without the URL and its signature', async () => {
    const http = new NodeFetchHttp();
    try {
      const { result } = await requestWith(http, 'http://127.0.0.1:1/f.bin?X-Amz-Signature=TOPSECRET');
      expect(E.isLeft(result) && result.left).toMatchObject({
        _tag: 'NetworkError',
        message: expect.stringMatching(/^connect ECONNREFUSED 127\.0\.0\.1:1$/),
      });
    } finally {
      http.close();
    }
  });
});
