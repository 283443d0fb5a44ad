import { sha256 as sha256Of } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { type Fault, fault } from '../../src/memory/faults.js';
import type { DownloadResult } from '../../src/model/download.js';
import type { DownloadOptions } from '../../src/model/options.js';
import { coveredBytes } from '../../src/rules/byteRanges.js';
import { decodeCheckpoint } from '../../src/rules/checkpointCodec.js';
import {
  begin,
  bytesDiff,
  drive,
  idle,
  processPorts,
  type Run,
  TARGET,
  URL_A,
  type World,
  world,
} from '../support/machineHarness.js';

/**
 * Model-based proof of the whole download (fc.commands): a download over the memory ports and a MemoryServer that
 * fails in every way, driven by pause, resume, cancel, crashes, changes of the resource, faults and time. After
 * every command the committed bytes (flushed, and counted by the saved checkpoint) are a prefix of exactly one
 * version of the resource; a finished file is byte-equal to the version it was verified against; after a cancel
 * nothing remains; and once the faults stop, the download always ends with the current version.
 */

const OPTIONS: Partial<DownloadOptions> = {
  writeBufferBytes: 3_000,
  checkpointIntervalMs: 20,
  stallTimeoutMs: 400,
  retry: { retries: 1_000, minDelayMs: 10, maxDelayMs: 200, factor: 2 },
};

interface Version {
  readonly etag: string | null;
  readonly content: Uint8Array;
}

interface Real {
  readonly w: World;
  readonly options: Partial<DownloadOptions>;
  run: Run;
  kill: () => void;
  /** Results of every download that finished, with the version current when it finished. */
  readonly finished: { result: DownloadResult; file: Uint8Array | null }[];
  /** The run started after a crash that left committed bytes, until it says where it starts. */
  afterCrash: Run | null;
  /** What this model run went through: a crash with committed bytes, and a start from them after one. */
  readonly reached: { crashWithBytes: boolean; resumedAfterCrash: boolean };
}

/** What the runs of one property went through, asserted after it: a crash must hit durable bytes, fairly often. */
interface Coverage {
  runs: number;
  crashWithBytes: number;
  resumedAfterCrash: number;
}

interface Model {
  readonly versions: Version[];
  cancelled: boolean;
}

const contentOf = (size: number, seed: number): Uint8Array => {
  const out = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  // The first byte names the version, so that no two versions share a prefix.
  if (size > 0) out[0] = seed & 0xff;
  return out;
};

const startDownload = (r: Real): void => {
  r.kill();
  const process = processPorts(r.w);
  r.kill = process.kill;
  const run = begin(r.w, r.options, true, process.ports);
  run.download.result.then(
    (result) => r.finished.push({ result, file: r.w.storage.fileOf(TARGET) }),
    () => undefined,
  );
  r.run = run;
};

/** Moves the clock `ms` forward, timer by timer, letting the ports work between timers. */
const advance = async (w: World, ms: number): Promise<void> => {
  const until = w.clock.now() + ms;
  for (;;) {
    await idle();
    const due = w.clock.nextDue();
    if (due === null || due > until) break;
    w.clock.advance(due - w.clock.now());
  }
  w.clock.advance(until - w.clock.now());
  await idle();
};

/** The bytes the saved checkpoint counts: what a crash now keeps. */
const committedBytes = (w: World): number => {
  const raw = w.checkpoints.raw(TARGET);
  if (raw === null) return 0;
  const decoded = decodeCheckpoint(raw);
  return E.isRight(decoded) ? coveredBytes(decoded.right.ranges) : 0;
};

/** Notes whether the run started after a crash went on from the bytes the crash kept, once it says so. */
const noteResume = (r: Real): void => {
  const start = r.afterCrash?.events.find((e) => e.type === 'start');
  if (start === undefined) return;
  if (start.type === 'start' && start.resumedFrom > 0) r.reached.resumedAfterCrash = true;
  r.afterCrash = null;
};

