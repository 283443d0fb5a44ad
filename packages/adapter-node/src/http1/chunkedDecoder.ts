/** What `ChunkedDecoder.decode` did with the bytes it got. */
export type ChunkedStep =
  /**
   * The data of these bytes now lies in `bytes[from, dataEnd)`. `done`: the last chunk and the trailer section
   * ended at `next` (bytes from `next` on are not part of this message); otherwise `next` is the end given.
   */
  | { readonly _tag: 'Decoded'; readonly dataEnd: number; readonly next: number; readonly done: boolean }
  /** Not the chunked coding; the data before the fault is in `bytes[from, dataEnd)`. */
  | { readonly _tag: 'Invalid'; readonly dataEnd: number; readonly message: string };

enum State {
  /** Before the first hex digit of a chunk size. */
  SizeStart,
  Size,
  /** Whitespace after the size (BWS), before `;` or the line end. */
  SizeSpace,
  /** In chunk extensions, skipped. */
  Extension,
  /** After a CR that must end the size line. */
  SizeLf,
  Data,
  /** After a chunk's data, before its CRLF. */
  DataCr,
  DataLf,
  /** At the start of a trailer line or of the final blank line. */
  TrailerStart,
  /** In a trailer field, skipped. */
  Trailer,
  /** After a CR at the start of a line: the message ends with the LF. */
  EndLf,
  Done,
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const SEMICOLON = 0x3b;
/** Digits a size may have past its leading zeros: 13 hex digits stay under 2^53. */
const MAX_SIZE_DIGITS = 13;
/**
 * Bytes of chunk extensions tolerated a size line, and of trailer fields in all: they are skipped, never kept. A
 * line's, not the message's: a signature on every chunk (S3's `aws-chunked`) adds up past any bound of a message.
 */
const MAX_SKIPPED_BYTES = 64 * 1024;
/** Leading zeros a chunk size may have, each line. */
const MAX_LEADING_ZEROS = 64 * 1024;

/**
 * An incremental decoder of the chunked transfer coding (RFC 9112 §7.1) that decodes in place: the data of each
 * call is moved down over the framing bytes of that call, so it lies contiguous from the first byte given and the
 * caller can hand out views of its own buffer, never a copy. Bytes before `from` are never touched. State (a size
 * line cut in two, the rest of a chunk) is kept between calls, so no byte needs to be kept for the next one.
 * Chunk extensions and trailer fields are skipped (64 KiB of extensions a size line at most, 64 KiB of trailer
 * fields), and so are a size's leading zeros (64 KiB a line). Lines end with CRLF; a bare LF is accepted as for the head.
 */
export class ChunkedDecoder {
  #state = State.SizeStart;
  #size = 0;
  #digits = 0;
  /** Leading zeros of the size line being read. */
  #zeros = 0;
  #remaining = 0;
  /** Bytes of extensions of the size line being read, or of the trailer section once the last chunk came. */
  #skipped = 0;

  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Decodes `bytes[from, to)`, which follow the bytes of the previous call. */
  decode(bytes: Uint8Array, from: number, to: number): ChunkedStep {
    let out = from;
    let at = from;
    while (at < to) {
      if (this.#state === State.Data) {
        const take = Math.min(this.#remaining, to - at);
        if (out !== at) bytes.copyWithin(out, at, at + take);
        out += take;
        at += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = State.DataCr;
        continue;
      }
      if (this.#state === State.Done) break;
      const fault = this.#frame(bytes[at] as number);
      if (fault !== null) return { _tag: 'Invalid', dataEnd: out, message: fault };
      at += 1;
    }
    return { _tag: 'Decoded', dataEnd: out, next: at, done: this.#state === State.Done };
  }

  /** Takes one framing byte; `null`, or why it cannot be one. */
  #frame(byte: number): string | null {
    switch (this.#state) {
      case State.SizeStart:
      case State.Size: {
        const digit = hexValue(byte);
        if (digit >= 0) {
          this.#state = State.Size;
          // Leading zeros are legal (`1*HEXDIG`) and add nothing: bounded a line, as a padded size is on every line.
          if (this.#digits === 0 && digit === 0) {
            this.#zeros += 1;
            return this.#zeros > MAX_LEADING_ZEROS
              ? 'a chunk size with more than 64 KiB of leading zeros'
              : null;
          }
          if (this.#digits === MAX_SIZE_DIGITS) return 'a chunk size too large';
          this.#size = this.#size * 16 + digit;
          this.#digits += 1;
          return null;
        }
        if (this.#state === State.SizeStart) return 'a chunk size without a hex digit';
        return this.#afterSize(byte);
      }
      case State.SizeSpace:
        return this.#afterSize(byte);
      case State.Extension:
        if (byte === CR) this.#state = State.SizeLf;
        else if (byte === LF) this.#endSizeLine();
        else if (byte < SP && byte !== HTAB) return 'a control character in a chunk extension';
        else return this.#skip();
        return null;
      case State.SizeLf:
        if (byte !== LF) return 'a CR without LF after a chunk size';
        this.#endSizeLine();
        return null;
      case State.DataCr:
        if (byte === CR) this.#state = State.DataLf;
        else if (byte === LF) this.#state = State.SizeStart;
        else return 'chunk data longer than its size';
        return null;
      case State.DataLf:
        if (byte !== LF) return 'a CR without LF after chunk data';
        this.#state = State.SizeStart;
        return null;
      case State.TrailerStart:
        if (byte === CR) this.#state = State.EndLf;
        else if (byte === LF) this.#state = State.Done;
        else {
          this.#state = State.Trailer;
          return this.#skip();
        }
        return null;
      case State.Trailer:
        if (byte === LF) this.#state = State.TrailerStart;
        else if (byte < SP && byte !== HTAB && byte !== CR) return 'a control character in a trailer field';
        else return this.#skip();
        return null;
      case State.EndLf:
        if (byte !== LF) return 'a CR without LF at the end of the trailer section';
        this.#state = State.Done;
        return null;
      default:
        return 'bytes after the end of the chunked body';
    }
  }

  #afterSize(byte: number): string | null {
    if (byte === SP || byte === HTAB) this.#state = State.SizeSpace;
    else if (byte === SEMICOLON) this.#state = State.Extension;
    else if (byte === CR) this.#state = State.SizeLf;
    else if (byte === LF) this.#endSizeLine();
    else return 'a chunk size followed by garbage';
    return null;
  }

  #endSizeLine(): void {
    this.#remaining = this.#size;
    this.#state = this.#size === 0 ? State.TrailerStart : State.Data;
    this.#size = 0;
    this.#digits = 0;
    this.#zeros = 0;
    this.#skipped = 0;
  }

  #skip(): string | null {
    this.#skipped += 1;
    if (this.#skipped <= MAX_SKIPPED_BYTES) return null;
    return this.#state === State.Extension ? 'a chunk extension over 64 KiB' : 'trailer fields over 64 KiB';
  }
}

const hexValue = (byte: number): number => {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
};
