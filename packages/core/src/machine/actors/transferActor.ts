import * as E from 'fp-ts/lib/Either.js';
import { fromCallback } from 'xstate';
import type { Checkpoint } from '../../model/checkpoint.js';
import type { Decision, TransferOutcome } from '../../model/decision.js';
import { type DownloadFailure, fromHttpFailure, isFinal } from '../../model/failure.js';
import { type AbortHandle, createAbortHandle } from '../../ports/abort.js';
import { isBadBodyError } from '../../ports/bodyError.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { Clock, TimerId } from '../../ports/Clock.js';
import type { HttpPort, HttpResponse } from '../../ports/HttpPort.js';
import type { PartFile } from '../../ports/StoragePort.js';
import { committedPrefix } from '../../rules/checkpointCodec.js';
import { expectedChecksums, hashAlgorithms } from '../../rules/checksums.js';
import { classifyResponse } from '../../rules/classifyResponse.js';
import { buildDataRequest } from '../../rules/dataRequest.js';
import { checkSpeed, type SpeedWindow, speedWindowAt } from '../../rules/lowSpeed.js';
import { serverChecksums } from '../../rules/serverChecksums.js';
import {
  type CutCause,
  decisionOutcome,
  streamOutcome,
  unansweredOutcome,
} from '../../rules/transferOutcome.js';
import { compareVersions } from '../../rules/validators.js';
import type { TransferInput } from '../effects.js';
import type { EffectCrashed, TransferCommand, TransferEndEvent, TransferEvent } from '../events.js';
import { BodySink } from './BodySink.js';
import { CheckpointSaver } from './checkpointSaver.js';
import type { ProgressReporter } from './progressReporter.js';
import { releaseBody } from './releaseBody.js';
import type { DownloadSession } from './session.js';

export interface TransferDeps {
  readonly http: HttpPort;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly session: DownloadSession;
  readonly progress: ProgressReporter;
}

/** The event that ends a request: `transfer.<outcome>`, named after the outcome it carries. */
const transferEnd = (outcome: TransferOutcome, checkpoint: Checkpoint, partSize: number): TransferEndEvent =>
  ({ type: `transfer.${outcome._tag}`, outcome, checkpoint, partSize }) as TransferEndEvent;

/**
 * The hot path: one data GET, its body streamed into the part file. Chunks are gathered into writes of about
 * `writeBufferBytes`, written in order behind the network (`WriteBehind`); every `checkpointIntervalMs` (and at the
 * end) what arrived is written, flushed, then the checkpoint that counts it saved (R20), and the parent told
 * `CHECKPOINTED`. A `STOP` aborts the request, saves what arrived, and ends with `Stopped`. What the end means is
 * `streamOutcome`'s to say.
 */
export const createTransferActor = (deps: TransferDeps) =>
  fromCallback<TransferCommand, TransferInput>(({ input, sendBack, receive }) => {
    const transfer = new Transfer(deps, input, (event) => sendBack(event));
    receive((command) => {
      if (command.type === 'STOP') transfer.abort('stop');
    });
    void deps.session.track(
      transfer.run().then(
        (end) => sendBack(end),
        (error: unknown) =>
          sendBack({ type: 'effect.crashed', actor: 'transfer', error } satisfies EffectCrashed),
      ),
    );
    return () => transfer.abort('stop');
  });

class Transfer {
  readonly #deps: TransferDeps;
  readonly #input: TransferInput;
  readonly #abort: AbortHandle = createAbortHandle();
  readonly #send: (event: TransferEvent) => void;
  /** Why the request was aborted from this side, `null` while it was not. The first cause wins. */
  #cut: CutCause | null = null;
  /** Bytes on storage from 0 (written, maybe not flushed). */
  #written: number;
  /** The running hash reading back the bytes before the offset while the request goes on (R27), if it must. */
  #chase: Promise<void> | null = null;
  /** Set when the transfer is over: the chase stops reading. */
  #over = false;
  #stallTimer: TimerId | null = null;
  /** The minimum-speed window, and the speed that broke it. */
  #speed: SpeedWindow;
  #slowBytesPerSecond = 0;

