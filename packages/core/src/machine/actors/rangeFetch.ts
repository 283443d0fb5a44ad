import * as E from 'fp-ts/lib/Either.js';
import type { Checkpoint, Validators } from '../../model/checkpoint.js';
import type { TransferOutcome } from '../../model/decision.js';
import { type DownloadFailure, fromHttpFailure, isFinal } from '../../model/failure.js';
import type { ResolvedOptions } from '../../model/options.js';
import { type AbortHandle, createAbortHandle } from '../../ports/abort.js';
import { isBadBodyError } from '../../ports/bodyError.js';
import type { Clock, TimerId } from '../../ports/Clock.js';
import type { HttpPort } from '../../ports/HttpPort.js';
import { compareCheckpointUrl } from '../../rules/checkpointUrl.js';
import { classifyResponse } from '../../rules/classifyResponse.js';
import { buildDataRequest } from '../../rules/dataRequest.js';
import { checkSpeed, heldBack, type SpeedWindow, speedWindowAt } from '../../rules/lowSpeed.js';
import { contentEncodingOf } from '../../rules/probe.js';
import { serverChecksums } from '../../rules/serverChecksums.js';
import {
  type CutCause,
  decisionOutcome,
  streamOutcome,
  unansweredOutcome,
} from '../../rules/transferOutcome.js';
import { compareVersions } from '../../rules/validators.js';
import type { BodySink } from './BodySink.js';
import type { RateLimit } from './rateLimit.js';
import { releaseBody } from './releaseBody.js';
import type { DownloadSession } from './session.js';

/** What one ranged request of a download needs to know. */
export interface RangeFetchInput {
  readonly http: HttpPort;
  readonly clock: Clock;
  readonly session: DownloadSession;
  readonly url: string;
  /** The download's options; `headers` are those fit for `url` (R17). */
  readonly options: ResolvedOptions;
  readonly refreshable: boolean;
  /** The first byte asked for, and the last (`null`: to the end of the resource). */
  readonly offset: number;
  readonly lastByte: number | null;
  /** A segment of a segmented run: `If-Match` rather than `If-Range` (R6, R41). */
  readonly segment: boolean;
  /** The checkpoint the answer is judged against (its validators and total, R9–R13). */
  readonly checkpoint: () => Checkpoint;
  /**
   * Where the body goes once the answer is judged: made for the bytes from `from`, with the transport's `recycle`.
   */
  readonly sink: (from: number, recycle: ((chunk: Uint8Array) => void) | undefined) => BodySink;
  /** The end (exclusive) the caller wants now: a lane whose range was split stops there. Default: the answer's. */
  readonly until?: () => number;
  /**
   * Told of a first answer (from byte 0, nothing held), which names the version and length of the bytes, and
   * whether its body is content-coded (then its length is no length of the resource, R5). Told before a byte of it
   * is written: a caller that stops the request then (`abort('stop')`) has none of its bytes written.
   */
  readonly onNamed?: (named: {
    readonly validators: Validators;
    readonly totalLength: number | null;
    readonly encoded: boolean;
  }) => void;
  /** Told how long each wait for the body's next bytes took, in ms of the Clock. */
  readonly onWaited?: (ms: number) => void;
  /** Told when the answer's head arrived, before it is judged. */
  readonly onAnswer?: () => void;
  /** Told of every chunk that arrived, with the end of what arrived. */
  readonly onProgress?: (received: number, totalLength: number | null) => void;
  /** The rate limit the body is read under (R44): its next bytes are read only once it allows. Default none. */
  readonly limit?: RateLimit;
  /**
   * How many bodies share the download's minimum speed (R25) now: this one is too slow below `lowSpeedLimit` over
   * that many, so that the connections of a segmented run, sharing one link, are judged as the file is. Default 1.
   */
  readonly lowSpeedShare?: () => number;
}

/** How one request ended: what it means, where the bytes it wrote end, and whether a body was streamed. */
export interface FetchEnd {
  readonly outcome: TransferOutcome;
  readonly written: number;
  /** The total the answer gave, when a body was streamed; `undefined` when none was. */
  readonly streamed?: { readonly totalLength: number | null };
}

/**
 * One data request and its body, streamed into a `BodySink`: the request (R5, R6, R41), the answer judged before
 * a byte of it is written (`classifyResponse`, R7–R13, R35), the body bounded by what the answer promised and by
 * what the caller still wants (R10), the stall timer and the minimum speed (R25). What its end means is
 * `streamOutcome`'s to say. The single stream is one of these; a segmented run has one a lane.
 */
