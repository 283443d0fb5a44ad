import * as E from 'fp-ts/lib/Either.js';
import type { AnyEventObject, CallbackLogicFunction } from 'xstate';
import type { TransferOutcome } from '../../model/decision.js';
import type { DownloadFailure } from '../../model/failure.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { Clock } from '../../ports/Clock.js';
import type { HttpPort } from '../../ports/HttpPort.js';
import { expectedChecksums, hashAlgorithms } from '../../rules/checksums.js';
import type { CutCause } from '../../rules/transferOutcome.js';
import type { TransferInput } from '../effects.js';
import type { EffectCrashed, TransferCommand, TransferEndEvent, TransferEvent } from '../events.js';
import { BodySink } from './BodySink.js';
import { CheckpointSaver } from './checkpointSaver.js';
import type { ProgressReporter } from './progressReporter.js';
import { RangeFetch } from './rangeFetch.js';
import type { RateLimit } from './rateLimit.js';
import { SegmentGroup } from './segmentGroup.js';
import type { DownloadSession } from './session.js';

export interface TransferDeps {
  readonly http: HttpPort;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly session: DownloadSession;
  readonly progress: ProgressReporter;
  /** The rate limit every request of the download reads under (R44). */
  readonly limit?: RateLimit;
  /** The most connections the download may use now, when something shares the origin's with it (a queue). */
  readonly connectionShare?: () => number;
}

/** The event that ends a request: `transfer.<outcome>`, named after the outcome it carries. */
export const transferEnd = (
  outcome: TransferOutcome,
  saver: CheckpointSaver,
  partSize: number,
): TransferEndEvent =>
  ({
    type: `transfer.${outcome._tag}`,
    outcome,
    checkpoint: saver.checkpoint,
    stored: saver.stored,
    partSize,
  }) as TransferEndEvent;

/** What runs the data of a run: one stream, or the segments of a segmented run. */
interface DataRun {
  abort(why: CutCause): void;
  run(): Promise<TransferEndEvent>;
}

/**
 * The hot path. With `input.segments` (and a part file that takes writes at any offset) the run fetches over
 * several connections (`SegmentGroup`, R41–R43); otherwise as one stream (`SingleTransfer`). Either reports its
 * checkpoints as `CHECKPOINTED` and ends with `transfer.<outcome>`; a `STOP` aborts it, and it saves what arrived.
 */
export const createTransferActor =
  (deps: TransferDeps): CallbackLogicFunction<TransferCommand, AnyEventObject, TransferInput> =>
  ({ input, sendBack, receive }) => {
    const send = (event: TransferEvent) => sendBack(event);
    const run: DataRun =
      input.segments !== null && deps.session.part.sequential !== true
        ? new SegmentGroup(deps, input, input.segments, send)
        : new SingleTransfer(deps, input, send);
    receive((command) => {
      if (command.type === 'STOP') run.abort('stop');
    });
    void deps.session.track(
      run.run().then(
        (end) => sendBack(end),
        (error: unknown) =>
          sendBack({ type: 'effect.crashed', actor: 'transfer', error } satisfies EffectCrashed),
      ),
    );
    return () => run.abort('stop');
  };

/**
 * One data GET from the checkpoint's prefix, its body streamed into the part file: batched writes behind the
 * network, a checkpoint every `checkpointIntervalMs` after the flush (R20), the running hash following it (R27).
 */
class SingleTransfer implements DataRun {
  readonly #deps: TransferDeps;
  readonly #input: TransferInput;
  readonly #send: (event: TransferEvent) => void;
  #cut: CutCause | null = null;
  #fetch: RangeFetch | null = null;
  /** Bytes on storage from 0 (written, maybe not flushed). */
  #written: number;

  constructor(deps: TransferDeps, input: TransferInput, send: (event: TransferEvent) => void) {
    this.#deps = deps;
    this.#input = input;
    this.#send = send;
    this.#written = input.offset;
  }