const check = (m: Model, r: Real): void => {
  const { w } = r;
  noteResume(r);
  const raw = w.checkpoints.raw(TARGET);
  if (raw !== null) {
    const decoded = decodeCheckpoint(raw);
    if (E.isLeft(decoded)) throw new Error(`a saved checkpoint does not decode: ${decoded.left}`);
    // Every range counted, however many a segmented run left, holds flushed bytes of one and the same version.
    const { ranges, validators } = decoded.right;
    if (ranges.length > 0) {
      const durable = w.storage.durablePartOf(TARGET) ?? new Uint8Array(0);
      const end = Math.max(...ranges.map(([, stop]) => stop));
      const matches = m.versions.filter(
        (v) =>
          v.content.length >= end &&
          v.etag === validators.etag &&
          ranges.every(
            ([start, stop]) =>
              bytesDiff(durable.subarray(start, stop), v.content.subarray(start, stop)).firstDiff === -1,
          ),
      );
      expect(durable.length).toBeGreaterThanOrEqual(end);
      expect(matches.length).toBe(1);
    }
  }
  for (const { result, file } of r.finished) {
    const version = m.versions.find((v) => v.etag === result.validators.etag);
    expect(version).toBeDefined();
    if (version !== undefined && file !== null) expect(bytesDiff(file, version.content).firstDiff).toBe(-1);
  }
  if (m.cancelled && r.run.settled) {
    // A file an earlier download finished is not the cancelled one's to delete.
    expect(w.storage.list().filter((name) => name !== TARGET)).toEqual([]);
    expect(w.checkpoints.keys()).toEqual([]);
  }
};

type Cmd = fc.AsyncCommand<Model, Real>;

const command = (name: string, act: (m: Model, r: Real) => Promise<void>): Cmd => ({
  check: () => true,
  run: async (m, r) => {
    await act(m, r);
    check(m, r);
  },
  toString: () => name,
});

const pause = () =>
  command('pause', async (_m, r) => {
    r.run.download.pause();
    await idle();
  });
const resume = () =>
  command('resume', async (_m, r) => {
    r.run.download.resume();
    await idle();
  });
const cancel = () =>
  command('cancel', async (m, r) => {
    if (r.run.settled) return;
    r.run.download.cancel();
    await drive(r.w, r.run, () => r.run.settled);
    m.cancelled = r.run.download.getSnapshot().state === 'cancelled';
  });
/** Runs the clock timer by timer until the checkpoint counts `bytes` (or the run ends, waits, or 2 s pass). */
const untilCommitted = async (r: Real, bytes: number): Promise<void> => {
  const until = r.w.clock.now() + 2_000;
  for (let step = 0; step < 2_000; step += 1) {
    await idle();
    if (r.run.settled || committedBytes(r.w) >= bytes) return;
    const due = r.w.clock.nextDue();
    if (due === null || due > until) return;
    r.w.clock.advance(due - r.w.clock.now());
  }
};
const crashNow = async (m: Model, r: Real): Promise<void> => {
  if (r.run.settled) return;
  const kept = committedBytes(r.w);
  r.w.storage.crash();
  m.cancelled = false;
  startDownload(r);
  if (kept > 0) {
    r.reached.crashWithBytes = true;
    r.afterCrash = r.run;
  }
  await idle();
};
const crash = () => command('crash', crashNow);
/** `percent` of the current version's bytes, at least one. */
const shareOf = (m: Model, percent: number): number =>
  Math.max(1, Math.floor(((m.versions.at(-1)?.content.length ?? 0) * percent) / 100));
const runUntilCommitted = (percent: number) =>
  command(`run until ${percent} % committed`, (m, r) => untilCommitted(r, shareOf(m, percent)));
/** A crash once the checkpoint counts `percent` of the file: what a crash at an instant of the clock seldom met. */
const crashAfterCommitted = (percent: number) =>
  command(`crash after ${percent} % committed`, async (m, r) => {
    await untilCommitted(r, shareOf(m, percent));
    await crashNow(m, r);
  });
