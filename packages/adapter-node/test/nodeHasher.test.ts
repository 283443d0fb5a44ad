import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeHasher } from '../src/NodeHasher.js';

const data = randomBytes(3 * 1024 * 1024 + 13);

describe('NodeHasher (R27)', () => {
  it('R27: CRC-64 (x-oss-hash-crc64ecma) gives the check value of its polynomial', () => {
    const state = new NodeHasher().create('crc64ecma');
    state.update(new TextEncoder().encode('123456789'));
    expect(state.digest()).toBe('995dc9bbdf1939fa');
  });

  for (const offThread of [true, false]) {
    for (const algorithm of ['sha256', 'sha512', 'md5'] as const) {
      it(`${algorithm} ${offThread ? 'on a worker thread' : 'inline'} equals node:crypto's whatever the chunking`, () => {
        fc.assert(
          fc.property(fc.array(fc.integer({ min: 0, max: 700_000 }), { maxLength: 12 }), (cuts) => {
            const state = new NodeHasher({ offThread }).create(algorithm);
            // The caller reuses its buffer once update returns: the hash must not depend on it afterwards.
            const scratch = new Uint8Array(700_000);
            let from = 0;
            for (const cut of cuts) {
              const to = Math.min(data.length, from + cut);
              scratch.set(data.subarray(from, to));
              state.update(scratch.subarray(0, to - from));
              scratch.fill(0);
              from = to;
            }
            state.update(data.subarray(from));
            expect(state.digest()).toBe(createHash(algorithm).update(data).digest('hex'));
          }),
          { numRuns: offThread ? 8 : 20 },
        );
      });
    }
    it(`the digest of nothing ${offThread ? 'on a worker thread' : 'inline'}`, () => {
      expect(new NodeHasher({ offThread }).create('sha256').digest()).toBe(
        createHash('sha256').digest('hex'),
      );
    });
  }
});
