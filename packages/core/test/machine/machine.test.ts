import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { downloadMachine } from '../../src/machine/downloadMachine.js';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import type { ProbeResult, TransferOutcome } from '../../src/model/decision.js';
import { resolveOptions } from '../../src/rules/resolveOptions.js';

/** Steps of the machine without effects: `transition()` computes the next snapshot and the actions, runs nothing. */

const resolved = resolveOptions({
  url: 'https://files.example/a.bin',
  target: 'a.bin',
  retry: { retries: 2 },
});
if (E.isLeft(resolved)) throw new Error('options');
const options = resolved.right;

type Snapshot = ReturnType<typeof initialTransition<typeof downloadMachine>>[0];
type AnyEvent = Parameters<typeof transition<typeof downloadMachine>>[2];

const probe: ProbeResult = {
  method: 'HEAD',
  status: 200,
  finalUrl: 'https://cdn.example/a.bin',
  leftOrigin: false,
  validators: { etag: '"v1"', lastModified: null, date: null },
  totalLength: 1_000,
  acceptsRanges: true,
  contentEncoding: null,
};

const checkpointAt = (bytes: number): Checkpoint => ({
  version: 1,
  url: options.url,
  validators: probe.validators,
  totalLength: 1_000,
  ranges: bytes > 0 ? [[0, bytes]] : [],
});

/** What an effect actor reports: its output as the event `<actor>.<tag>`. */
const done = <Output extends { readonly _tag: string }>(actor: string, output: Output) =>
  ({ type: `${actor}.${output._tag}`, output }) as unknown as AnyEvent;

const step = (snapshot: Snapshot, event: AnyEvent) => transition(downloadMachine, snapshot, event);

const emitted = (actions: readonly { type: string; params?: unknown }[]) =>
  actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: { type: string } }).event);

const start = (refreshable = false) => initialTransition(downloadMachine, { options, refreshable })[0];

const downloadingFrom = (stored: Checkpoint | null, partSize: number, refreshable = false) => {
  let [s] = step(start(refreshable), { type: 'START' });
  [s] = step(
    s,
    done('prepare', { _tag: 'Ready', checkpoint: stored, partSize, targetSize: null, torn: null }),
  );
  const [next, actions] = step(s, done('probe', { _tag: 'Probed', probe }));
  return { snapshot: next, actions };
};

const end = (snapshot: Snapshot, outcome: TransferOutcome, bytes = 300) =>
  step(snapshot, {
    type: `transfer.${outcome._tag}`,
    outcome,
    checkpoint: checkpointAt(bytes),
    stored: true,
    partSize: bytes,
  } as unknown as AnyEvent);