  abort(why: CutCause): void {
    this.#cut ??= why;
    this.#fetch?.abort(why);
  }

  async run(): Promise<TransferEndEvent> {
    const { session, clock } = this.#deps;
    const { offset, options } = this.#input;
    const part = session.part;
    const saver = new CheckpointSaver({
      part,
      store: this.#deps.checkpoints,
      clock,
      target: options.target,
      intervalMs: options.checkpointIntervalMs,
      checkpoint: this.#input.checkpoint,
      onSaved: (checkpoint) => this.#send({ type: 'CHECKPOINTED', checkpoint }),
    });
    const end = (outcome: TransferOutcome) => transferEnd(outcome, saver, this.#written);
    // R21: a single stream keeps the checkpoint's prefix only; a fresh start also durably forgets the old version
    // before a byte of the new one is written, so no checkpoint ever counts bytes of two versions (R11, R20).
    const trimmed = await part.truncate(offset)();
    if (E.isLeft(trimmed)) return end(fail(trimmed.left));
    const kept = await saver.keepOnly(offset > 0 ? [[0, offset]] : [], this.#input.storedBytes);
    if (kept !== null) return end(fail(kept));
    // The running hash reads back the bytes before `offset` while the request goes out, then follows the stream
    // (R27): a resume does not wait for its prefix to be read before it asks for the rest.
    let over = false;
    let chase: Promise<void> | null = null;
    const hash = session.hashFrom(
      offset,
      hashAlgorithms(options, expectedChecksums(options, session.serverChecksums)),
    );
    if (hash !== null && hash.upTo < offset) {
      chase = session.chase(
        part,
        hash,
        () => this.#written,
        () => over,
      );
    }
    const outcome = await this.#transfer(saver);
    over = true;
    // The part file may be closed once the transfer has ended: the chase reads no more after this.
    await chase;
    return end(outcome);
  }

  async #transfer(saver: CheckpointSaver): Promise<TransferOutcome> {
    const { session, clock, progress } = this.#deps;
    const { offset, options } = this.#input;
    const part = session.part;
    if (this.#cut === 'stop') return { _tag: 'Stopped' };
    // R40: a download that cannot fit fails before its request, not after gigabytes.
    const total = saver.checkpoint.totalLength;
    if (total !== null && part.ensureRoom !== undefined) {
      const room = await part.ensureRoom(total - offset)();
      if (E.isLeft(room)) return fail(room.left);
    }
    const request = new RangeFetch({
      ...(this.#deps.limit === undefined ? {} : { limit: this.#deps.limit }),
      http: this.#deps.http,
      clock,
      session,
      url: this.#input.url,
      options,
      refreshable: this.#input.refreshable,
      offset,
      lastByte: null,
      segment: false,
      checkpoint: () => saver.checkpoint,
      sink: (from, recycle) =>
        new BodySink({
          part,
          from,
          batchBytes: options.writeBufferBytes,
          maxAheadBytes: 4 * options.writeBufferBytes,
          saving: { saver, clock, intervalMs: options.checkpointIntervalMs },
          recycle,
          onWritten: (at, bytes) => {
            // The hash and `#written` move in one step: a chase reading up to `#written` hands over exactly here.
            session.hashWritten(at, bytes);
            this.#written = at + bytes.length;
          },
        }),
      onNamed: ({ validators, totalLength }) => saver.name({ ...saver.checkpoint, validators, totalLength }),
      onProgress: (received, totalLength) => progress.report(received, totalLength),
    });
    this.#fetch = request;
    if (this.#cut !== null) request.abort(this.#cut);
    const { outcome, streamed } = await request.run();
    if (streamed !== undefined) progress.report(this.#written, streamed.totalLength, true);
    return outcome;
  }
}

const fail = (failure: DownloadFailure): TransferOutcome => ({ _tag: 'Fail', failure });
