import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import {
  committedPrefix,
  decodeCheckpoint,
  encodeCheckpoint,
  withBytes,
} from '../../src/rules/checkpointCodec.js';

const base: Checkpoint = {
  version: 1,
  url: 'https://example.com/f.bin',
  validators: { etag: '"v1"', lastModified: 'Sun, 06 Nov 1994 08:49:37 GMT', date: null },
  totalLength: 1000,
  ranges: [[0, 400]],
};
const text = (patch: Record<string, unknown>): string =>
  JSON.stringify({ ...JSON.parse(encodeCheckpoint(base)), ...patch });
const reason = (t: string): string => {
  const decoded = decodeCheckpoint(t);
  if (E.isRight(decoded)) throw new Error(`expected Left for ${t}`);
  return decoded.left;
};

describe('checkpoint codec', () => {
  it('R1: the validators and the total survive a round trip verbatim', () => {
    expect(decodeCheckpoint(encodeCheckpoint(base))).toEqual(E.right(base));
  });

  it('R22: torn or non-JSON text is Left, never a throw', () => {
    const whole = encodeCheckpoint(base);
    for (let cut = 0; cut < whole.length; cut++) {
      expect(E.isLeft(decodeCheckpoint(whole.slice(0, cut)))).toBe(true);
    }
    expect(reason('')).toMatch(/JSON/);
    expect(reason('null')).toMatch(/object/);
    expect(reason('[1]')).toMatch(/object/);
  });

  it('R22: another version is Left', () => {
    expect(reason(text({ version: 2 }))).toMatch(/version/);
    expect(reason(text({ version: '1' }))).toMatch(/version/);
  });

  it('R22: a missing url or malformed validators are Left', () => {
    expect(reason(text({ url: '' }))).toMatch(/url/);
    expect(reason(text({ url: 7 }))).toMatch(/url/);
    expect(reason(text({ validators: null }))).toMatch(/validators/);
    expect(reason(text({ validators: { etag: 1, lastModified: null, date: null } }))).toMatch(/validators/);
    expect(reason(text({ validators: { etag: null, lastModified: null } }))).toMatch(/validators/);
  });

  it.each([-1, 1.5, '1000', 2 ** 53, undefined, true, {}])('R22: a tampered total %j is Left', (total) => {
    expect(reason(text({ totalLength: total }))).toMatch(/totalLength/);
  });

  it.each([
    [
      [
        [400, 500],
        [0, 100],
      ],
    ],
    [
      [
        [0, 500],
        [400, 600],
      ],
    ],
    [[[0, 1001]]],
    [[[5, 5]]],
    [[[0, -1]]],
    [[[0, 1.5]]],
    [[['0', '5']]],
    [[[0]]],
    [[null]],
  ])('R22: tampered ranges %j are Left', (ranges) => {
    expect(reason(text({ ranges }))).toMatch(/ranges/);
  });

  it('R22: ranges must be an array', () => {
    expect(reason(text({ ranges: 'all' }))).toMatch(/ranges/);
  });

  it('R15: a checkpoint of unknown total decodes, and adjacent ranges are merged', () => {
    expect(
      decodeCheckpoint(
        text({
          totalLength: null,
          ranges: [
            [0, 5],
            [5, 9],
          ],
        }),
      ),
    ).toEqual(E.right({ ...base, totalLength: null, ranges: [[0, 9]] }));
  });
});

describe('checkpoint helpers', () => {
  it('R21: committedPrefix is the range from 0, else 0', () => {
    expect(committedPrefix(base)).toBe(400);
    expect(committedPrefix({ ...base, ranges: [[10, 20]] })).toBe(0);
    expect(committedPrefix({ ...base, ranges: [] })).toBe(0);
  });

  it('R26: withBytes adds and merges, and never counts past the total', () => {
    expect(withBytes(base, [400, 600]).ranges).toEqual([[0, 600]]);
    expect(withBytes(base, [800, 1200]).ranges).toEqual([
      [0, 400],
      [800, 1000],
    ]);
    expect(withBytes({ ...base, totalLength: null }, [400, 1200]).ranges).toEqual([[0, 1200]]);
    expect(base.ranges).toEqual([[0, 400]]);
  });
});