const restartIfOver = () =>
  command('start again', async (m, r) => {
    if (!r.run.settled) return;
    m.cancelled = false;
    startDownload(r);
    await idle();
  });
const change = (size: number) =>
  command(`change to ${size} bytes`, async (m, r) => {
    const content = contentOf(size, m.versions.length + 1);
    const version = r.w.server.publish(URL_A, content);
    m.versions.push({ etag: version.etag, content });
    await idle();
  });
const inject = (name: string, f: Fault) =>
  command(name, async (_m, r) => {
    r.w.server.inject(f, { method: 'GET' });
    await idle();
  });
const tick = (ms: number) => command(`advance ${ms} ms`, async (_m, r) => advance(r.w, ms));

const faultCommands = [
  fc.constant(pause()),
  fc.constant(resume()),
  fc.constant(cancel()),
  fc.constant(crash()),
  fc.constant(restartIfOver()),
  fc.integer({ min: 0, max: 40_000 }).map(change),
  fc.integer({ min: 0, max: 30_000 }).map((n) => inject(`cut after ${n}`, fault.cutBody(n))),
  fc.integer({ min: 0, max: 30_000 }).map((n) => inject(`stall after ${n}`, fault.stall(n))),
  fc.constantFrom(500, 503, 429, 408).map((s) => inject(`status ${s}`, fault.status(s))),
  fc
    .constantFrom('wrongStart', 'wrongTotal', 'pastTotal', 'missing')
    .map((lie) => inject(`lie ${lie}`, fault.lieContentRange(lie))),
  fc.constant(inject('ignore range', fault.ignoreRange())),
  fc.integer({ min: 1, max: 5_000 }).map((n) => inject(`long body +${n}`, fault.longBody(n))),
  fc.integer({ min: 1, max: 5_000 }).map((n) => inject(`short body -${n}`, fault.shortBody(n))),
  // Short ticks, and crashes aimed at a share of the file committed: ticks of up to 300 ms over 2 KiB every 5 ms
  // took a whole file in one step, and a crash met a run holding committed bytes in about 1 of 90.
  fc.integer({ min: 1, max: 40 }).map(tick),
  fc.integer({ min: 1, max: 90 }).map(runUntilCommitted),
  ...Array.from({ length: 4 }, () => fc.integer({ min: 1, max: 60 }).map(crashAfterCommitted)),
];

/** What only a segmented run meets: a 412 on one segment, refused extra connections, one slow connection. */
const limitConnections = (max: number | null, status: number) =>
  command(`limit connections ${max} (${status})`, async (_m, r) => {
    r.w.server.limitConnections(max, status);
    await idle();
  });
const segmentCommands = [
  fc.constant(inject('412', fault.status(412))),
  fc
    .tuple(fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }), fc.constantFrom(503, 429))
    .map(([max, status]) => limitConnections(max, status)),
  fc.integer({ min: 20, max: 200 }).map((ms) => inject(`pace ${ms} ms`, fault.pace(ms))),
];

const SEGMENTED: Partial<DownloadOptions> = { ...OPTIONS, minSegmentBytes: 2_000 };

/**
 * Runs the model: a download of `size` bytes with `options`, the commands, then the faults stop and it must end
 * with the current version.
 */
