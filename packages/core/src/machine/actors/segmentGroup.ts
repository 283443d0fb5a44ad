import * as E from 'fp-ts/lib/Either.js';
import type { ByteRange, Checkpoint } from '../../model/checkpoint.js';
import type { TransferOutcome } from '../../model/decision.js';
import type { DownloadFailure } from '../../model/failure.js';
import type { SegmentOptions } from '../../model/options.js';
import type { TimerId } from '../../ports/Clock.js';
import { addRange, coveredBytes, prefixLength } from '../../rules/byteRanges.js';
import { expectedChecksums, hashAlgorithms } from '../../rules/checksums.js';
import {
  BUSY_SHARE,
  GAP_MS,
  type Growth,
  growAt,
  IDLE_SHARE,
  MIN_STEP_MS,
  refusedAt,
  startGrowth,
} from '../../rules/connectionGrowth.js';
import { applyAssignment, type Lane, nextAssignment, pieceEnd } from '../../rules/segmentPlan.js';
import type { CutCause } from '../../rules/transferOutcome.js';
import type { TransferInput } from '../effects.js';
import type { TransferEndEvent, TransferEvent } from '../events.js';
import { BodySink } from './BodySink.js';
import { CheckpointSaver } from './checkpointSaver.js';
import { RangeFetch } from './rangeFetch.js';
import type { RunningHash } from './session.js';
import { type TransferDeps, transferEnd } from './transferActor.js';
import { type CopyBuffers, sharedCopyBuffers } from './WriteBatcher.js';

/**
 * A lane's writes are a quarter of a single stream's (at least 64 KiB): sixteen connections then hold about what
 * four streams would between the network and the disk.
 */
const laneBatchBytes = (writeBufferBytes: number): number =>
  Math.max(64 * 1024, Math.floor(writeBufferBytes / 4));

/**
 * Why the first answer of a segmented run (from byte 0, nothing held) cannot go on as planned, `null` when it can:
 * its body is content-coded (R5: offsets then address no byte of the resource), or it gives another total than the
 * one the segments were planned on (R11, R13: a file replaced between the probe and this GET). Another version of
 * the same length is taken as the single stream takes it (nothing of the probe's version is held): the checkpoint
 * is named after it, and the later segments ask for it by its validator (R41).
 */
export const unplannedVersion = (
  planned: Checkpoint,
  named: { readonly totalLength: number | null; readonly encoded: boolean },
): 'CONTENT_ENCODED' | 'RESOURCE_CHANGED' | null => {
  if (named.encoded) return 'CONTENT_ENCODED';
  return named.totalLength === planned.totalLength ? null : 'RESOURCE_CHANGED';
};

/** One connection of the run, and the range it fetches now. */
interface LaneState {
  readonly id: number;
  /** Where what it still has to fetch begins: what it wrote before is held (`#held`) once its request ended. */
  start: number;
  /** The end it fetches to (exclusive); a split moves it down. */
  end: number;
  /** The end of what arrived, and of what was written, from `start`. */
  received: number;
  written: number;
  /** When it was given its current range, and what it had received then: its speed is measured from there. */
  since: number;
  sinceBytes: number;
  /** No request has gone out for it yet. */
  fresh: boolean;
  /** Its connection has brought bytes of an answer taken (a lane refused, or failing, brings none). */
  answered: boolean;
  /** Time it spent in gaps of `GAP_MS` or more waiting for bytes, since it began or since the growth's step did. */
  gapsMs: number;
  /** Time it spent waiting for bytes at all, gaps or not, over the same span: little means this host is its limit. */
  waitedMs: number;
  /** When `gapsMs` began counting. */
  gapsSince: number;
  fetch: RangeFetch | null;
}

/**
 * The segments of one run (R41–R43): several connections, each fetching one range of the resource with `Range:
 * bytes=a-b` and `If-Match` (R6, R41), written at its offsets through the same part file, and one checkpoint for all
 * that counts only what was written before its flush (R20, R42). Which range a connection takes, and when a range
 * is split or a slow one gives up its rest, is `nextAssignment`'s to say; how many connections, `growAt`'s (R43).
 *
 * The first connection asks as a single stream would (a plain GET from 0, or `bytes=N-` with `If-Range` from the
 * prefix): one connection is then exactly a single stream, and every later one a segment. An answer that says the
 * resource changed, a refused redirect, an expired URL or a malformed answer, on any connection, stops them all: one
 * version only (R41). A connection that fails while others live lowers the count (R43); the run fails (a retry for
 * the machine) only when the last one does.
 */
