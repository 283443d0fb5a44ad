import { describe, expect, it } from 'vitest';
import type { DownloadFailure } from '../../src/model/failure.js';
import {
  decisionOutcome,
  type StreamEnd,
  streamOutcome,
  unansweredOutcome,
} from '../../src/rules/transferOutcome.js';

const stalled: DownloadFailure = { _tag: 'Stalled', afterMs: 30_000 };
const slow: DownloadFailure = { _tag: 'TooSlow', bytesPerSecond: 1, limit: 1000, forMs: 10_000 };
const reset: DownloadFailure = { _tag: 'NetworkError', message: 'reset' };

const ended = (patch: Partial<StreamEnd>): StreamEnd => ({
  cut: null,
  bodyFailure: null,
  start: 100,
  end: 1_000,
  written: 1_000,
  totalLength: 1_000,
  stalled,
  slow,
  random: 0.25,
  ...patch,
});

describe('streamOutcome', () => {
  it('R10: every byte promised written: Done at the end of the resource, Continue before it', () => {
    expect(streamOutcome(ended({}))).toEqual({ _tag: 'Done' });
    expect(streamOutcome(ended({ end: 600, written: 600 }))).toEqual({ _tag: 'Continue' });
  });

  it('R10: a whole answer is whole whatever cut it after its last byte', () => {
    expect(streamOutcome(ended({ cut: 'stop' }))).toEqual({ _tag: 'Done' });
    expect(streamOutcome(ended({ cut: 'stall', end: 600, written: 600 }))).toEqual({ _tag: 'Continue' });
    expect(streamOutcome(ended({ bodyFailure: reset }))).toEqual({ _tag: 'Done' });
  });

  it('R24, R25: cut by this side before its end: Stopped for a stop, a retry for a stall or a slow body', () => {
    expect(streamOutcome(ended({ cut: 'stop', written: 500 }))).toEqual({ _tag: 'Stopped' });
    const retry = (failure: DownloadFailure) => ({
      _tag: 'Retry',
      failure,
      retryAfterMs: null,
      random: 0.25,
    });
    expect(streamOutcome(ended({ cut: 'stall', written: 500 }))).toEqual(retry(stalled));
    expect(streamOutcome(ended({ cut: 'slow', written: 500 }))).toEqual(retry(slow));
    expect(streamOutcome(ended({ bodyFailure: reset, written: 500 }))).toEqual(retry(reset));
  });

  it('R36: a body whose framing broke is final, not a cut to resume', () => {
    const broken: DownloadFailure = { _tag: 'BadResponse', reason: 'invalid chunk size' };
    expect(streamOutcome(ended({ bodyFailure: broken, written: 500 }))).toEqual({
      _tag: 'Fail',
      failure: broken,
    });
  });

  it('R10, R26: a body that ends short of its promise is resumed from what was written', () => {
    expect(streamOutcome(ended({ written: 700 }))).toEqual({
      _tag: 'Retry',
      failure: { _tag: 'NetworkError', message: 'the body ended after 600 of 900 bytes' },
      retryAfterMs: null,
      random: 0.25,
    });
  });

  it('R15: a stream of unknown length is Done when it ends, Stopped when stopped', () => {
    expect(streamOutcome(ended({ end: null, totalLength: null, written: 5 }))).toEqual({ _tag: 'Done' });
    expect(streamOutcome(ended({ end: null, totalLength: null, cut: 'stop' }))).toEqual({ _tag: 'Stopped' });
  });
});

describe('decisionOutcome and unansweredOutcome', () => {
  it('R18: an expired signature asks the hook, with the status it answers', () => {
    expect(decisionOutcome({ _tag: 'Fail', failure: { _tag: 'UrlExpired', url: 'u' } }, 0)).toEqual({
      _tag: 'Expired',
      url: 'u',
      status: 403,
    });
  });

  it('R7, R25: restarts and retries carry the jitter of the wait that may follow', () => {
    expect(decisionOutcome({ _tag: 'Restart', reason: 'RANGE_IGNORED' }, 0.5)).toEqual({
      _tag: 'Restart',
      reason: 'RANGE_IGNORED',
      random: 0.5,
    });
    expect(decisionOutcome({ _tag: 'Retry', failure: reset, retryAfterMs: 3_000 }, 0.5)).toEqual({
      _tag: 'Retry',
      failure: reset,
      retryAfterMs: 3_000,
      random: 0.5,
    });
    expect(decisionOutcome({ _tag: 'Complete' }, 0)).toEqual({ _tag: 'Complete' });
    const bad = { _tag: 'Fail', failure: { _tag: 'BadResponse', reason: 'x' } } as const;
    expect(decisionOutcome(bad, 0)).toEqual(bad);
  });

  it('R24, R25: a request with no answer: Stopped for a stop, the stall for a stall, else its own failure', () => {
    expect(unansweredOutcome('stop', reset, stalled, 0)).toEqual({ _tag: 'Stopped' });
    expect(unansweredOutcome('stall', reset, stalled, 0)).toMatchObject({ _tag: 'Retry', failure: stalled });
    expect(unansweredOutcome(null, reset, stalled, 0)).toMatchObject({ _tag: 'Retry', failure: reset });
  });
});