describe('downloadMachine (transition, no effects)', () => {
  it('starts idle and does nothing before START', () => {
    const s = start();
    expect(s.value).toBe('idle');
    expect(step(s, { type: 'PAUSE' })[0].value).toBe('idle');
    expect(step(s, { type: 'START' })[0].value).toBe('preparing');
  });

  it('R16, R17: the probe leads to downloading from the final URL, with a fresh checkpoint for the caller URL', () => {
    const { snapshot, actions } = downloadingFrom(null, 0);
    expect(snapshot.value).toEqual({ downloading: 'running' });
    expect(snapshot.context.dataUrl).toBe('https://cdn.example/a.bin');
    expect(snapshot.context.checkpoint).toMatchObject({ url: options.url, ranges: [], totalLength: 1_000 });
    expect(emitted(actions)).toEqual([{ type: 'start', resumedFrom: 0, total: 1_000 }]);
  });

  it('R21: a resume starts at the prefix the checkpoint and the part file agree on, and says the tail was trimmed', () => {
    const { snapshot, actions } = downloadingFrom(checkpointAt(600), 700);
    expect(snapshot.context.checkpoint?.ranges).toEqual([[0, 600]]);
    expect(emitted(actions).map((e) => e.type)).toEqual(['notice', 'start']);
  });

  it('R14: a zero-length resource goes straight to verifying', () => {
    let [s] = step(start(), { type: 'START' });
    [s] = step(
      s,
      done('prepare', { _tag: 'Ready', checkpoint: null, partSize: 0, targetSize: null, torn: null }),
    );
    [s] = step(s, done('probe', { _tag: 'Probed', probe: { ...probe, totalLength: 0 } }));
    expect(s.value).toBe('verifying');
  });

  it('R25: a passing failure waits with the backoff of its attempt, and emits retry', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const failure = { _tag: 'HttpStatus', status: 503, url: options.url } as const;
    const [s, actions] = end(snapshot, { _tag: 'Retry', failure, retryAfterMs: 2_000, random: 0.5 }, 0);
    expect(s.value).toEqual({ waiting: 'backoff' });
    expect(s.context.count.attempt).toBe(1);
    expect(s.context.retryDelayMs).toBe(2_000);
    expect(emitted(actions)).toEqual([{ type: 'retry', attempt: 1, delayMs: 2_000, failure }]);
    // This run probed the resource already: the retry asks for the data again, with no new HEAD.
    expect(step(s, { type: 'ONLINE' })[0].value).toEqual({ downloading: 'running' });
    expect(step(s, { type: 'RESUME' })[0].value).toEqual({ downloading: 'running' });
  });

  it('R25: retries run out after retry.retries retries in a row without a byte (retries + 1 attempts); bytes reset the count', () => {
    const failure = { _tag: 'NetworkError', message: 'reset' } as const;
    const retry: TransferOutcome = { _tag: 'Retry', failure, retryAfterMs: null, random: 0 };
    let { snapshot: s } = downloadingFrom(null, 0);
    for (let i = 0; i < 2; i += 1) {
      [s] = end(s, retry, 0);
      [s] = step(s, { type: 'RESUME' });
    }
    expect(s.value).toEqual({ downloading: 'running' });
    expect(s.context.count.attempt).toBe(2);
    const [progressed] = end(s, retry, 300);
    expect(progressed.context.count).toMatchObject({ attempt: 1, highWater: 300 });
    const [exhausted] = end(s, retry, 0);
    expect(exhausted.value).toEqual({ failing: 'discarding' });
    expect(exhausted.context.failure).toEqual({ _tag: 'RetriesExhausted', attempts: 3, last: failure });
  });

  it('R25: bytes fetched again after a restart are not progress: the count goes on and the retries run out', () => {
    const failure = { _tag: 'NetworkError', message: 'cut' } as const;
    const retry: TransferOutcome = { _tag: 'Retry', failure, retryAfterMs: null, random: 0 };
    let { snapshot: s } = downloadingFrom(null, 0);
    // A server that ignores Range and cuts every body at 300 bytes.
    [s] = end(s, retry, 300);
    expect(s.context.count).toMatchObject({ attempt: 1, highWater: 300 });
    for (let round = 0; round < 2; round += 1) {
      [s] = step(s, { type: 'RESUME' });
      [s] = end(s, { _tag: 'Restart', reason: 'RANGE_IGNORED', random: 0 }, 300);
      [s] = step(s, done('probe', { _tag: 'Probed', probe }));
      [s] = end(s, retry, 300);
    }
    expect(s.value).toEqual({ failing: 'releasing' });
    expect(s.context.failure).toEqual({ _tag: 'RetriesExhausted', attempts: 3, last: failure });
  });

  it('R25: restarts have their own bound: past retry.maxRestarts in one run, TooManyRestarts', () => {
    const bounded = resolveOptions({ url: options.url, target: 'a.bin', retry: { maxRestarts: 2 } });
    if (E.isLeft(bounded)) throw new Error('options');
    let [s] = step(initialTransition(downloadMachine, { options: bounded.right, refreshable: false })[0], {
      type: 'START',
    });
    [s] = step(
      s,
      done('prepare', { _tag: 'Ready', checkpoint: null, partSize: 0, targetSize: null, torn: null }),
    );
    const restart: TransferOutcome = { _tag: 'Restart', reason: 'RESOURCE_CHANGED', random: 0.5 };
    const delays: number[] = [];
    for (let round = 0; round < 2; round += 1) {
      [s] = step(s, done('probe', { _tag: 'Probed', probe }));
      [s] = end(s, restart, 300);
      delays.push(s.context.retryDelayMs);
      // The first restart goes at once; the next waits with backoff.
      if (round === 0) expect(s.value).toBe('heading');
      else [s] = step(s, { type: 'RESUME' });
    }
    expect(delays[0]).toBe(0);
    expect(delays[1]).toBeGreaterThan(0);
    [s] = step(s, done('probe', { _tag: 'Probed', probe }));
    [s] = end(s, restart, 300);
    expect(s.value).toEqual({ failing: 'releasing' });
    expect(s.context.failure).toEqual({ _tag: 'TooManyRestarts', restarts: 3, reason: 'RESOURCE_CHANGED' });
  });

  it('R7, R28: a restart forgets the checkpoint, re-probes and emits restart', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const [s, actions] = end(snapshot, { _tag: 'Restart', reason: 'RANGE_IGNORED', random: 0 });
    expect(s.value).toBe('heading');
    expect(s.context.checkpoint).toBeNull();
    expect(emitted(actions)).toEqual([{ type: 'restart', reason: 'RANGE_IGNORED' }]);
  });

  it('R18: an expired URL goes to refreshing when a hook was given, to failing when not', () => {
    const expired: TransferOutcome = { _tag: 'Expired', url: options.url, status: 403 };
    const refused: TransferOutcome = { _tag: 'Fail', failure: { _tag: 'UrlExpired', url: options.url } };
    expect(end(downloadingFrom(null, 0, true).snapshot, expired)[0].value).toBe('refreshing');
    expect(end(downloadingFrom(null, 0, false).snapshot, refused)[0].value).toEqual({ failing: 'releasing' });
    const [refreshing] = end(downloadingFrom(null, 0, true).snapshot, expired);
    const [s] = step(
      refreshing,
      done('refresh', { _tag: 'Refreshed', urls: { url: 'https://files.example/b' } }),
    );
    expect(s.value).toBe('heading');
    expect(s.context.urls).toEqual({ url: 'https://files.example/b', headUrl: 'https://files.example/b' });
  });

  it('R24: pause asks the transfer to stop, keeps its checkpoint, then closes the file', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const [stopping, actions] = step(snapshot, { type: 'PAUSE' });
    expect(stopping.value).toEqual({ downloading: 'stopping' });
    expect(actions.some((a) => a.type === 'xstate.sendTo')).toBe(true);
    const [pausing] = end(stopping, { _tag: 'Stopped' }, 400);
    expect(pausing.value).toBe('pausing');
    expect(pausing.context.checkpoint?.ranges).toEqual([[0, 400]]);
    const [paused] = step(pausing, done('release', { _tag: 'Released' }));
    expect(paused.value).toBe('paused');
    expect(step(paused, { type: 'RESUME' })[0].value).toBe('preparing');
  });

  it('R24, R20: a pause whose request fails (its last save) ends failed with that failure, never paused', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const [stopping] = step(snapshot, { type: 'PAUSE' });
    const io = { _tag: 'IoError', message: 'save checkpoint: EIO' } as const;
    const [failing] = end(stopping, { _tag: 'Fail', failure: io }, 400);
    expect(failing.value).toEqual({ failing: 'releasing' });
    expect(failing.context.failure).toEqual(io);
    expect(step(failing, done('release', { _tag: 'Released' }))[0].value).toBe('failed');
    // A cancel asked meanwhile still deletes the files.
    const [cancelled] = step(stopping, { type: 'CANCEL' });
    expect(end(cancelled, { _tag: 'Fail', failure: io })[0].value).toBe('cancelling');
    // And so does one asked once it fails, while the file is being released: never a failure that keeps them.
    const [cancelledLate] = step(failing, { type: 'CANCEL' });
    expect(step(cancelledLate, done('release', { _tag: 'Released' }))[0].value).toBe('cancelling');
  });

  it('R24, R19: a cancel while a failure with nothing durable deletes its files ends cancelled, not failed', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const io = { _tag: 'IoError', message: 'write: EIO' } as const;
    const [failing] = end(snapshot, { _tag: 'Fail', failure: io }, 0);
    expect(failing.value).toEqual({ failing: 'discarding' });
    const [cancelled] = step(failing, { type: 'CANCEL' });
    expect(step(cancelled, done('discard', { _tag: 'Discarded' }))[0].value).toBe('cancelled');
    expect(step(failing, done('discard', { _tag: 'Discarded' }))[0].value).toBe('failed');
  });

  it('R24: cancel while stopping for a pause wins, and ends in cancelled', () => {
    const { snapshot } = downloadingFrom(null, 0);
    let [s] = step(snapshot, { type: 'PAUSE' });
    [s] = step(s, { type: 'CANCEL' });
    [s] = end(s, { _tag: 'Stopped' });
    expect(s.value).toBe('cancelling');
    [s] = step(s, done('discard', { _tag: 'Released' }));
    expect(s.value).toBe('cancelled');
    expect(s.status).toBe('done');
  });

  it('R11: a plan that fails (onChange fail) goes to failing with ResourceChanged', () => {
    const failing = resolveOptions({ url: options.url, target: 'a.bin', onChange: 'fail' });
    if (E.isLeft(failing)) throw new Error('options');
    let [s] = step(initialTransition(downloadMachine, { options: failing.right, refreshable: false })[0], {
      type: 'START',
    });
    [s] = step(
      s,
      done('prepare', {
        _tag: 'Ready',
        checkpoint: checkpointAt(500),
        partSize: 500,
        targetSize: null,
        torn: null,
      }),
    );
    [s] = step(
      s,
      done('probe', {
        _tag: 'Probed',
        probe: { ...probe, validators: { ...probe.validators, etag: '"v2"' } },
      }),
    );
    expect(s.value).toEqual({ failing: 'releasing' });
    expect(s.context.failure?._tag).toBe('ResourceChanged');
  });

  it('R23: a busy target fails at preparing, before any request', () => {
    let [s] = step(start(), { type: 'START' });
    [s] = step(s, done('prepare', { _tag: 'Fail', failure: { _tag: 'TargetBusy', target: 'a.bin' } }));
    expect(s.value).toEqual({ failing: 'releasing' });
    expect(s.context.failure).toEqual({ _tag: 'TargetBusy', target: 'a.bin' });
  });

  it('R16: with a headUrl of its own the data URL is url, not the final URL of the HEAD', () => {
    const withHead = resolveOptions({
      url: 'https://files.example/a.bin?sig=get',
      headUrl: 'https://files.example/a.bin?sig=head',
      target: 'a.bin',
    });
    if (E.isLeft(withHead)) throw new Error('options');
    let [s] = step(initialTransition(downloadMachine, { options: withHead.right, refreshable: false })[0], {
      type: 'START',
    });
    [s] = step(
      s,
      done('prepare', { _tag: 'Ready', checkpoint: null, partSize: 0, targetSize: null, torn: null }),
    );
    [s] = step(s, done('probe', { _tag: 'Probed', probe }));
    expect(s.value).toEqual({ downloading: 'running' });
    expect(s.context.dataUrl).toBe('https://files.example/a.bin?sig=get');
  });

  it('R17: a probe redirected to another origin keeps Authorization and Cookie out of the data requests', () => {
    const withCredentials = resolveOptions({
      url: options.url,
      target: 'a.bin',
      headers: { authorization: 'Bearer t', Cookie: 'c=1', 'user-agent': 'rdl' },
    });
    if (E.isLeft(withCredentials)) throw new Error('options');
    let [s] = step(
      initialTransition(downloadMachine, { options: withCredentials.right, refreshable: false })[0],
      { type: 'START' },
    );
    [s] = step(
      s,
      done('prepare', { _tag: 'Ready', checkpoint: null, partSize: 0, targetSize: null, torn: null }),
    );
    const [crossOrigin] = step(s, done('probe', { _tag: 'Probed', probe }));
    expect(crossOrigin.context.dataUrl).toBe('https://cdn.example/a.bin');
    expect(crossOrigin.context.dataHeaders).toEqual({ 'user-agent': 'rdl' });
    const [sameOrigin] = step(
      s,
      done('probe', { _tag: 'Probed', probe: { ...probe, finalUrl: 'https://files.example/v2/a.bin' } }),
    );
    expect(sameOrigin.context.dataHeaders).toEqual(withCredentials.right.headers);
  });

  it('R19: a failure with no byte durable deletes the part file and checkpoint; with bytes it only closes the file', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const refused: TransferOutcome = {
      _tag: 'Fail',
      failure: { _tag: 'RedirectRefused', location: 'ftp://x', message: 'not http(s)' },
    };
    const [nothing] = end(snapshot, refused, 0);
    expect(nothing.value).toEqual({ failing: 'discarding' });
    expect(step(nothing, done('discard', { _tag: 'Released' }))[0].value).toBe('failed');
    const [some] = end(snapshot, refused, 300);
    expect(some.value).toEqual({ failing: 'releasing' });
    expect(step(some, done('release', { _tag: 'Released' }))[0].value).toBe('failed');
  });

  it('R19: a failure found by the probe keeps the bytes a stored checkpoint counts, and deletes an empty start', () => {
    const notFound = done('probe', {
      _tag: 'Fail',
      failure: { _tag: 'HttpStatus', status: 404, url: options.url },
    });
    const from = (stored: Checkpoint | null) => {
      let [s] = step(start(), { type: 'START' });
      [s] = step(
        s,
        done('prepare', { _tag: 'Ready', checkpoint: stored, partSize: 500, targetSize: null, torn: null }),
      );
      return step(s, notFound)[0].value;
    };
    expect(from(checkpointAt(500))).toEqual({ failing: 'releasing' });
    expect(from(checkpointAt(0))).toEqual({ failing: 'discarding' });
    expect(from(null)).toEqual({ failing: 'discarding' });
  });

  it('R19: a restart decided after bytes, then a failing probe, keeps the checkpoint that still counts them', () => {
    const { snapshot } = downloadingFrom(null, 0);
    let [s] = end(snapshot, { _tag: 'Restart', reason: 'RANGE_IGNORED', random: 0 }, 300);
    [s] = step(
      s,
      done('probe', {
        _tag: 'Fail',
        failure: { _tag: 'HttpStatus', status: 404, url: options.url },
      }),
    );
    expect(s.value).toEqual({ failing: 'releasing' });
  });

  it('R24: a cancel while verifying is kept: once the checks end the part file is discarded (cancelling), never committed', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const [verifying] = end(snapshot, { _tag: 'Done' }, 1_000);
    const [asked] = step(verifying, { type: 'CANCEL' });
    expect(asked.value).toBe('verifying');
    expect(asked.context.stopIntent).toBe('cancel');
    const verified = done('verify', { _tag: 'Verified', bytes: 1_000, sha256: null, checks: [] });
    expect(step(asked, verified)[0].value).toBe('cancelling');
    const io = { _tag: 'IoError', message: 'EIO' } as const;
    expect(step(asked, done('verify', { _tag: 'Fail', failure: io, discarded: false }))[0].value).toBe(
      'cancelling',
    );
    // A pause lets it finish; a cancel once the rename is under way comes too late.
    const [paused] = step(verifying, { type: 'PAUSE' });
    const [committing] = step(paused, verified);
    expect(committing.value).toBe('committing');
    const [late] = step(committing, { type: 'CANCEL' });
    expect(step(late, done('commit', { _tag: 'Committed' }))[0].value).toBe('done');
  });

  it('R12, R19: a checksum mismatch (data discarded by verify) leaves nothing; another verify failure keeps the bytes', () => {
    const { snapshot } = downloadingFrom(null, 0);
    const [verifying] = end(snapshot, { _tag: 'Done' }, 1_000);
    expect(verifying.value).toBe('verifying');
    const mismatch = {
      _tag: 'IntegrityError',
      check: 'sha256',
      source: 'caller',
      expected: 'a',
      actual: 'b',
    } as const;
    expect(
      step(verifying, done('verify', { _tag: 'Fail', failure: mismatch, discarded: true }))[0].value,
    ).toEqual({
      failing: 'discarding',
    });
    const io = { _tag: 'IoError', message: 'rename failed' } as const;
    expect(step(verifying, done('verify', { _tag: 'Fail', failure: io, discarded: false }))[0].value).toEqual(
      {
        failing: 'releasing',
      },
    );
  });

  it('R21: a plan that finds every byte present says start before it verifies', () => {
    let [s] = step(start(), { type: 'START' });
    [s] = step(
      s,
      done('prepare', {
        _tag: 'Ready',
        checkpoint: checkpointAt(1_000),
        partSize: 1_000,
        targetSize: null,
        torn: null,
      }),
    );
    const [verifying, actions] = step(s, done('probe', { _tag: 'Probed', probe }));
    expect(verifying.value).toBe('verifying');
    expect(emitted(actions)).toEqual([{ type: 'start', resumedFrom: 1_000, total: 1_000 }]);
  });

  it('R19, R21: a finished target left with its checkpoint is adopted with no probe; a failed check goes on to the probe', () => {
    let [s] = step(start(), { type: 'START' });
    const ready = {
      _tag: 'Ready',
      checkpoint: checkpointAt(1_000),
      partSize: 0,
      targetSize: 1_000,
      torn: null,
    };
    const [adopting, actions] = step(s, done('prepare', ready));
    expect(adopting.value).toBe('adopting');
    expect(emitted(actions)).toEqual([{ type: 'start', resumedFrom: 1_000, total: 1_000 }]);
    const [finished] = step(
      adopting,
      done('adopt', { _tag: 'Adopted', bytes: 1_000, sha256: 'ab', checks: [] }),
    );
    expect(finished.value).toBe('done');
    expect(finished.context.result).toEqual({ bytes: 1_000, sha256: 'ab', checks: [] });
    const notice = { code: 'TARGET_MISMATCH', message: 'sha256 differs' };
    const [heading, noticed] = step(adopting, done('adopt', { _tag: 'Mismatch', notice }));
    expect(heading.value).toBe('heading');
    expect(emitted(noticed)).toEqual([{ type: 'notice', ...notice }]);
    const io = { _tag: 'IoError', message: 'EIO' } as const;
    const [failing] = step(adopting, done('adopt', { _tag: 'Fail', failure: io }));
    expect(failing.value).toEqual({ failing: 'releasing' });
    expect(failing.context.failure).toEqual(io);
    // Another size of target: the usual start, from the probe.
    [s] = step(start(), { type: 'START' });
    expect(step(s, done('prepare', { ...ready, targetSize: 999 }))[0].value).toBe('heading');
  });

  it('R12: a transfer answered 416 bytes */L with every byte written (Complete) is verified, then done', () => {
    const { snapshot } = downloadingFrom(checkpointAt(600), 600);
    const [verifying] = end(snapshot, { _tag: 'Complete' }, 1_000);
    expect(verifying.value).toBe('verifying');
    expect(verifying.context.checkpoint?.ranges).toEqual([[0, 1_000]]);
    const [committing] = step(
      verifying,
      done('verify', { _tag: 'Verified', bytes: 1_000, sha256: null, checks: [] }),
    );
    expect(committing.value).toBe('committing');
    const [finished] = step(committing, done('commit', { _tag: 'Committed' }));
    expect(finished.value).toBe('done');
    expect(finished.status).toBe('done');
    expect(finished.context.result).toEqual({ bytes: 1_000, sha256: null, checks: [] });
  });
});
