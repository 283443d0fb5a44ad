import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor } from 'xstate';
import { machineFor } from '../../src/machine/machineFor.js';
import { resolveOptions } from '../../src/rules/resolveOptions.js';
import {
  bytesDiff,
  bytesOf,
  gets,
  runUntil,
  same,
  TARGET,
  URL_A,
  worldServing,
} from '../support/machineHarness.js';

const SIZE = 200_000;

const optionsFor = () => {
  const resolved = resolveOptions({
    url: URL_A,
    target: TARGET,
    writeBufferBytes: 8192,
    checkpointIntervalMs: 10,
  });
  if (E.isLeft(resolved)) throw new Error('options');
  return resolved.right;
};

const stateOf = (actor: AnyActorRef): unknown => actor.getSnapshot().value;

describe('the machine context is JSON and a persisted snapshot restores a download', () => {
  it('R24: a paused download persisted as JSON, restored in a new actor, resumes from its checkpoint to the right bytes', async () => {
    const content = bytesOf(SIZE);
    const w = worldServing(content, {}, { chunkSize: 4096, chunkDelayMs: 5 });
    const options = optionsFor();
    const input = { options, refreshable: false };

    const firstRun = machineFor(w.ports, () => undefined);
    const first = createActor(firstRun.machine, {
      input,
      clock: w.clock,
    });
    firstRun.bind(first);
    first.start();
    first.send({ type: 'START' });
    await runUntil(w, () => (w.storage.durablePartOf(TARGET)?.length ?? 0) >= 60_000);
    first.send({ type: 'PAUSE' });
    await runUntil(w, () => stateOf(first) === 'paused');

    const snapshot = first.getPersistedSnapshot() as unknown as { context: unknown; value: unknown };
    const text = JSON.stringify(snapshot);
    // Nothing in the context is lost in JSON: no port, function, class instance, Map or undefined hides in it.
    expect(JSON.parse(JSON.stringify(snapshot.context))).toEqual(snapshot.context);
    first.stop();

    const restored = JSON.parse(text);
    const secondRun = machineFor(w.ports, () => undefined);
    const second = createActor(secondRun.machine, {
      input,
      clock: w.clock,
      snapshot: restored,
    });
    secondRun.bind(second);
    second.start();
    expect(stateOf(second)).toBe('paused');
    second.send({ type: 'RESUME' });
    await runUntil(w, () => second.getSnapshot().status !== 'active');

    expect(stateOf(second)).toBe('done');
    expect(bytesDiff(w.storage.fileOf(TARGET), content)).toEqual(same(content));
    const ranges = gets(w).map((request) => request.headers.range ?? null);
    // The first run began with a plain GET; the restored one asked only for what the checkpoint did not count.
    expect(ranges[0]).toBeNull();
    expect(ranges).toHaveLength(2);
    expect(Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1])).toBeGreaterThanOrEqual(60_000);
    expect(w.storage.list()).toEqual([TARGET]);
    expect(await w.checkpoints.load(TARGET)()).toEqual(E.right(null));
  });
});
