import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { isDownloadError } from '@rdl/core';
import { describe, expect, it } from 'vitest';
import { NodeHasher } from '../src/NodeHasher.js';
import type { SpawnHashWorker } from '../src/threadHash.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { runDownload } from './support/harness.js';
import { useTempDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
const STALL_MS = 200;
/** The longest a test lets the thread be blocked: the stall bound, plus room for a loaded machine. */
const BLOCK_BOUND_MS = STALL_MS + 1_500;

/** The real hash worker, handed to `onSpawn` with the count of slots it hashed (the ring's `ctrl` cell 1). */
const watchedWorker =
  (onSpawn: (worker: Worker, hashed: () => number) => void): SpawnHashWorker =>
  (source, options) => {
    const worker = new Worker(source, options);
    const ctrl = new Int32Array((options.workerData as { ctrl: SharedArrayBuffer }).ctrl);
    onSpawn(worker, () => Atomics.load(ctrl, 1));
    return worker;
  };

/** A worker that lives and never hashes a byte: a frozen thread, whose exit event never comes to help. */
const frozenWorker: SpawnHashWorker = (_source, options: WorkerOptions) =>
  new Worker('setInterval(() => {}, 1000);', { ...options, eval: true });

/** Resolves once `hashed()` is at least `slots`, checking at each turn of the event loop. */
const untilHashed = async (hashed: () => number, slots: number): Promise<void> => {
  while (hashed() < slots) await new Promise((resolve) => setImmediate(resolve));
};

const timed = <T>(work: () => T): { value: T; ms: number } => {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
};

describe('NodeHasher with a worker that dies (R27)', () => {
  const data = generateBytes(3 * MiB + 5, 9);

  it('R27: a worker killed before it hashed a byte: the hash goes on here and the digest is exact', async () => {
    let kill: Promise<number> = Promise.resolve(0);
    const hasher = new NodeHasher(
      { workerStallMs: STALL_MS },
      watchedWorker((worker) => {
        kill = worker.terminate();
      }),
    );
    const state = hasher.create('sha256');
    await kill;
    const { value, ms } = timed(() => {
      state.update(data);
      return state.digest();
    });
    expect(value).toBe(createHash('sha256').update(data).digest('hex'));
    expect(ms).toBeLessThan(BLOCK_BOUND_MS);
  });

  it('R27: a live worker is never lost: lost() waits for the bytes given, then says false', () => {
    const state = new NodeHasher({ workerStallMs: STALL_MS }).create('sha256');
    state.update(data);
    expect(state.lost?.()).toBe(false);
    expect(state.digest()).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('R27: a frozen worker that never answers blocks the thread for the stall bound only; the digest is exact', () => {
    const state = new NodeHasher({ workerStallMs: STALL_MS }, frozenWorker).create('md5');
    // 3 MiB is more than the ring holds: the second half must wait for a worker that never comes.
    const { value, ms } = timed(() => {
      state.update(data);
      return state.digest();
    });
    expect(value).toBe(createHash('md5').update(data).digest('hex'));
    expect(ms).toBeGreaterThanOrEqual(STALL_MS - 1);
    expect(ms).toBeLessThan(BLOCK_BOUND_MS);
  });

  it('R27: a worker killed after it hashed part of the bytes: digest() throws a typed ERR_IO, never a wrong digest', async () => {
    let killed: Promise<void> = Promise.resolve();
    const state = new NodeHasher(
      { workerStallMs: STALL_MS },
      watchedWorker((worker, hashed) => {
        killed = untilHashed(hashed, 1).then(async () => {
          await worker.terminate();
        });
      }),
    ).create('sha256');
    state.update(data.subarray(0, MiB));
    await killed;
    const { ms } = timed(() => state.update(data.subarray(MiB)));
    expect(ms).toBeLessThan(BLOCK_BOUND_MS);
    expect(state.lost?.()).toBe(true);
    const error = (() => {
      try {
        return state.digest();
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(isDownloadError(error) && error.code).toBe('ERR_IO');
    expect(String((error as Error).message)).toMatch(/the sha256 worker thread stopped after hashing part/);
    expect(String((error as Error).message)).not.toContain('\n');
  });
});

describe('a download whose hash worker is killed mid-way (R27)', () => {
  const server = useFaultServer();
  const body = generateBytes(12 * MiB, 21);
  server.serve('/big', body);
  const dir = useTempDir();

  it('R27: killed once after it hashed part of the bytes, the file is hashed again from byte 0: the SHA-256 is right', async () => {
    let spawned = 0;
    const hasher = new NodeHasher(
      { workerStallMs: STALL_MS },
      watchedWorker((worker, hashed) => {
        spawned += 1;
        if (spawned === 1) void untilHashed(hashed, 4).then(() => worker.terminate());
      }),
    );
    const outcome = await runDownload(
      { url: server.url('/big'), target: join(dir(), 'rehashed.bin'), computeSha256: true },
      { hasher },
    );
    expect(outcome.error).toBeNull();
    expect(outcome.result?.sha256).toBe(sha256(body));
    expect(spawned).toBe(2);
  });

  it('R27: every worker killed mid-way ends with a typed ERR_IO, and the event loop is never blocked longer than the bound', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    // The body waits at 8 MiB until the worker is gone, so that no machine is too slow for the kill to land first.
    let terminated: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => {
      terminated = resolve;
    });
    server.fail({ kind: 'stall', at: 8 * MiB, until: gone }, { method: 'GET' });
    const hasher = new NodeHasher(
      { workerStallMs: STALL_MS },
      watchedWorker((worker, hashed) => {
        void untilHashed(hashed, 4)
          .then(() => worker.terminate())
          .then(terminated);
      }),
    );
    const outcome = await runDownload(
      { url: server.url('/big'), target: join(dir(), 'big.bin'), computeSha256: true, connections: 1 },
      { hasher },
    );
    delay.disable();
    expect(outcome.result).toBeNull();
    expect(outcome.error?.code).toBe('ERR_IO');
    expect(outcome.error?.message).toMatch(/the sha256 worker thread .+ so its hash is lost$/);
    expect(delay.max / 1e6).toBeLessThan(BLOCK_BOUND_MS);
  });

  it('R27: killed before it hashed a byte, the download ends with the right SHA-256', async () => {
    const hasher = new NodeHasher(
      { workerStallMs: STALL_MS },
      watchedWorker((worker) => {
        void worker.terminate();
      }),
    );
    const outcome = await runDownload(
      { url: server.url('/big'), target: join(dir(), 'again.bin'), computeSha256: true },
      { hasher },
    );
    expect(outcome.error).toBeNull();
    expect(outcome.result?.sha256).toBe(sha256(body));
  });
});
