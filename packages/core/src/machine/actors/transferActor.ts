import * as E from 'fp-ts/lib/Either.js';
import { fromCallback } from 'xstate';
import type { Checkpoint } from '../../model/checkpoint.js';
import type { Decision } from '../../model/decision.js';
import { type DownloadFailure, fromHttpFailure, isFinal } from '../../model/failure.js';
import { type AbortHandle, createAbortHandle } from '../../ports/abort.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { Clock, TimerId } from '../../ports/Clock.js';
import type { HttpPort, HttpResponse } from '../../ports/HttpPort.js';
import type { PartFile, StorageFailure } from '../../ports/StoragePort.js';
import { committedPrefix, encodeCheckpoint, withBytes } from '../../rules/checkpointCodec.js';
import { classifyResponse } from '../../rules/classifyResponse.js';
import { buildDataRequest } from '../../rules/dataRequest.js';
import type { TransferInput } from '../effects.js';
import type { TransferCommand, TransferEvent, TransferOutcome } from '../events.js';
import type { ProgressReporter } from './progressReporter.js';
import { releaseBody } from './releaseBody.js';
import type { DownloadSession } from './session.js';
import { WriteBatcher } from './WriteBatcher.js';
import { WriteBehind } from './WriteBehind.js';

export interface TransferDeps {
  readonly http: HttpPort;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly session: DownloadSession;
  readonly progress: ProgressReporter;
}

type TransferEnd = Extract<TransferEvent, { type: 'TRANSFER_END' }>;

/** Why the request was aborted from our side. */
type AbortCause = 'stop' | 'stall';

/**
 * The hot path: one data GET, its body streamed into the part file. Chunks are gathered into writes of about
 * `writeBufferBytes`, written in order behind the network (`WriteBehind`); every `checkpointIntervalMs` (and at the
 * end) the written data is flushed, then the checkpoint that counts it saved (R20), and the parent told
 * `CHECKPOINTED`. A `STOP` aborts the request, saves what arrived, and ends with `Stopped`.
 */
export const createTransferActor = (deps: TransferDeps) =>
  fromCallback<TransferCommand, TransferInput>(({ input, sendBack, receive }) => {
    const transfer = new Transfer(deps, input, (event) => sendBack(event));
    receive((command) => {
      if (command.type === 'STOP') transfer.abort('stop');
    });
    void deps.session.track(transfer.run().then((end) => sendBack(end)));
    return () => transfer.abort('stop');
  });

class Transfer {
  readonly #deps: TransferDeps;
  readonly #input: TransferInput;
  readonly #abort: AbortHandle = createAbortHandle();
  /** Why the request was aborted from this side, `null` while it was not. */
  #cause: AbortCause | null = null;
  readonly #send: (event: TransferEvent) => void;
  #checkpoint: Checkpoint;
  /** Bytes on storage from 0 (written, maybe not flushed). */
  #written: number;
  /** Bytes counted by the last saved checkpoint. */
  #saved: number;
  #lastSaveAt: number;
  /** The running hash reading back the bytes before the offset while the request goes on (R27), if it must. */
  #chase: Promise<void> | null = null;
  /** Set when the transfer is over: the chase stops reading. */
  #over = false;
  #stallTimer: TimerId | null = null;
  /** The checkpoint being saved while bytes arrive, if one is. */
  #saving: Promise<void> | null = null;
  /** Why a checkpoint saved while bytes arrived failed. */
  #saveFailure: StorageFailure | null = null;

  constructor(deps: TransferDeps, input: TransferInput, send: (event: TransferEvent) => void) {
    this.#deps = deps;
    this.#input = input;
    this.#send = send;
    this.#checkpoint = input.checkpoint;
    this.#written = input.offset;
    this.#saved = input.offset;
    this.#lastSaveAt = deps.clock.now();
  }

  /** Cuts the request; the run then saves what arrived and ends. The first cause given wins. */
  abort(why: AbortCause): void {
    this.#cause ??= why;
    this.#abort.abort();
  }

