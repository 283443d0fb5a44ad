import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import type { ProbeResult } from '../../src/model/decision.js';
import { freshCheckpoint, planRetry, planStart } from '../../src/rules/planStart.js';
import { FILE_URL, LATER, OLD, stored } from '../support/fixtures.js';

const probe = (over: Partial<ProbeResult> = {}): ProbeResult => ({
  method: 'HEAD',
  status: 200,
  finalUrl: 'https://cdn.example.com/f.bin',
  leftOrigin: false,
  validators: { etag: '"v1"', lastModified: null, date: null },
  totalLength: 1000,
  acceptsRanges: true,
  contentEncoding: null,
  ...over,
});
const plan = (over: Partial<Parameters<typeof planStart>[0]> = {}) =>
  planStart({
    url: FILE_URL,
    stored,
    partSize: 400,
    probe: probe(),
    onChange: 'restart',
    source: over.url ?? FILE_URL,
    maxFileBytes: null,
    ...over,
  });
const fresh = (reason: string | null, p: ProbeResult = probe()) => ({
  _tag: 'Fresh',
  reason,
  checkpoint: freshCheckpoint(FILE_URL, p),
});

describe('planStart', () => {
  it('R6: a checkpoint of the same version with bytes on storage resumes at the committed prefix', () => {
    expect(plan()).toEqual({ _tag: 'Resume', offset: 400, checkpoint: stored });
  });

  it('R17: the checkpoint keeps the URL the caller gave, not the final URL of the probe', () => {
    expect(freshCheckpoint(FILE_URL, probe()).url).toBe(FILE_URL);
    expect(plan({ stored: null })).toEqual(fresh(null));
  });

  it('R22: a checkpoint of another URL is replaced by a fresh start, said as URL_CHANGED', () => {
    expect(plan({ stored: { ...stored, url: 'https://example.com/other' } })).toEqual(fresh('URL_CHANGED'));
  });

  it('R2, R13, R22: a presigned URL signed again (only its query differs) resumes under the same strong ETag, and the checkpoint keeps the new URL, its signature redacted', () => {
    const old = { ...stored, url: `${FILE_URL}?X-Amz-Date=20260101T000000Z&X-Amz-Signature=REDACTED` };
    const url = `${FILE_URL}?X-Amz-Date=20260102T000000Z&X-Amz-Signature=fresh`;
    expect(plan({ stored: old, url })).toEqual({
      _tag: 'Resume',
      offset: 400,
      checkpoint: {
        ...stored,
        url: `${FILE_URL}?X-Amz-Date=20260102T000000Z&X-Amz-Signature=REDACTED`,
        source: `${FILE_URL}?X-Amz-Date=20260102T000000Z&X-Amz-Signature=REDACTED`,
      },
    });
  });

  it('R2, R22: a query that chooses another object (?file=a, then ?file=b) never resumes on a weak ETag, a missing one or a date alone', () => {
    const a = `${FILE_URL}?file=a`;
    const b = `${FILE_URL}?file=b`;
    const cases = [
      { etag: 'W/"v1"', lastModified: null, date: null },
      { etag: null, lastModified: OLD, date: LATER },
      { etag: null, lastModified: null, date: null },
    ];
    for (const validators of cases) {
      const p = probe({ validators });
      const freshOfB = { _tag: 'Fresh', reason: 'URL_CHANGED', checkpoint: freshCheckpoint(b, p) };
      expect(plan({ stored: { ...stored, url: a, source: a, validators }, url: b, probe: p })).toEqual(
        freshOfB,
      );
    }
    // The same date on both sides is enough for the same URL (R3), not for another query.
    const dated = { etag: null, lastModified: OLD, date: LATER };
    expect(
      plan({
        stored: { ...stored, url: a, source: a, validators: dated },
        url: a,
        probe: probe({ validators: dated }),
      }),
    ).toMatchObject({ _tag: 'Resume' });
  });

  it('R11, R17: bytes of one redirect target are resumed from another only under one strong ETag', () => {
    const mirror = 'https://mirror.example/f.bin';
    const dated = { etag: null, lastModified: OLD, date: LATER };
    // The same caller URL, now redirected elsewhere; one size and one date: not proof of one object.
    expect(
      plan({ stored: { ...stored, validators: dated }, source: mirror, probe: probe({ validators: dated }) }),
    ).toEqual({
      _tag: 'Fresh',
      reason: 'SOURCE_CHANGED',
      checkpoint: freshCheckpoint(FILE_URL, probe({ validators: dated }), mirror),
    });
    // One strong ETag on both sides proves it: resumed, the checkpoint now naming where its bytes come from.
    expect(plan({ source: mirror })).toEqual({
      _tag: 'Resume',
      offset: 400,
      checkpoint: { ...stored, source: mirror },
    });
    // Two strong ETags that differ: a change.
    expect(
      plan({
        source: mirror,
        probe: probe({ validators: { etag: '"v2"', lastModified: null, date: null } }),
      }),
    ).toMatchObject({
      _tag: 'Fresh',
      reason: 'RESOURCE_CHANGED',
    });
    // A checkpoint written before sources were kept is judged as before.
    const { source: _unknown, ...legacy } = stored;
    expect(
      plan({ stored: { ...legacy, validators: dated }, source: mirror, probe: probe({ validators: dated }) }),
    ).toMatchObject({
      _tag: 'Resume',
    });
  });

  it('R11, R22: a query-changed URL whose strong ETag differs is a change: restart, or fail with onChange fail', () => {
    const a = { ...stored, url: `${FILE_URL}?file=a` };
    const p = probe({ validators: { etag: '"v2"', lastModified: null, date: null } });
    expect(plan({ stored: a, url: `${FILE_URL}?file=b`, probe: p })).toMatchObject({
      _tag: 'Fresh',
      reason: 'RESOURCE_CHANGED',
    });
    expect(plan({ stored: a, url: `${FILE_URL}?file=b`, probe: p, onChange: 'fail' })).toMatchObject({
      _tag: 'Fail',
      failure: { _tag: 'ResourceChanged', expected: '"v1"', actual: '"v2"' },
    });
  });

  it('R22: another scheme, host, port or path starts afresh as URL_CHANGED, whatever the validators', () => {
    for (const url of [
      'http://example.com/f.bin',
      'https://example.org/f.bin',
      'https://example.com:8443/f.bin',
      'https://example.com/g.bin',
    ]) {
      expect(plan({ url })).toMatchObject({ _tag: 'Fresh', reason: 'URL_CHANGED' });
    }
  });

  it('R4: a checkpoint with only a weak ETag restarts from 0 and says why', () => {
    const weak = { ...stored, validators: { etag: 'W/"v1"', lastModified: null, date: null } };
    expect(plan({ stored: weak, probe: probe({ validators: weak.validators }) })).toEqual(
      fresh('NO_STRONG_VALIDATOR', probe({ validators: weak.validators })),
    );
  });

  it('R4: a probe with no validator cannot prove the saved bytes: restart', () => {
    const none = { etag: null, lastModified: null, date: null };
    expect(plan({ probe: probe({ validators: none }) })).toEqual(
      fresh('NO_STRONG_VALIDATOR', probe({ validators: none })),
    );
  });

  it('R3: a Last-Modified less than 60 s before Date is not enough to resume', () => {
    const weakDate = { etag: null, lastModified: OLD, date: OLD };
    const p = probe({ validators: weakDate });
    expect(plan({ stored: { ...stored, validators: weakDate }, probe: p })).toEqual(
      fresh('NO_STRONG_VALIDATOR', p),
    );
    const strongDate = { etag: null, lastModified: OLD, date: LATER };
    expect(
      plan({ stored: { ...stored, validators: strongDate }, probe: probe({ validators: strongDate }) }),
    ).toMatchObject({ _tag: 'Resume', offset: 400 });
  });

  it('R11: a probe with another ETag restarts against the new version, or fails with onChange fail', () => {
    const p = probe({ validators: { etag: '"v2"', lastModified: null, date: null } });
    expect(plan({ probe: p })).toEqual(fresh('RESOURCE_CHANGED', p));
    expect(plan({ probe: p, onChange: 'fail' })).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'ResourceChanged',
        reason: 'the ETag or Last-Modified changed',
        expected: '"v1"',
        actual: '"v2"',
      },
    });
  });

  it('R13: a probe with another total is a change', () => {
    const p = probe({ totalLength: 2000 });
    expect(plan({ probe: p })).toEqual(fresh('RESOURCE_CHANGED', p));
    expect(plan({ probe: p, onChange: 'fail' })).toMatchObject({
      _tag: 'Fail',
      failure: { _tag: 'ResourceChanged', expected: '1000', actual: '2000' },
    });
  });

  it('R11: a change with no saved bytes is a quiet fresh start, even with onChange fail', () => {
    const p = probe({ validators: { etag: '"v2"', lastModified: null, date: null } });
    expect(plan({ stored: { ...stored, ranges: [] }, probe: p, onChange: 'fail' })).toEqual(fresh(null, p));
  });

  it('R5: an encoded resource is a single stream with no total and no validators', () => {
    const p = probe({ contentEncoding: 'gzip' });
    expect(plan({ probe: p })).toEqual(fresh('CONTENT_ENCODED', p));
    expect(freshCheckpoint(FILE_URL, p)).toEqual({
      version: 1,
      url: FILE_URL,
      source: FILE_URL,
      validators: { etag: null, lastModified: null, date: null },
      totalLength: null,
      ranges: [],
    });
  });

  it('R14: a zero-length resource is Complete with no range request', () => {
    const p = probe({ totalLength: 0 });
    expect(plan({ probe: p })).toEqual({ _tag: 'Complete', checkpoint: freshCheckpoint(FILE_URL, p) });
    expect(plan({ probe: p, stored: null, partSize: 0 })).toMatchObject({ _tag: 'Complete' });
  });

  it('R15: without a total or without ranges the download is not resumable mid-way', () => {
    const noTotal = probe({ totalLength: null });
    expect(plan({ probe: noTotal, stored: { ...stored, totalLength: null } })).toEqual(
      fresh('NOT_RANGEABLE', noTotal),
    );
    const noRanges = probe({ acceptsRanges: false });
    expect(plan({ probe: noRanges })).toEqual(fresh('NOT_RANGEABLE', noRanges));
  });

  it('R21: a part file shorter than the checkpoint resumes from what is really there', () => {
    expect(plan({ partSize: 250 })).toEqual({
      _tag: 'Resume',
      offset: 250,
      checkpoint: { ...stored, ranges: [[0, 250]] },
    });
  });

  it('R21: a part file longer than the checkpoint resumes at the committed bytes (the rest is truncated)', () => {
    expect(plan({ partSize: 900 })).toEqual({ _tag: 'Resume', offset: 400, checkpoint: stored });
  });

  it('R21: a missing or empty part file restarts', () => {
    expect(plan({ partSize: 0 })).toEqual(fresh('PART_FILE_MISSING'));
  });

  it('R21, R42: every range the part file holds is kept, the offset is the prefix; nothing held starts afresh', () => {
    const segmented: Checkpoint = {
      ...stored,
      ranges: [
        [0, 400],
        [600, 800],
      ],
    };
    expect(plan({ stored: segmented, partSize: 1000 })).toEqual({
      _tag: 'Resume',
      offset: 400,
      checkpoint: segmented,
    });
    // A part file shorter than the checkpoint says: its ranges are cut to it (R21).
    expect(plan({ stored: segmented, partSize: 700 })).toEqual({
      _tag: 'Resume',
      offset: 400,
      checkpoint: {
        ...stored,
        ranges: [
          [0, 400],
          [600, 700],
        ],
      },
    });
    const noPrefix: Checkpoint = { ...stored, ranges: [[600, 800]] };
    expect(plan({ stored: noPrefix, partSize: 1000 })).toEqual({
      _tag: 'Resume',
      offset: 0,
      checkpoint: noPrefix,
    });
    expect(plan({ stored: noPrefix, partSize: 500 })).toEqual(fresh('PART_FILE_MISSING'));
  });

  it('R12: every byte present and the total known is Complete', () => {
    const done: Checkpoint = { ...stored, ranges: [[0, 1000]] };
    expect(plan({ stored: done, partSize: 1000 })).toEqual({ _tag: 'Complete', checkpoint: done });
  });
});