const modelRun = async (
  options: Partial<DownloadOptions>,
  size: number,
  cmds: Iterable<Cmd>,
  slotBodies: boolean,
  coverage: Coverage,
): Promise<void> => {
  // Half the runs read bodies as a slot-reading transport gives them: adjacent views, and a `recycle` that
  // poisons what it gets back, so that a byte read after it was given back would show in the file.
  // 2 KiB every 20 ms: a file of 40 000 bytes takes 400 ms, some twenty checkpoints for a crash to meet.
  const w = world({}, { chunkSize: 2_048, chunkDelayMs: 20, slotBodies });
  const content = contentOf(size, 1);
  const first = w.server.publish(URL_A, content);
  const model: Model = { versions: [{ etag: first.etag, content }], cancelled: false };
  const real: Real = {
    w,
    options,
    run: undefined as unknown as Run,
    kill: () => undefined,
    finished: [],
    afterCrash: null,
    reached: { crashWithBytes: false, resumedAfterCrash: false },
  };
  startDownload(real);
  await fc.asyncModelRun(() => ({ model, real }), cmds);
  coverage.runs += 1;
  // The first steps of the run after a crash decide where it starts.
  if (real.afterCrash !== null && !real.run.settled)
    await drive(w, real.run, () => real.run.events.some((e) => e.type === 'start') || real.run.settled);
  noteResume(real);
  if (real.reached.crashWithBytes) coverage.crashWithBytes += 1;
  if (real.reached.resumedAfterCrash) coverage.resumedAfterCrash += 1;

  // The faults stop: whatever state it is in, the download goes on to the current version. One that
  // finished a version that changed after its answer came is started again, as a caller would.
  w.server.clearFaults();
  w.server.limitConnections(null);
  model.cancelled = false;
  const current = model.versions.at(-1)!;
  if (real.run.settled) startDownload(real);
  else real.run.download.resume();
  let sha256: string | null = null;
  for (let round = 0; round < 2; round += 1) {
    await drive(w, real.run, () => real.run.settled, 20_000);
    const outcome = await real.run.download.result.then(
      (result) => {
        sha256 = result.sha256;
        return result.validators.etag;
      },
      (e: { code: string }) => e.code,
    );
    if (outcome === current.etag) break;
    expect(round).toBe(0);
    startDownload(real);
  }
  check(model, real);
  expect(bytesDiff(w.storage.fileOf(TARGET), current.content).firstDiff).toBe(-1);
  // R27: a run that hashes (its connections then fetch in order) gives the current version's digest.
  if (options.computeSha256 === true) expect(sha256).toBe(bytesToHex(sha256Of(current.content)));
  expect(w.storage.list()).toEqual([TARGET]);
  expect(w.checkpoints.keys()).toEqual([]);
  real.kill();
};

/**
 * The runs reached what the checks are about: a fair share crashed while the checkpoint counted bytes, and the
 * run after such a crash went on from them (R20, R26), rather than every crash meeting an empty or finished file.
 */
const expectCoverage = (coverage: Coverage): void => {
  expect(coverage.crashWithBytes / coverage.runs, JSON.stringify(coverage)).toBeGreaterThan(0.15);
  expect(coverage.resumedAfterCrash / coverage.runs, JSON.stringify(coverage)).toBeGreaterThan(0.15);
};

describe('download model', () => {
  it('R20, R26, R11: committed bytes are always a prefix of one version; the end is the current version', async () => {
    const coverage: Coverage = { runs: 0, crashWithBytes: 0, resumedAfterCrash: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40_000 }),
        fc.commands(faultCommands, { maxCommands: 40 }),
        fc.boolean(),
        (size, cmds, slotBodies) => modelRun(OPTIONS, size, cmds, slotBodies, coverage),
      ),
      { numRuns: 150 },
    );
    expectCoverage(coverage);
  }, 60_000);

  it('R41, R42, R43, R27: with N connections, hashing or not, every range committed holds flushed bytes of one version; the end is the current version', async () => {
    const coverage: Coverage = { runs: 0, crashWithBytes: 0, resumedAfterCrash: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40_000 }),
        fc.option(fc.integer({ min: 2, max: 6 }), { nil: undefined }),
        fc.commands([...faultCommands, ...segmentCommands], { maxCommands: 40 }),
        fc.boolean(),
        fc.boolean(),
        (size, connections, cmds, slotBodies, computeSha256) =>
          modelRun(
            {
              ...SEGMENTED,
              maxConnections: 8,
              computeSha256,
              ...(connections === undefined ? {} : { connections }),
            },
            size,
            cmds,
            slotBodies,
            coverage,
          ),
      ),
      { numRuns: 150 },
    );
    expectCoverage(coverage);
  }, 90_000);
});
