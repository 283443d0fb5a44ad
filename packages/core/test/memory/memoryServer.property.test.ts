import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fault } from '../../src/memory/faults.js';
import { MemoryServer } from '../../src/memory/MemoryServer.js';
import { createAbortHandle } from '../../src/ports/abort.js';

const URL_A = 'https://files.example/a.bin';

describe('MemoryServer cut at arbitrary points', () => {
  it('R10, R26: resuming with Range + If-Range from the bytes received rebuilds the body exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8000 }),
        fc.array(fc.nat(3000), { maxLength: 6 }),
        fc.integer({ min: 16, max: 4096 }),
        async (length, cuts, chunkSize) => {
          const server = new MemoryServer({ chunkSize });
          const content = Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
          const { etag } = server.publish(URL_A, content);
          for (const cut of cuts) server.inject(fault.cutBody(cut));
          const received = { length: 0, bytes: new Uint8Array(length), largestChunk: 0 };
          for (let attempt = 0; attempt <= cuts.length && received.length < length; attempt += 1) {
            const headers: Record<string, string> =
              received.length === 0 ? {} : { range: `bytes=${received.length}-`, 'if-range': etag! };
            const result = await server.request({
              method: 'GET',
              url: URL_A,
              headers,
              signal: createAbortHandle().signal,
            })();
            if (E.isLeft(result)) return expect.fail('no response');
            expect(result.right.status).toBe(received.length === 0 ? 200 : 206);
            try {
              for await (const chunk of result.right.body) {
                received.largestChunk = Math.max(received.largestChunk, chunk.length);
                received.bytes.set(chunk, received.length);
                received.length += chunk.length;
              }
            } catch {
              // a cut: go on from what arrived
            }
          }
          expect(received.largestChunk).toBeLessThanOrEqual(chunkSize);
          expect(received.length).toBe(length);
          expect(received.bytes.every((byte, i) => byte === content[i])).toBe(true);
          expect(server.bytesSent).toBe(length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