  constructor(deps: TransferDeps, input: TransferInput, send: (event: TransferEvent) => void) {
    this.#deps = deps;
    this.#input = input;
    this.#send = send;
    this.#written = input.offset;
    this.#speed = speedWindowAt(deps.clock.now(), input.offset);
  }

  /** Cuts the request; the run then saves what arrived and ends. */
  abort(why: CutCause): void {
    this.#cut ??= why;
    this.#abort.abort();
  }

  async run(): Promise<TransferEndEvent> {
    const part = this.#deps.session.part;
    const saver = new CheckpointSaver({
      part,
      store: this.#deps.checkpoints,
      clock: this.#deps.clock,
      target: this.#input.options.target,
      intervalMs: this.#input.options.checkpointIntervalMs,
      from: this.#input.offset,
      checkpoint: this.#input.checkpoint,
      onSaved: (checkpoint) => this.#send({ type: 'CHECKPOINTED', checkpoint }),
    });
    const outcome = await this.#transfer(part, saver);
    this.#clearStall();
    this.#over = true;
    // The part file may be closed once the transfer has ended: the chase reads no more after this.
    await this.#chase;
    return transferEnd(outcome, saver.checkpoint, this.#written);
  }

  async #transfer(part: PartFile, saver: CheckpointSaver): Promise<TransferOutcome> {
    const { offset, options } = this.#input;
    // R21: bytes past the checkpoint's prefix are not trusted; a fresh start also durably forgets the old version
    // before a byte of the new one is written, so no checkpoint ever counts bytes of two versions (R11, R20).
    const trimmed = await part.truncate(offset)();
    if (E.isLeft(trimmed)) return fail(trimmed.left);
    if (offset === 0) {
      const emptied = await saver.saveEmpty();
      if (emptied !== null) return fail(emptied);
    }
    // The running hash reads back the bytes before `offset` while the request goes out, then follows the stream
    // (R27): a resume does not wait for its prefix to be read before it asks for the rest.
    const session = this.#deps.session;
    const hash = session.hashFrom(
      offset,
      hashAlgorithms(options, expectedChecksums(options, session.serverChecksums)),
    );
    if (hash !== null && hash.upTo < offset) {
      this.#chase = session.chase(
        part,
        hash,
        () => this.#written,
        () => this.#over,
      );
    }
    if (this.#cut === 'stop') return { _tag: 'Stopped' };
    // R40: a download that cannot fit fails before its request, not after gigabytes.
    const total = saver.checkpoint.totalLength;
    if (total !== null && part.ensureRoom !== undefined) {
      const room = await part.ensureRoom(total - offset)();
      if (E.isLeft(room)) return fail(room.left);
    }

    const { headers, range } = buildDataRequest({
      offset,
      lastByte: null,
      checkpoint: saver.checkpoint,
      conditional: options.conditionalRequests,
      segment: false,
      extraHeaders: options.headers,
    });
    this.#armStall();
    const answer = await this.#deps.http.request({
      method: 'GET',
      url: this.#input.url,
      headers,
      signal: this.#abort.signal,
    })();
    if (E.isLeft(answer)) {
      if (isFinal(answer.left)) return fail(fromHttpFailure(answer.left));
      return unansweredOutcome(this.#cut, fromHttpFailure(answer.left), this.#stalled(), this.#random());
    }
    const response = answer.right;
    const decision = classifyResponse(
      range,
      { status: response.status, headers: response.headers },
      saver.checkpoint,
      {
        onChange: options.onChange,
        nowMs: this.#deps.clock.now(),
        refreshable: this.#input.refreshable,
      },
    );
    if (decision._tag !== 'Append') {
      releaseBody(response.body);
      return decisionOutcome(decision, this.#random());
    }
    const first = decision.start === 0 && committedPrefix(saver.checkpoint) === 0;
    // R27: its checksums of the file; an answer of another version than the probe's replaces the probe's.
    const another = first && compareVersions(saver.checkpoint.validators, decision.validators) !== 'same';
    this.#deps.session.learnChecksums(serverChecksums(response.headers, response.status === 200), another);
    if (first) {
      // A first answer names the version and length the bytes belong to.
      saver.name({ ...saver.checkpoint, validators: decision.validators, totalLength: decision.totalLength });
    }
    return this.#stream(part, saver, response, decision);
  }

  async #stream(
    part: PartFile,
    saver: CheckpointSaver,
    response: HttpResponse,
    decision: Extract<Decision, { _tag: 'Append' }>,
  ): Promise<TransferOutcome> {
    const { options } = this.#input;
    const { start, end, totalLength } = decision;
    const session = this.#deps.session;
    const sink = new BodySink({
      part,
      from: this.#written,
      batchBytes: options.writeBufferBytes,
      saver,
      clock: this.#deps.clock,
      intervalMs: options.checkpointIntervalMs,
      recycle: response.recycle,
      onWritten: (at, bytes) => {
        // The hash and `#written` move in one step: a chase reading up to `#written` hands over exactly here.
        session.hashWritten(at, bytes);
        this.#written = at + bytes.length;
      },
      written: () => this.#written,
    });
    let bodyFailure: DownloadFailure | null = null;
    let ended = false;

    const iterator = response.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        sink.waiting = true;
        const next = await iterator.next();
        sink.waiting = false;
        if (next.done === true) {
          ended = true;
          break;
        }
        this.#armStall();
        let chunk = next.value;
        if (end !== null) {
          // R10: never a byte past the end the answer promised.
          const room = end - sink.received;
          if (chunk.length > room) chunk = chunk.subarray(0, room);
        }
        await sink.add(chunk);
        if (sink.failure !== null) break;
        this.#deps.progress.report(sink.received, totalLength);
        if (end !== null && sink.received >= end) break;
        if (this.#tooSlow(sink.received)) break;
      }
    } catch (error) {
      bodyFailure = isBadBodyError(error)
        ? { _tag: 'BadResponse', reason: messageOf(error) }
        : { _tag: 'NetworkError', message: messageOf(error) };
    }
    this.#clearStall();
    if (!ended) releaseBody(iterator);

    // Whatever ended the request, the bytes that arrived are written, flushed and counted before it is reported.
    const failure = await sink.close();
    this.#deps.progress.report(this.#written, totalLength, true);
    if (failure !== null) return fail(failure);
    return streamOutcome({
      cut: this.#cut,
      bodyFailure,
      start,
      end,
      written: this.#written,
      totalLength,
      stalled: this.#stalled(),
      slow: {
        _tag: 'TooSlow',
        bytesPerSecond: this.#slowBytesPerSecond,
        limit: options.lowSpeedLimit,
        forMs: options.lowSpeedTimeMs,
      },
      random: this.#random(),
    });
  }

  /** The minimum-speed rule: a body below it is cut (and then retried). */
  #tooSlow(received: number): boolean {
    const { lowSpeedLimit, lowSpeedTimeMs } = this.#input.options;
    const verdict = checkSpeed(this.#speed, this.#deps.clock.now(), received, {
      limit: lowSpeedLimit,
      timeMs: lowSpeedTimeMs,
    });
    if (verdict._tag === 'Fast') {
      this.#speed = verdict.window;
      return false;
    }
    this.#slowBytesPerSecond = verdict.bytesPerSecond;
    this.abort('slow');
    return true;
  }

  #stalled(): DownloadFailure {
    return { _tag: 'Stalled', afterMs: this.#input.options.stallTimeoutMs };
  }

  #random(): number {
    return this.#deps.clock.random();
  }

  /** R25: no byte (nor answer) for `stallTimeoutMs` cuts the request. */
  #armStall(): void {
    this.#clearStall();
    this.#stallTimer = this.#deps.clock.setTimeout(() => {
      this.#stallTimer = null;
      this.abort('stall');
    }, this.#input.options.stallTimeoutMs);
  }

  #clearStall(): void {
    if (this.#stallTimer !== null) this.#deps.clock.clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
  }
}

const fail = (failure: DownloadFailure): TransferOutcome => ({ _tag: 'Fail', failure });

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : 'the connection was cut';