  async run(): Promise<TransferEnd> {
    const part = this.#deps.session.part;
    if (part === null)
      return this.#end({ _tag: 'Fail', failure: { _tag: 'IoError', message: 'the part file is not open' } });
    const outcome = await this.#transfer(part);
    this.#clearStall();
    this.#over = true;
    // The part file may be closed once the transfer has ended: the chase reads no more after this.
    await this.#chase;
    return this.#end(outcome);
  }

  async #transfer(part: PartFile): Promise<TransferOutcome> {
    const { offset, options } = this.#input;
    // R21: bytes past the checkpoint's prefix are not trusted; a fresh start also durably forgets the old version
    // before a byte of the new one is written, so no checkpoint ever counts bytes of two versions (R11, R20).
    const trimmed = await part.truncate(offset)();
    if (E.isLeft(trimmed)) return fail(trimmed.left);
    if (offset === 0) {
      this.#checkpoint = { ...this.#checkpoint, ranges: [] };
      const saved = await this.#deps.checkpoints.save(options.target, encodeCheckpoint(this.#checkpoint))();
      if (E.isLeft(saved)) return fail(saved.left);
    }
    // The running hash reads back the bytes before `offset` while the request goes out, then follows the stream
    // (R27): a resume does not wait for its prefix to be read before it asks for the rest.
    const hash = this.#deps.session.hashFrom(offset);
    if (hash !== null && hash.upTo < offset) {
      this.#chase = this.#deps.session.chase(
        part,
        hash,
        () => this.#written,
        () => this.#over,
      );
    }
    if (this.#cause === 'stop') return { _tag: 'Stopped' };
    // R40: a download that cannot fit fails before its request, not after gigabytes.
    const total = this.#checkpoint.totalLength;
    if (total !== null && part.ensureRoom !== undefined) {
      const room = await part.ensureRoom(total - offset)();
      if (E.isLeft(room)) return fail(room.left);
    }

    const { headers, range } = buildDataRequest({
      offset,
      lastByte: null,
      checkpoint: this.#checkpoint,
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
      return this.#interrupted(fromHttpFailure(answer.left));
    }
    const response = answer.right;
    const decision = classifyResponse(
      range,
      { status: response.status, headers: response.headers },
      this.#checkpoint,
      {
        onChange: options.onChange,
        nowMs: this.#deps.clock.now(),
        refreshable: this.#input.refreshable,
      },
    );
    if (decision._tag !== 'Append') {
      releaseBody(response.body);
      return this.#notAppended(decision);
    }
    if (decision.start === 0 && committedPrefix(this.#checkpoint) === 0) {
      // A first answer names the version and length the bytes belong to.
      this.#checkpoint = {
        ...this.#checkpoint,
        validators: decision.validators,
        totalLength: decision.totalLength,
      };
    }
    return this.#stream(part, response, decision);
  }

  #notAppended(decision: Exclude<Decision, { _tag: 'Append' }>): TransferOutcome {
    return decision._tag === 'Retry' ? this.#retry(decision.failure, false, decision.retryAfterMs) : decision;
  }

  async #stream(
    part: PartFile,
    response: HttpResponse,
    decision: Extract<Decision, { _tag: 'Append' }>,
  ): Promise<TransferOutcome> {
    const { options } = this.#input;
    const { start, end, totalLength } = decision;
    const session = this.#deps.session;
    const batcher = new WriteBatcher(options.writeBufferBytes, response.recycle);
    const writer = new WriteBehind(part, this.#written, 4 * options.writeBufferBytes, (at, bytes) => {
      // The hash and `#written` move in one step: a chase reading up to `#written` hands over exactly here.
      session.hashWritten(at, bytes);
      this.#written = at + bytes.length;
      batcher.recycle(bytes);
    });
    /** The end of the bytes that arrived: written, queued, or gathered. */
    const received = (): number => writer.queued + batcher.pending;
    let networkFailure: DownloadFailure | null = null;
    let ended = false;

    const iterator = response.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) {
          ended = true;
          break;
        }
        this.#armStall();
        let chunk = next.value;
        if (end !== null) {
          // R10: never a byte past the end the answer promised.
          const room = end - received();
          if (chunk.length > room) chunk = chunk.subarray(0, room);
        }
        for (const batch of batcher.add(chunk)) await writer.push(batch);
        if ((writer.failure ?? this.#saveFailure) !== null) break;
        this.#deps.progress.report(received(), totalLength);
        if (end !== null && received() >= end) break;
        this.#saveIfDue(part);
      }
    } catch (error) {
      networkFailure = { _tag: 'NetworkError', message: messageOf(error) };
    }
    this.#clearStall();
    if (!ended) releaseBody(iterator);

    // Whatever ended the request, the bytes that arrived are written, flushed and counted before it is reported.
    await writer.push(batcher.take());
    await writer.drain();
    await this.#saving;
    const saved = await this.#save(part);
    this.#deps.progress.report(this.#written, totalLength, true);
    const failure: StorageFailure | null = writer.failure ?? this.#saveFailure ?? saved;
    if (failure !== null) return fail(failure);

    const progressed = this.#written > this.#input.offset;
    const cause = this.#cause;
    if (cause !== null && !(end !== null && this.#written >= end)) {
      return cause === 'stop'
        ? { _tag: 'Stopped' }
        : this.#retry({ _tag: 'Stalled', afterMs: options.stallTimeoutMs }, progressed);
    }
    if (networkFailure !== null) return this.#retry(networkFailure, progressed);
    if (end === null) return { _tag: 'Done' };
    if (this.#written < end) {
      // R10, R26: a short body is resumed from what was really written.
      return this.#retry(
        {
          _tag: 'NetworkError',
          message: `the body ended after ${this.#written - start} of ${end - start} bytes`,
        },
        progressed,
      );
    }
    return totalLength !== null && end >= totalLength ? { _tag: 'Done' } : { _tag: 'Continue' };
  }

  /**
   * Every `checkpointIntervalMs`, a checkpoint saved while the body goes on arriving: the network does not wait
   * for the flush. One save at a time; a failed one ends the transfer at the next chunk.
   */
  #saveIfDue(part: PartFile): void {
    if (this.#saving !== null) return;
    if (this.#deps.clock.now() - this.#lastSaveAt < this.#input.options.checkpointIntervalMs) return;
    this.#saving = this.#save(part).then((failure) => {
      this.#saveFailure ??= failure;
      this.#saving = null;
    });
  }

  /**
   * Flush, then save the checkpoint that counts the bytes written before the flush began (R20): writes that
   * complete during the flush are counted by the next one. `null` when it worked.
   */
  async #save(part: PartFile): Promise<StorageFailure | null> {
    this.#lastSaveAt = this.#deps.clock.now();
    const mark = this.#written;
    if (mark === this.#saved) return null;
    const flushed = await part.flush()();
    if (E.isLeft(flushed)) return flushed.left;
    const checkpoint = withBytes(this.#checkpoint, [this.#input.offset, mark]);
    const saved = await this.#deps.checkpoints.save(
      this.#input.options.target,
      encodeCheckpoint(checkpoint),
    )();
    if (E.isLeft(saved)) return saved.left;
    this.#checkpoint = checkpoint;
    this.#saved = mark;
    this.#send({ type: 'CHECKPOINTED', checkpoint });
    return null;
  }

  /** A request that produced no answer: a stop, a stall, or the network. */
  #interrupted(failure: DownloadFailure): TransferOutcome {
    if (this.#cause === 'stop') return { _tag: 'Stopped' };
    if (this.#cause === 'stall') {
      return this.#retry({ _tag: 'Stalled', afterMs: this.#input.options.stallTimeoutMs }, false);
    }
    return this.#retry(failure, false);
  }

  #retry(failure: DownloadFailure, progressed: boolean, retryAfterMs: number | null = null): TransferOutcome {
    return { _tag: 'Retry', failure, retryAfterMs, progressed, random: this.#deps.clock.random() };
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

  #end(outcome: TransferOutcome): TransferEnd {
    return { type: 'TRANSFER_END', outcome, checkpoint: this.#checkpoint, partSize: this.#written };
  }
}

const fail = (failure: StorageFailure | DownloadFailure): TransferOutcome => ({ _tag: 'Fail', failure });

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : 'the connection was cut';