export class SegmentGroup {
  readonly #deps: TransferDeps;
  readonly #input: TransferInput;
  readonly #policy: SegmentOptions;
  readonly #send: (event: TransferEvent) => void;
  readonly #total: number;
  readonly #lanes = new Map<number, LaneState>();
  /** The bytes written that no live connection counts any more: the checkpoint's, and those of ranges done. */
  #held: ByteRange[];
  /** `coveredBytes(#held)`. */
  #heldBytes: number;
  #nextId = 0;
  #growth: Growth;
  /** The shortest time to an answer's head seen so far: the round trip the growth's steps wait for. */
  #rttMs: number | null = null;
  #cut: CutCause | null = null;
  /** The first outcome that ends the whole run (a change, a final failure), `null` while none did. */
  #ending: TransferOutcome | null = null;
  /** What the last connection that failed failed with: the run's retry when no connection is left. */
  #lastRetry: Extract<TransferOutcome, { _tag: 'Retry' }> | null = null;
  #saver: CheckpointSaver | null = null;
  #tick: TimerId | null = null;
  #allEnded: () => void = () => undefined;
  #hash: RunningHash | null = null;
  #chasing: Promise<void> | null = null;
  #over = false;
  /** The copy buffers every lane's writes share. */
  readonly #copies: CopyBuffers;
  /** The first lane's own, for its single-stream batches (a shared one's are a lane batch's size). */
  #streamCopies: CopyBuffers | null = null;

