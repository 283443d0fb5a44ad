import type { Readable } from 'node:stream';
import type { AbortSignalLike } from '@rdl/core';
import { badBodyError } from '@rdl/core/adapter';

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A response body as an async iterator of the socket's own Buffers (no copy).
 *
 * The stream is read in flowing mode into a queue of at most `maxQueued` bytes (the stream is paused beyond it).
 * A Node stream drops what it buffered when it is destroyed, so a cut would lose bytes that had already arrived;
 * the queue keeps them, and they are yielded before the cut's error, so a retry resumes from every byte received
 * (R26). After an abort nothing more is yielded. `return()` (leaving a loop early, or core releasing a body it does
 * not read, even before the first `next()`) destroys the stream, so the socket is closed rather than left holding
 * an unwanted body. `onDone(complete)` runs once, when the body ended, failed or was let go.
 */
export class StreamBody implements AsyncIterableIterator<Uint8Array> {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: unknown = null;
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly stream: Readable,
    private readonly signal: AbortSignalLike,
    private readonly maxQueued: number,
    private readonly onDone: (complete: boolean) => void,
  ) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    for (;;) {
      if (this.closed) return done;
      if (this.signal.aborted) return this.finish(false);
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        this.queued -= chunk.byteLength;
        if (this.queued < this.maxQueued && this.stream.isPaused()) this.stream.resume();
        return { done: false, value: chunk };
      }
      if (this.failure !== null) {
        const failure = this.failure;
        this.finish(false);
        throw failure;
      }
      if (this.ended) return this.finish(true);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<Uint8Array, undefined>> {
    return this.finish(false);
  }

  private finish(complete: boolean): IteratorReturnResult<undefined> {
    if (this.closed) return done;
    this.closed = true;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.off('close', this.onClose);
    this.queue.length = 0;
    if (!complete) {
      // A late error of the destroyed stream must not go unhandled.
      this.stream.on('error', () => undefined);
      this.stream.destroy();
    }
    this.onDone(complete);
    this.notify();
    return done;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.queue.push(chunk);
    this.queued += chunk.byteLength;
    if (this.queued >= this.maxQueued) this.stream.pause();
    this.notify();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };

  private readonly onError = (error: unknown): void => {
    // llhttp's codes: the body breaks HTTP/1.1's framing, and would again if asked again (R36).
    const code = (error as { code?: unknown } | null)?.code;
    const broken = typeof code === 'string' && code.startsWith('HPE_');
    this.failure ??= broken ? badBodyError(error instanceof Error ? error.message : code) : error;
    this.notify();
  };

  private readonly onClose = (): void => {
    if (!this.ended) this.failure ??= new Error('the connection closed before the end of the body');
    this.notify();
  };
}