describe('planRetry', () => {
  const emptied = { ...stored, ranges: [] };

  it('R26: a retry goes on from the prefix the last checkpoint counts, with no new probe', () => {
    expect(planRetry(stored, probe())).toEqual({ _tag: 'Resume', offset: 400, checkpoint: stored });
  });

  it('R4: without a strong validator the retry begins again at 0 and says so', () => {
    const weak = { ...stored, validators: { etag: 'W/"v1"', lastModified: null, date: null } };
    expect(planRetry(weak, probe())).toEqual({
      _tag: 'Fresh',
      reason: 'NO_STRONG_VALIDATOR',
      checkpoint: { ...weak, ranges: [] },
    });
  });

  it('R5: a retry of an encoded resource begins again at 0 and says CONTENT_ENCODED, not NO_STRONG_VALIDATOR', () => {
    const encoded = freshCheckpoint(stored.url, probe({ contentEncoding: 'gzip' }));
    const held: Checkpoint = { ...encoded, ranges: [[0, 400]] };
    expect(planRetry(held, probe({ contentEncoding: 'gzip' }))).toEqual({
      _tag: 'Fresh',
      reason: 'CONTENT_ENCODED',
      checkpoint: { ...held, ranges: [] },
    });
  });

  it('R15: with no total, or a server without ranges, the retry begins again at 0', () => {
    const unknown = { ...stored, totalLength: null };
    expect(planRetry(unknown, probe())).toMatchObject({ _tag: 'Fresh', reason: 'NOT_RANGEABLE' });
    expect(planRetry(stored, probe({ acceptsRanges: false }))).toMatchObject({
      _tag: 'Fresh',
      reason: 'NOT_RANGEABLE',
    });
  });

  it('R12, R26: nothing held begins at 0 saying nothing; everything held is Complete', () => {
    expect(planRetry(emptied, probe())).toEqual({ _tag: 'Fresh', reason: null, checkpoint: emptied });
    const whole: Checkpoint = { ...stored, ranges: [[0, 1000]] };
    expect(planRetry(whole, probe())).toEqual({ _tag: 'Complete', checkpoint: whole });
  });
});
