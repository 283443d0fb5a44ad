import * as E from 'fp-ts/lib/Either.js';
import { createDownload } from '../../src/api/createDownload.js';
import { ManualClock } from '../../src/memory/ManualClock.js';
import { MemoryCheckpointStore } from '../../src/memory/MemoryCheckpointStore.js';
import { MemoryHasher } from '../../src/memory/MemoryHasher.js';
import { MemoryServer } from '../../src/memory/MemoryServer.js';
import { MemoryStorage } from '../../src/memory/MemoryStorage.js';
import type {
  Download,
  DownloadEvent,
  DownloadPorts,
  DownloadResult,
  DownloadState,
} from '../../src/model/download.js';
import type { DownloadOptions } from '../../src/model/options.js';
import { encodeCheckpoint } from '../../src/rules/checkpointCodec.js';

// Tests run on Node; core's tsconfig has no platform types, so the one macrotask hook the harness uses is named here.
declare function setImmediate(callback: () => void): unknown;

/** Lets every queued promise callback run (the memory ports only use microtasks). */
export const idle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const URL_A = 'https://files.example/a.bin';
export const TARGET = 'a.bin';

/** Deterministic bytes of `length`, different for each `seed`. */
export const bytesOf = (length: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(length);
  let x = seed * 2654435761;
  for (let i = 0; i < length; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};

export interface World {
  readonly clock: ManualClock;
  readonly server: MemoryServer;
  readonly storage: MemoryStorage;
  readonly checkpoints: MemoryCheckpointStore;
  readonly ports: DownloadPorts;
}

export interface Serving {
  readonly chunkSize?: number;
  readonly chunkDelayMs?: number;
  /** Bodies as adjacent views of one buffer, with a poisoning `recycle` (see `MemoryServerOptions`). */
  readonly slotBodies?: boolean;
  /** One link for all bodies (see `MemoryServerOptions.sharedLink`). */
  readonly sharedLink?: boolean;
}

export const world = (extra: Partial<DownloadPorts> = {}, serving: Serving = {}): World => {
  const clock = new ManualClock();
  const server = new MemoryServer({
    clock,
    chunkSize: serving.chunkSize ?? 4096,
    chunkDelayMs: serving.chunkDelayMs ?? 0,
    slotBodies: serving.slotBodies ?? false,
    sharedLink: serving.sharedLink ?? false,
  });
  const storage = new MemoryStorage();
  const checkpoints = new MemoryCheckpointStore();
  const ports: DownloadPorts = {
    http: server,
    storage,
    checkpoints,
    clock,
    hasher: new MemoryHasher(),
    ...extra,
  };
  return { clock, server, storage, checkpoints, ports };
};

/** `world(extra, serving)` with `content` published at `URL_A` (a strong ETag and a Last-Modified). */
export const worldServing = (
  content: Uint8Array,
  extra: Partial<DownloadPorts> = {},
  serving: Serving = {},
): World => {
  const w = world(extra, serving);
  w.server.publish(URL_A, content);
  return w;
};

/** The GET requests the server saw, in order. */
export const gets = (w: World) => w.server.requests.filter((r) => r.method === 'GET');

export interface Run {
  readonly download: Download;
  readonly events: DownloadEvent[];
  readonly states: DownloadState[];
  settled: boolean;
}

export const begin = (
  w: World,
  options: Partial<DownloadOptions> = {},
  start = true,
  ports: DownloadPorts = w.ports,
): Run => {
  const download = createDownload(
    { url: URL_A, target: TARGET, writeBufferBytes: 8192, stallTimeoutMs: 5_000, ...options },
    ports,
  );
  const run: Run = { download, events: [], states: [], settled: false };
  download.subscribe((event) => {
    run.events.push(event);
    if (event.type === 'state') run.states.push(event.state);
  });
  download.result.then(
    () => {
      run.settled = true;
    },
    () => {
      run.settled = true;
    },
  );
  if (start) download.start();
  return run;
};

/**
 * Runs the world until `until` holds (default: the result settled): drains promise callbacks, and when nothing
 * moves, advances the clock to the next timer. Throws when stuck with no timer left.
 */
export const drive = async (
  w: World,
  run: Run,
  until: () => boolean = () => run.settled,
  maxSteps = 5_000,
) => {
  for (let step = 0; step < maxSteps; step += 1) {
    await idle();
    if (until()) return;
    const due = w.clock.nextDue();
    if (due === null) throw new Error(`stuck in ${run.download.getSnapshot().state} with no timer pending`);
    w.clock.advance(due - w.clock.now());
  }
  throw new Error('drive: too many steps');
};

/** Runs to the end and returns the result, or the error and its code. */
export const finish = async (
  w: World,
  run: Run,
): Promise<{ result: DownloadResult | null; code: string | null; error: unknown }> => {
  await drive(w, run);
  return run.download.result.then(
    (result) => ({ result, code: null, error: null }),
    (error: { code?: string }) => ({ result: null, code: error.code ?? String(error), error }),
  );
};

/** A checkpoint a previous run would have saved for the current version at `URL_A`, counting `[0, prefix)`. */
export const savedCheckpoint = (w: World, totalLength: number, prefix: number): string => {
  const version = w.server.resource(URL_A)?.current;
  if (version === undefined) throw new Error('publish the resource first');
  return encodeCheckpoint({
    version: 1,
    url: URL_A,
    validators: { etag: version.etag, lastModified: version.lastModified, date: null },
    totalLength,
    ranges: prefix > 0 ? [[0, prefix]] : [],
  });
};

/**
 * What a stopped earlier run left of `content`: its first `partLength` bytes in the part file, and the checkpoint
 * counting `[0, counted)` of the current version (`counted` defaults to `partLength`).
 */
export const leftByEarlierRun = (
  w: World,
  content: Uint8Array,
  partLength: number,
  counted = partLength,
): void => {
  w.storage.putPart(TARGET, content.subarray(0, partLength));
  w.checkpoints.setRaw(TARGET, savedCheckpoint(w, content.length, counted));
};

export const eventsOf = <T extends DownloadEvent['type']>(run: Run, type: T) =>
  run.events.filter((e): e is Extract<DownloadEvent, { type: T }> => e.type === type);

/**
 * A cheap comparison of two byte arrays (deep equality of large typed arrays is slow in the test runner): the
 * lengths and the first differing offset, `-1` when equal.
 */
export const bytesDiff = (actual: Uint8Array | null, expected: Uint8Array) => {
  if (actual === null) return { length: null, firstDiff: 0 };
  const n = Math.min(actual.length, expected.length);
  let firstDiff = actual.length === expected.length ? -1 : n;
  for (let i = 0; i < n; i += 1) {
    if (actual[i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  return { length: actual.length, firstDiff };
};

export const same = (expected: Uint8Array) => ({ length: expected.length, firstDiff: -1 });

/**
 * The ports of one process, which `kill()` makes dead: from then on its checkpoint store and network fail, as a
 * killed process would do nothing more. (Its part file handles already fail after `storage.crash()`.)
 */
export const processPorts = (w: World): { readonly ports: DownloadPorts; kill(): void } => {
  let alive = true;
  const dead = { _tag: 'IoError' as const, message: 'the process is dead' };
  const { checkpoints, server } = w;
  const ports: DownloadPorts = {
    ...w.ports,
    checkpoints: {
      load: (target) => (alive ? checkpoints.load(target) : async () => E.left(dead)),
      save: (target, text) => (alive ? checkpoints.save(target, text) : async () => E.left(dead)),
      remove: (target) => (alive ? checkpoints.remove(target) : async () => E.left(dead)),
    },
    http: {
      request: (request) =>
        alive ? server.request(request) : async () => E.left({ _tag: 'NetworkError', message: 'dead' }),
    },
  };
  return {
    ports,
    kill: () => {
      alive = false;
    },
  };
};

/** Runs the world until `until` holds: promise callbacks first, then the clock to its next timer. */
export const runUntil = async (w: World, until: () => boolean, maxSteps = 200_000): Promise<void> => {
  for (let step = 0; step < maxSteps; step++) {
    await idle();
    if (until()) return;
    const due = w.clock.nextDue();
    if (due === null) throw new Error('stuck with no timer pending');
    w.clock.advance(due - w.clock.now());
  }
  throw new Error('runUntil: too many steps');
};