  constructor(
    deps: TransferDeps,
    input: TransferInput,
    policy: SegmentOptions,
    send: (event: TransferEvent) => void,
  ) {
    const total = input.checkpoint.totalLength;
    if (total === null)
      throw new Error('segments need a known total: segmentPolicy refuses them without one');
    this.#deps = deps;
    this.#input = input;
    // No more connections than the transport opens to one origin (the browser's six, NodeHttp's cap).
    const cap = deps.http.maxConnectionsPerOrigin;
    this.#policy =
      cap === undefined
        ? policy
        : {
            ...policy,
            max: Math.max(1, Math.min(policy.max, cap)),
            fixed: policy.fixed === null ? null : Math.max(1, Math.min(policy.fixed, cap)),
          };
    this.#send = send;
    this.#total = total;
    this.#copies = sharedCopyBuffers(2 * laneBatchBytes(input.options.writeBufferBytes));
    this.#held = input.checkpoint.ranges.map(([start, end]) => [start, end] as ByteRange);
    this.#heldBytes = coveredBytes(this.#held);
    this.#growth = startGrowth(deps.clock.now(), coveredBytes(this.#held), {
      fixed: this.#policy.fixed,
      max: this.#policy.max,
    });
  }

  abort(why: CutCause): void {
    this.#cut ??= why;
    for (const lane of this.#lanes.values()) lane.fetch?.abort(why);
  }

  async run(): Promise<TransferEndEvent> {
    const { session, clock, checkpoints } = this.#deps;
    const { options } = this.#input;
    const part = session.part;
    const saver = new CheckpointSaver({
      part,
      store: checkpoints,
      clock,
      target: options.target,
      intervalMs: options.checkpointIntervalMs,
      checkpoint: this.#input.checkpoint,
      onSaved: (checkpoint) => this.#send({ type: 'CHECKPOINTED', checkpoint }),
    });
    this.#saver = saver;
    const end = (outcome: TransferOutcome) => transferEnd(outcome, saver, this.#partSize());
    // R11, R21: what the part file holds past the last range counted is cut, and a fresh start durably forgets the
    // old version before a byte of the new one is written; bytes between counted ranges are written over.
    const trimmed = await part.truncate(this.#partSize())();
    if (E.isLeft(trimmed)) return end({ _tag: 'Fail', failure: trimmed.left });
    const kept = await saver.keepOnly(this.#held, this.#input.storedBytes);
    if (kept !== null) return end({ _tag: 'Fail', failure: kept });
    // R40: the bytes still to come must fit.
    if (part.ensureRoom !== undefined) {
      const room = await part.ensureRoom(this.#total - coveredBytes(this.#held))();
      if (E.isLeft(room)) return end({ _tag: 'Fail', failure: room.left });
    }
    // R27: the running hash follows the contiguous prefix as it grows, read back from what the lanes wrote.
    this.#hash = session.hashFrom(
      prefixLength(this.#held),
      hashAlgorithms(options, expectedChecksums(options, session.serverChecksums)),
    );
    this.#kickChase();

    const ended = new Promise<void>((resolve) => {
      this.#allEnded = resolve;
    });
    this.#fill();
    if (this.#lanes.size === 0) this.#allEnded();
    else this.#armTick();
    await ended;
    if (this.#tick !== null) clock.clearTimeout(this.#tick);
    this.#tick = null;

    // Every lane wrote what it received; the last checkpoint counts it all (R20).
    await saver.settle();
    const saved = await saver.saveLast(() => this.#written());
    this.#over = true;
    await this.#chasing;
    this.#report(true);
    // A background save that failed after the last write and tick fails the run as a single stream's does (R20).
    const failed = saver.failure ?? saved;
    if (failed !== null && this.#ending === null) return end({ _tag: 'Fail', failure: failed });
    return end(this.#outcome());
  }

  /** What the run's end means: what ended it, else done when every byte is written, else stopped or a retry. */
  #outcome(): TransferOutcome {
    if (this.#ending !== null) return this.#ending;
    if (coveredBytes(this.#held) >= this.#total) return { _tag: 'Done' };
    if (this.#cut === 'stop') return { _tag: 'Stopped' };
    const failure: DownloadFailure = { _tag: 'NetworkError', message: 'every connection failed' };
    return (
      this.#lastRetry ?? { _tag: 'Retry', failure, retryAfterMs: null, random: this.#deps.clock.random() }
    );
  }

  /** `range` was written by a lane whose request ended: no live lane counts it any more. */
  #hold(range: ByteRange): void {
    this.#held = addRange(this.#held, range);
    this.#heldBytes = coveredBytes(this.#held);
  }

  /** The ranges written: those done, and what each live lane wrote of its own. */
  #written(): ByteRange[] {
    let ranges = [...this.#held];
    for (const lane of this.#lanes.values()) {
      if (lane.written > lane.start) ranges = addRange(ranges, [lane.start, lane.written]);
    }
    return ranges;
  }

  #partSize(): number {
    return this.#written().reduce((size, [, end]) => Math.max(size, end), 0);
  }

  /** The lanes as the planner sees them, each with its speed on its current range. */
  #laneViews(): Lane[] {
    const now = this.#deps.clock.now();
    return [...this.#lanes.values()].map((lane) => {
      const elapsed = now - lane.since;
      const got = lane.received - lane.sinceBytes;
      const bytesPerSecond = elapsed > 0 && got > 0 ? (got * 1000) / elapsed : null;
      return { id: lane.id, start: lane.start, next: lane.received, end: lane.end, bytesPerSecond };
    });
  }

  /** The next range for a connection, applied: a split moves its owner's end. `null`: nothing worth fetching. */
  #assign(id: number, idle: LaneState | null): LaneState | null {
    const others = this.#laneViews().filter((lane) => lane.id !== id);
    const assignment = nextAssignment({
      total: this.#total,
      held: this.#held,
      lanes: others,
      minSplitBytes: this.#policy.minSplitBytes,
      rttMs: this.#rttMs,
    });
    const applied = applyAssignment(others, assignment, id);
    if (applied === null) return null;
    if (assignment._tag === 'Split') {
      const owner = this.#lanes.get(assignment.lane);
      const moved = applied.lanes.find((lane) => lane.id === assignment.lane);
      if (owner !== undefined && moved !== undefined) owner.end = moved.end;
    }
    const { start, end } = applied.lane;
    const now = this.#deps.clock.now();
    // A lane measures its speed on each range anew; an idle one keeps its connection's count of waits.
    const range = { start, end, received: start, written: start, since: now, sinceBytes: start, fetch: null };
    if (idle !== null) return Object.assign(idle, range);
    return {
      id,
      ...range,
      fresh: true,
      answered: false,
      gapsMs: 0,
      waitedMs: 0,
      gapsSince: now,
    };
  }

  /** Starts connections up to the count the growth allows, while ranges are left and nothing ended the run. */
  #fill(): void {
    while (this.#lanes.size < this.#allowed() && this.#cut === null && this.#ending === null) {
      const lane = this.#assign(this.#nextId, null);
      if (lane === null) return;
      this.#nextId += 1;
      this.#lanes.set(lane.id, lane);
      void this.#runLane(lane);
    }
  }

  /** Every `MIN_STEP_MS`: the growth's step when due (R43), more connections if it allows, a checkpoint if due. */
  #armTick(): void {
    this.#tick = this.#deps.clock.setTimeout(() => {
      this.#tick = null;
      if (this.#lanes.size === 0 || this.#saveFailed()) return;
      this.#step();
      if (this.#saver?.due === true) this.#saver.saveBehind(() => this.#written());
      this.#armTick();
    }, MIN_STEP_MS);
  }

  /**
   * Whether a background save failed (R20): the run then ends with that failure, every connection stopped, as a
   * single stream's request ends at its next chunk. Asked at each tick and after each write of a lane.
   */
  #saveFailed(): boolean {
    const failure = this.#saver?.failure ?? null;
    if (failure === null) return false;
    if (this.#ending === null) {
      this.#ending = { _tag: 'Fail', failure };
      this.abort('stop');
    }
    return true;
  }

  /** The growth's step when due (R43), then the lanes it allows: more started, or those past it retired. */
  #step(): void {
    const now = this.#deps.clock.now();
    const before = this.#growth;
    this.#growth = growAt(
      before,
      {
        now,
        bytes: this.#received(),
        paced: this.#paced(now),
        busy: this.#busy(now),
        rttMs: this.#rttMs,
        answered: [...this.#lanes.values()].every((lane) => lane.answered),
      },
      this.#policy.max,
    );
    if (this.#growth.since !== before.since) {
      for (const lane of this.#lanes.values())
        Object.assign(lane, { gapsMs: 0, waitedMs: 0, gapsSince: now });
    }
    this.#retireSurplus();
    this.#fill();
  }

  /** The first lane's copy buffers, made the first time it asks. */
  #streamCopiesFor(writeBufferBytes: number): CopyBuffers {
    if (this.#streamCopies === null) this.#streamCopies = sharedCopyBuffers(2 * writeBufferBytes);
    return this.#streamCopies;
  }

  /**
   * The connections this download may run now: what its growth allows, within its share of the origin when a queue
   * runs others beside it (a big download gives lanes back as small ones start, and takes them again as they end).
   */
  #allowed(): number {
    const share = this.#deps.connectionShare?.();
    return share === undefined ? this.#growth.target : Math.max(1, Math.min(this.#growth.target, share));
  }

  /**
   * Lanes past the count the growth allows now (a step that did not pay, taken back): the latest stop where they
   * are, at the end of what they reported (never below it, R42), and the rest of their ranges is a gap the others
   * take in turn. Without this a lane whose request covers its whole rest would run to its end.
   */
  #retireSurplus(): void {
    const surplus = this.#lanes.size - this.#allowed();
    if (surplus <= 0) return;
    const latest = [...this.#lanes.values()].sort((a, b) => b.id - a.id).slice(0, surplus);
    for (const lane of latest) lane.end = Math.max(lane.start, Math.min(lane.end, lane.received));
  }

  /**
   * Whether every connection spent less than `BUSY_SHARE` of its time in this step waiting for bytes at all: its
   * reads find bytes already there, so this host (its CPU, its disk), not the link, is what limits the transfer.
   */
  #busy(now: number): boolean {
    const lanes = [...this.#lanes.values()];
    const share = lanes.map((lane) => {
      const waiting = lane.fetch?.waitingSince ?? null;
      const current = waiting === null ? 0 : now - Math.max(waiting, lane.gapsSince);
      return now > lane.gapsSince ? (lane.waitedMs + current) / (now - lane.gapsSince) : 1;
    });
    return lanes.length > 0 && share.every((x) => x < BUSY_SHARE);
  }

  /**
   * Whether every connection spent at least `IDLE_SHARE` of its time in this step in gaps between bursts, the gap it
   * may be waiting in now included.
   */
  #paced(now: number): boolean {
    const lanes = [...this.#lanes.values()];
    return (
      lanes.length > 0 &&
      lanes.every((lane) => {
        const waiting = lane.fetch?.waitingSince ?? null;
        const current = waiting === null ? 0 : now - Math.max(waiting, lane.gapsSince);
        const gaps = lane.gapsMs + (current >= GAP_MS ? current : 0);
        return now > lane.gapsSince && gaps >= IDLE_SHARE * (now - lane.gapsSince);
      })
    );
  }

  /**
   * The bytes received so far, written or not: what the growth and the progress measure. No lane's rest overlaps
   * another's or the held ranges, so this is a sum.
   */
  #received(): number {
    let bytes = this.#heldBytes;
    for (const lane of this.#lanes.values()) bytes += lane.received - lane.start;
    return bytes;
  }

  #report(force = false): void {
    this.#deps.progress.report(this.#received(), this.#total, force, Math.max(1, this.#lanes.size));
  }

  /**
   * One connection: its range in pieces (`pieceEnd`), then the next range it is given, until nothing is left for it,
   * it fails, or the run ends. A lane beyond the count the growth allows now gives up the rest of its range.
   */
  async #runLane(first: LaneState): Promise<void> {
    let lane: LaneState | null = first;
    while (lane !== null) {
      const { outcome, written } = await this.#fetchRange(lane);
      lane.written = written;
      lane.received = written;
      if (written > lane.start) this.#hold([lane.start, written]);
      lane.start = Math.max(lane.start, written);
      const done: boolean = written >= lane.end;
      if (outcome._tag === 'Retry' && !done) {
        this.#lastRetry = outcome;
        // R43: a connection that fails while others live lowers the count; the others go on, and take its rest.
        if (this.#lanes.size > 1) this.#growth = refusedAt(this.#growth, this.#lanes.size - 1);
        break;
      }
      if (outcome._tag !== 'Done' && outcome._tag !== 'Continue' && !(outcome._tag === 'Retry' && done)) {
        if (outcome._tag !== 'Stopped') {
          this.#ending ??= outcome;
          this.abort('stop');
        }
        break;
      }
      if (this.#cut !== null || this.#ending !== null || this.#lanes.size > this.#allowed()) break;
      // The rest of its range, in the next piece; or, once the range is done, the next range.
      lane = done ? this.#assign(lane.id, lane) : lane;
    }
    this.#lanes.delete(first.id);
    if (this.#lanes.size === 0) this.#allEnded();
    else this.#fill();
  }

  /**
   * The next request of one lane: from what it has, to the end of its next piece (`pieceEnd`); the first lane's
   * first request is open-ended, as a single stream's (so one connection is exactly a single stream).
   */
  #fetchRange(lane: LaneState) {
    const { session, clock, http } = this.#deps;
    const { options } = this.#input;
    const saver = this.#saver;
    if (saver === null) throw new Error('a lane before the run began');
    const from = lane.written;
    const openEnded = lane.id === 0 && lane.fresh && lane.end === this.#total;
    lane.fresh = false;
    const speed = this.#laneViews().find((view) => view.id === lane.id)?.bytesPerSecond ?? null;
    const last = pieceEnd(from, lane.end, speed, this.#policy.minSplitBytes) - 1;
    const askedAt = clock.now();
    const request = new RangeFetch({
      ...(this.#deps.limit === undefined ? {} : { limit: this.#deps.limit }),
      http,
      clock,
      session,
      url: this.#input.url,
      options,
      refreshable: this.#input.refreshable,
      offset: from,
      lastByte: openEnded ? null : last,
      segment: !openEnded,
      checkpoint: () => saver.checkpoint,
      sink: (from, recycle) =>
        new BodySink({
          part: session.part,
          from,
          // The first lane's open-ended request writes as a single stream does (one connection is exactly one):
          // big batches, deep behind; later lanes, a quarter, so that sixteen of them stay within memory.
          batchBytes: openEnded ? options.writeBufferBytes : laneBatchBytes(options.writeBufferBytes),
          maxAheadBytes: openEnded
            ? 4 * options.writeBufferBytes
            : 2 * laneBatchBytes(options.writeBufferBytes),
          copies: openEnded ? this.#streamCopiesFor(options.writeBufferBytes) : this.#copies,
          // Written at each checkpoint interval even before a batch fills: the run's saves count it (R20, R42).
          saving: { saver: null, clock, intervalMs: options.checkpointIntervalMs },
          recycle,
          onWritten: (at, bytes) => {
            // Bytes written where the hash stands extend it as they are, as a single stream's do; the chase reads
            // back only what other lanes wrote ahead. Never while a chase reads: its read would count them again.
            if (this.#chasing === null) session.hashWritten(at, bytes);
            lane.written = at + bytes.length;
            this.#kickChase();
            if (!this.#saveFailed() && saver.due) saver.saveBehind(() => this.#written());
          },
        }),
      until: () => lane.end,
      // R25: the minimum speed is the file's, over every connection of the run, not each connection's.
      lowSpeedShare: () => this.#lanes.size,
      onNamed: (named) => {
        const unlike = unplannedVersion(this.#input.checkpoint, named);
        if (unlike === null) {
          saver.name({ ...saver.checkpoint, validators: named.validators, totalLength: named.totalLength });
          return;
        }
        // R5, R11, R41: the segments were planned on the probe's length; an answer of another (a file replaced
        // between the probe and this GET, or a body the server encodes though its probe did not say so) ends the
        // run before a byte of it is written, and it begins again from a new probe; a change fails it under
        // onChange 'fail', as a 412 would.
        const planned = this.#input.checkpoint.totalLength;
        this.#ending ??=
          unlike === 'RESOURCE_CHANGED' && options.onChange === 'fail'
            ? {
                _tag: 'Fail',
                failure: {
                  _tag: 'ResourceChanged',
                  reason: 'the total length changed',
                  expected: planned === null ? null : String(planned),
                  actual: named.totalLength === null ? null : String(named.totalLength),
                },
              }
            : { _tag: 'Restart', reason: unlike, random: this.#deps.clock.random() };
        this.abort('stop');
      },
      onAnswer: () => {
        const rtt = clock.now() - askedAt;
        this.#rttMs = this.#rttMs === null ? rtt : Math.min(this.#rttMs, rtt);
      },
      onWaited: (ms) => {
        // A wait that began before the step did counts from the step's start.
        const counted = Math.min(ms, clock.now() - lane.gapsSince);
        lane.waitedMs += counted;
        if (ms >= GAP_MS) lane.gapsMs += counted;
      },
      onProgress: (received) => {
        lane.received = received;
        if (!lane.answered) {
          // Its first bytes: the answer was taken (a refusal brings none). Once the first paced step's
          // connections all have theirs, its next step need not wait for the tick.
          lane.answered = true;
          if (this.#growth.paced && !this.#growth.settled && this.#cut === null && this.#ending === null)
            this.#step();
        }
        this.#report();
      },
    });
    lane.fetch = request;
    if (this.#cut !== null) request.abort(this.#cut);
    return request.run();
  }

  /** Reads back and hashes the contiguous prefix written so far (R27); again each time it grows. */
  #kickChase(): void {
    const hash = this.#hash;
    if (hash === null || this.#chasing !== null) return;
    const frontier = () => prefixLength(this.#written());
    if (hash.upTo >= frontier()) return;
    const { session } = this.#deps;
    this.#chasing = session
      .chase(session.part, hash, frontier, () => this.#over)
      .then(() => {
        this.#chasing = null;
        if (!this.#over && hash.upTo < frontier()) this.#kickChase();
      });
  }
}
