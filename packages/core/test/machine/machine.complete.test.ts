import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import type { TransferInput } from '../../src/machine/effects.js';
import type { TransferCommand } from '../../src/machine/events.js';
import { machineFor } from '../../src/machine/machineFor.js';
import { fault } from '../../src/memory/faults.js';
import { resolveOptions } from '../../src/rules/resolveOptions.js';
import {
  begin,
  bytesDiff,
  bytesOf,
  eventsOf,
  finish,
  gets,
  idle,
  leftByEarlierRun,
  same,
  TARGET,
  URL_A,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 60_000;

/**
 * Runs the machine over the memory ports with a part file holding every byte and a checkpoint counting 40 000 of
 * them, its transfer replaced by one that reports what a 416 `bytes *\/L` with every byte written yields.
 */
const completeAfterResume = async (expectedSha256: string) => {
  const content = bytesOf(SIZE);
  const w = worldServing(content);
  leftByEarlierRun(w, content, SIZE, 40_000);
  const resolved = resolveOptions({ url: URL_A, target: TARGET, expectedSha256 });
  if (E.isLeft(resolved)) throw new Error('options');
  const offsets: number[] = [];
  const answered416 = fromCallback<TransferCommand, TransferInput>(({ input, sendBack }) => {
    offsets.push(input.offset);
    sendBack({
      type: 'transfer.Complete',
      outcome: { _tag: 'Complete' },
      checkpoint: { ...input.checkpoint, ranges: [[0, SIZE]] },
      stored: true,
      partSize: SIZE,
    });
  });
  const { machine, bind } = machineFor(w.ports, () => undefined);
  const actor = createActor(machine.provide({ actors: { transfer: answered416 } }), {
    input: { options: resolved.right, refreshable: false },
    clock: w.clock,
  });
  bind(actor);
  actor.start();
  actor.send({ type: 'START' });
  for (let turn = 0; turn < 50 && actor.getSnapshot().status === 'active'; turn += 1) await idle();
  return { w, content, offsets, snapshot: actor.getSnapshot() };
};

/**
 * R12 in a single stream. classifyResponse says `Complete` for a 416 `bytes *\/L` only when the request began at
 * `L`, the checkpoint's total. planStart never plans a request there: every byte counted is `Complete` before any
 * request, and a Resume begins below the total (the R21 and R12 properties of planStart). So the transfer's
 * `Complete` outcome cannot come from a real answer today; these proofs show the path that is reachable, and that the
 * machine's `Complete` path, given that outcome, ends verified in `done`.
 */
describe('R12: completion in a single stream', () => {
  it('R12: a checkpoint counting every byte (a crash before the rename) is verified and done with no data request', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, SIZE);
    const run = begin(w, { expectedSha256: bytesToHex(sha256(content)) });
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    expect(end.result?.sha256).toBe(bytesToHex(sha256(content)));
    expect(gets(w)).toEqual([]);
    expect(w.storage.list()).toEqual([TARGET]);
    expect(w.checkpoints.keys()).toEqual([]);
    expect(run.states.slice(-2)).toEqual(['verifying', 'done']);
  });

  it('R12: a checkpoint that lagged behind the part file resumes from the checkpoint; a 416 */L there restarts, never completes', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content);
    leftByEarlierRun(w, content, SIZE, 40_000);
    w.server.inject(fault.status(416, { headers: { 'content-range': `bytes */${SIZE}` } }), {
      method: 'GET',
    });
    const run = begin(w);
    const end = await finish(w, run);
    expect(end.code).toBeNull();
    // The bytes past the checkpoint were never trusted (R20, R21), so "every byte written" does not hold.
    expect(gets(w).map((r) => r.headers.range)).toEqual(['bytes=40000-', undefined]);
    expect(eventsOf(run, 'restart').map((e) => e.reason)).toEqual(['RESOURCE_CHANGED']);
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
  });

  it('R12: a transfer that ends Complete is verified (sha256 read back from the part file), committed, and done', async () => {
    const digest = bytesToHex(sha256(bytesOf(SIZE)));
    const { w, content, offsets, snapshot } = await completeAfterResume(digest);
    expect(offsets).toEqual([40_000]);
    expect(snapshot.value).toBe('done');
    expect(snapshot.context.result).toEqual({
      bytes: SIZE,
      sha256: digest,
      checks: [{ algorithm: 'sha256', source: 'caller' }],
    });
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    expect(w.checkpoints.keys()).toEqual([]);
    expect(w.storage.isLocked(TARGET)).toBe(false);
  });

  it('R12, R27: the same Complete over bytes that do not match the expected sha256 fails and keeps nothing', async () => {
    const { w, snapshot } = await completeAfterResume('ab'.repeat(32));
    expect(snapshot.value).toBe('failed');
    expect(snapshot.context.failure?._tag).toBe('IntegrityError');
    expect(w.storage.list()).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
  });
});
