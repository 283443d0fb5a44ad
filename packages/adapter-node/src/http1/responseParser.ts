import { type BodyFraming, bodyFramingOf } from './bodyFraming.js';
import { ChunkedDecoder } from './chunkedDecoder.js';
import { type ResponseHead, ResponseHeadParser } from './responseHead.js';

/** What one `ResponseParser.receive` found in the bytes it got. */
export interface ReceiveStep {
  /** The response head, in the step that completed it (once). */
  readonly head: ResponseHead | null;
  /** These bytes' body: `bytes[bodyFrom, bodyTo)`, a view into the caller's buffer (empty when equal). */
  readonly bodyFrom: number;
  readonly bodyTo: number;
  /**
   * Where the next bytes may be written: every byte before it that is body must be kept; bytes from it on (head
   * bytes already decoded, chunk framing) are free to overwrite.
   */
  readonly keep: number;
  /** The framed end of the body was reached: the response is whole. */
  readonly complete: boolean;
  /** Bytes came after the framed end. They are no body, and the connection cannot be trusted for another request. */
  readonly trailing: boolean;
  /** Why the response is malformed; nothing at or after the fault is body. */
  readonly failure: string | null;
}

type Phase =
  | { readonly _tag: 'Head'; readonly parser: ResponseHeadParser }
  | { readonly _tag: 'Length'; remaining: number }
  | { readonly _tag: 'Chunked'; readonly decoder: ChunkedDecoder }
  | { readonly _tag: 'UntilClose' }
  | { readonly _tag: 'Complete' }
  | { readonly _tag: 'Failed' };

/**
 * One HTTP/1.1 response read from a stream of bytes cut anywhere: the head (`ResponseHeadParser`), then the body
 * framed as RFC 9112 §6.3 says (`bodyFramingOf`), chunked bodies decoded in place (`ChunkedDecoder`). No I/O:
 * the connection gives it each read's bytes where they landed in its buffer and hands out the body ranges it
 * returns as views of that buffer.
 */
export class ResponseParser {
  #phase: Phase = { _tag: 'Head', parser: new ResponseHeadParser() };
  #reusable = false;

  constructor(private readonly method: 'GET' | 'HEAD') {}

  /** Whether the connection may carry another request once the response is complete. */
  get reusable(): boolean {
    return this.#reusable && this.#phase._tag === 'Complete';
  }

  /** Reads `bytes[from, to)`, the bytes that followed those of the previous call. */
  receive(bytes: Uint8Array, from: number, to: number): ReceiveStep {
    let head: ResponseHead | null = null;
    let at = from;
    const phase = this.#phase;
    if (phase._tag === 'Complete') return this.#step(null, from, from, from, from < to);
    if (phase._tag === 'Failed') return this.#failed(null, from, from, 'the response was already refused');
    if (phase._tag === 'Head') {
      const step = phase.parser.feed(bytes, from, to);
      // The head's bytes are decoded into the parser: their memory is free again.
      if (step._tag === 'More') return this.#step(null, from, from, from, false);
      if (step._tag === 'Invalid') return this.#failed(null, from, from, step.message);
      head = step.head;
      at = step.end;
      const framing = bodyFramingOf(this.method, head);
      if (framing._tag === 'Invalid') return this.#failed(head, at, at, framing.message);
      this.#reusable = framing.reusable;
      this.#phase = phaseOf(framing.framing);
    }
    return this.#body(head, bytes, at, to);
  }

  /**
   * The server closed the connection: `null` when that was the body's framed end (a body until close, or one
   * already complete), else why the response is cut.
   */
  end(): string | null {
    switch (this.#phase._tag) {
      case 'Complete':
      case 'Failed':
        return null;
      case 'UntilClose':
        this.#phase = { _tag: 'Complete' };
        return null;
      case 'Head':
        return 'the connection closed before a response head';
      default:
        this.#phase = { _tag: 'Failed' };
        return 'the connection closed before the end of the body';
    }
  }

  #body(head: ResponseHead | null, bytes: Uint8Array, at: number, to: number): ReceiveStep {
    const phase = this.#phase;
    switch (phase._tag) {
      case 'Length': {
        const end = at + Math.min(phase.remaining, to - at);
        phase.remaining -= end - at;
        if (phase.remaining === 0) this.#phase = { _tag: 'Complete' };
        return this.#step(head, at, end, end, phase.remaining === 0 && end < to);
      }
      case 'Chunked': {
        const step = phase.decoder.decode(bytes, at, to);
        if (step._tag === 'Invalid') return this.#failed(head, at, step.dataEnd, step.message);
        if (step.done) this.#phase = { _tag: 'Complete' };
        return this.#step(head, at, step.dataEnd, step.dataEnd, step.done && step.next < to);
      }
      case 'UntilClose':
        return this.#step(head, at, to, to, false);
      default:
        return this.#step(head, at, at, at, at < to);
    }
  }

  #step(
    head: ResponseHead | null,
    bodyFrom: number,
    bodyTo: number,
    keep: number,
    trailing: boolean,
  ): ReceiveStep {
    return {
      head,
      bodyFrom,
      bodyTo,
      keep,
      complete: this.#phase._tag === 'Complete',
      trailing,
      failure: null,
    };
  }

  #failed(head: ResponseHead | null, bodyFrom: number, bodyTo: number, failure: string): ReceiveStep {
    this.#phase = { _tag: 'Failed' };
    return { head, bodyFrom, bodyTo, keep: bodyTo, complete: false, trailing: false, failure };
  }
}

const phaseOf = (framing: BodyFraming): Phase => {
  switch (framing._tag) {
    case 'Empty':
      return { _tag: 'Complete' };
    case 'Length':
      return framing.length === 0 ? { _tag: 'Complete' } : { _tag: 'Length', remaining: framing.length };
    case 'Chunked':
      return { _tag: 'Chunked', decoder: new ChunkedDecoder() };
    case 'UntilClose':
      return { _tag: 'UntilClose' };
  }
};
