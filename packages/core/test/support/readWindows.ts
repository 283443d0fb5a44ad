import * as E from 'fp-ts/lib/Either.js';
import type { HttpPort } from '../../src/ports/HttpPort.js';
import type { World } from './machineHarness.js';

/** One read of a body: when (ms of a clock) and how many bytes. */
export interface Read {
  readonly at: number;
  readonly bytes: number;
}

/**
 * The most bytes `reads` brought in any window of `windowMs` that begins at one of them, at or after `from`: what a
 * rate limit (R44) bounds.
 */
export const mostInAWindow = (reads: readonly Read[], windowMs: number, from = 0): number => {
  let most = 0;
  for (const first of reads) {
    if (first.at < from) continue;
    let sum = 0;
    for (const read of reads) if (read.at >= first.at && read.at < first.at + windowMs) sum += read.bytes;
    most = Math.max(most, sum);
  }
  return most;
};

/** The world's server, each body's reads logged with the clock's time. */
export const loggedHttp = (w: World, reads: Read[]): HttpPort => ({
  request: (request) => async () => {
    const answer = await w.server.request(request)();
    if (E.isLeft(answer)) return answer;
    const { body } = answer.right;
    return E.right({
      ...answer.right,
      body: {
        [Symbol.asyncIterator]: () => {
          const iterator = body[Symbol.asyncIterator]();
          return {
            next: async () => {
              const next = await iterator.next();
              if (next.done !== true) reads.push({ at: w.clock.now(), bytes: next.value.byteLength });
              return next;
            },
            return: async () => (await iterator.return?.()) ?? { done: true as const, value: undefined },
          };
        },
      },
    });
  },
});