export class RangeFetch {
  readonly #input: RangeFetchInput;
  readonly #abort: AbortHandle = createAbortHandle();
  /** Why the request was aborted from this side, `null` while it was not. The first cause wins. */
  #cut: CutCause | null = null;
  #stallTimer: TimerId | null = null;
  #speed: SpeedWindow;
  #slowBytesPerSecond = 0;
  #written: number;
  #waitingSince: number | null = null;

  constructor(input: RangeFetchInput) {
    this.#input = input;
    this.#written = input.offset;
    this.#speed = speedWindowAt(input.clock.now(), input.offset);
  }

  /** Cuts the request; the run then writes what arrived and ends. */
  abort(why: CutCause): void {
    this.#cut ??= why;
    this.#abort.abort();
  }

  /** Whether this side cut it already. */
  get stopped(): boolean {
    return this.#cut === 'stop';
  }

  /** Since when it has been waiting for the body's next bytes, `null` while it is not waiting. */
  get waitingSince(): number | null {
    return this.#waitingSince;
  }

  /** The end of the bytes this request has written, every byte from its offset included. */
  get written(): number {
    return this.#written;
  }

  async run(): Promise<FetchEnd> {
    const end = await this.#exchange();
    this.#clearStall();
    return end;
  }

  async #exchange(): Promise<FetchEnd> {
    const unstreamed = (outcome: TransferOutcome): FetchEnd => ({ outcome, written: this.#written });
    const { options, offset } = this.#input;
    if (this.#cut === 'stop') return unstreamed({ _tag: 'Stopped' });
    const { headers, range } = buildDataRequest({
      offset,
      lastByte: this.#input.lastByte,
      checkpoint: this.#input.checkpoint(),
      conditional:
        options.conditionalRequests && (this.#input.http.conditionalsAllowed?.(this.#input.url) ?? true),
      segment: this.#input.segment,
      extraHeaders: options.headers,
    });
    this.#armStall();
    const answer = await this.#input.http.request({
      method: 'GET',
      url: this.#input.url,
      headers,
      signal: this.#abort.signal,
      // R25: waiting for a connection of the port's is no silence of the server's.
      onQueued: (waiting) => (waiting ? this.#clearStall() : this.#armStall()),
    })();
    if (E.isLeft(answer)) {
      if (isFinal(answer.left)) return unstreamed(fail(fromHttpFailure(answer.left)));
      return unstreamed(
        unansweredOutcome(this.#cut, fromHttpFailure(answer.left), this.#stalled(), this.#random()),
      );
    }
    const response = answer.right;
    this.#input.onAnswer?.();
    const checkpoint = this.#input.checkpoint();
    const decision = classifyResponse(
      range,
      {
        status: response.status,
        headers: response.headers,
        url: response.url,
        redirected: compareCheckpointUrl(this.#input.url, response.url) !== 'same',
        headersFiltered: response.headersFiltered === true,
      },
      checkpoint,
      {
        onChange: options.onChange,
        nowMs: this.#input.clock.now(),
        refreshable: this.#input.refreshable,
      },
    );
    if (decision._tag !== 'Append') {
      releaseBody(response.body);
      return unstreamed(decisionOutcome(decision, this.#random()));
    }
    const { maxFileBytes } = options;
    if (maxFileBytes !== null && decision.totalLength !== null && decision.totalLength > maxFileBytes) {
      // R40: a file over the caller's limit gets no byte written, whatever its probe said.
      releaseBody(response.body);
      return unstreamed(fail({ _tag: 'TooLarge', limit: maxFileBytes, size: decision.totalLength }));
    }
    const first = decision.start === 0 && checkpoint.ranges.length === 0;
    // R27: its checksums of the file; an answer of another version than the probe's replaces the probe's.
    const another = first && compareVersions(checkpoint.validators, decision.validators) !== 'same';
    if (first) {
      const encoded = contentEncodingOf(response.headers) !== null;
      this.#input.onNamed?.({ validators: decision.validators, totalLength: decision.totalLength, encoded });
      if (this.stopped) {
        releaseBody(response.body);
        return unstreamed({ _tag: 'Stopped' });
      }
    }
    this.#input.session.learnChecksums(serverChecksums(response.headers, response.status === 200), another);

    const { start, totalLength } = decision;
    const promised = decision.end;
    /** The end of what this answer may still write: what it promised, and what the caller still wants. */
    const end = (): number | null => {
      const wanted = this.#input.until?.() ?? null;
      if (promised === null) return wanted;
      return wanted === null ? promised : Math.min(promised, wanted);
    };
    const sink = this.#input.sink(start, response.recycle);
    let bodyFailure: DownloadFailure | null = null;
    let tooLarge: DownloadFailure | null = null;
    let ended = false;
    const iterator = response.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        const rate = this.#input.limit;
        if (rate?.limited === true) {
          // Waiting for the limit is no stall, nor slowness (R25): the server is not the one keeping the bytes back.
          this.#clearStall();
          const heldSince = this.#input.clock.now();
          await rate.ready(this.#abort.signal);
          this.#speed = heldBack(this.#speed, this.#input.clock.now() - heldSince);
          this.#armStall();
        }
        sink.waiting = true;
        const askedAt = this.#input.clock.now();
        this.#waitingSince = askedAt;
        const next = await iterator.next();
        this.#waitingSince = null;
        sink.waiting = false;
        this.#input.onWaited?.(this.#input.clock.now() - askedAt);
        if (next.done === true) {
          ended = true;
          break;
        }
        this.#armStall();
        this.#input.limit?.spend(next.value.byteLength);
        let chunk = next.value;
        const limit = end();
        if (limit !== null) {
          // R10: never a byte past the end the answer promised, nor past what the caller still wants.
          const room = Math.max(0, limit - sink.received);
          if (chunk.length > room) chunk = chunk.subarray(0, room);
        } else if (maxFileBytes !== null && sink.received + chunk.length > maxFileBytes) {
          // A body of no announced length ran past the caller's limit: the bytes up to it are kept, no more.
          chunk = chunk.subarray(0, Math.max(0, maxFileBytes - sink.received));
          tooLarge = { _tag: 'TooLarge', limit: maxFileBytes, size: null };
        }
        const added = sink.add(chunk);
        // Told before the write is awaited: a split decided meanwhile sees every byte this request took (R42).
        this.#input.onProgress?.(sink.received, totalLength);
        await added;
        if (sink.failure !== null || tooLarge !== null) break;
        const stop = end();
        if (stop !== null && sink.received >= stop) break;
        if (this.#tooSlow(sink.received)) break;
      }
    } catch (error) {
      bodyFailure = isBadBodyError(error)
        ? { _tag: 'BadResponse', reason: messageOf(error) }
        : { _tag: 'NetworkError', message: messageOf(error) };
    }
    this.#clearStall();
    if (!ended) releaseBody(iterator);

    // Whatever ended the request, the bytes that arrived are written (and, with a saver, flushed and counted).
    const failure = await sink.close();
    this.#written = sink.written;
    const streamed = { totalLength };
    if (failure !== null) return { outcome: fail(failure), written: this.#written, streamed };
    if (tooLarge !== null) return { outcome: fail(tooLarge), written: this.#written, streamed };
    const outcome = streamOutcome({
      cut: this.#cut,
      bodyFailure,
      start,
      end: end(),
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
    return { outcome, written: this.#written, streamed };
  }

  /** The minimum-speed rule: a body below it is cut (and then retried). */
  #tooSlow(received: number): boolean {
    const { lowSpeedLimit, lowSpeedTimeMs } = this.#input.options;
    const share = Math.max(1, this.#input.lowSpeedShare?.() ?? 1);
    const verdict = checkSpeed(this.#speed, this.#input.clock.now(), received, {
      limit: lowSpeedLimit / share,
      timeMs: lowSpeedTimeMs,
    });
    if (verdict._tag === 'Fast') {
      this.#speed = verdict.window;
      return false;
    }
    // As the file's speed: this body's share of it, times the bodies sharing it.
    this.#slowBytesPerSecond = verdict.bytesPerSecond * share;
    this.abort('slow');
    return true;
  }

  #stalled(): DownloadFailure {
    return { _tag: 'Stalled', afterMs: this.#input.options.stallTimeoutMs };
  }

  #random(): number {
    return this.#input.clock.random();
  }

  /** R25: no byte (nor answer) for `stallTimeoutMs` cuts the request. */
  #armStall(): void {
    this.#clearStall();
    this.#stallTimer = this.#input.clock.setTimeout(() => {
      this.#stallTimer = null;
      this.abort('stall');
    }, this.#input.options.stallTimeoutMs);
  }

  #clearStall(): void {
    if (this.#stallTimer !== null) this.#input.clock.clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
  }
}

const fail = (failure: DownloadFailure): TransferOutcome => ({ _tag: 'Fail', failure });

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'string' ? error : 'the connection was cut';
