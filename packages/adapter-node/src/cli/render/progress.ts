import type { Progress } from '@rdl/core';
import type cliProgress from 'cli-progress';
import { barLine, type LinePart } from './barLine.js';
import { formatBytes, formatEta, formatPercent, formatRate } from './units.js';

/** What a bar line shows, as text: kept by cli-progress as the bar's payload and laid out at each redraw. */
interface Payload {
  readonly parts: readonly LinePart[];
  /** A size not known has no bar, only the bytes and the speed. */
  readonly sized: boolean;
}

// Fields padded to their widest, so that the bar keeps its length from one redraw to the next.
const payloadOf = (p: Progress): Payload => ({
  sized: p.total !== null,
  parts: [
    ...(p.total === null ? [] : [{ text: formatPercent(p.bytes, p.total).padStart(7) }]),
    {
      text:
        p.total === null
          ? formatBytes(p.bytes).padStart(10)
          : `${formatBytes(p.bytes).padStart(10)} / ${formatBytes(p.total)}`,
      drop: p.total === null ? 3 : 2,
    },
    { text: formatRate(p.bytesPerSecond).padStart(12), drop: 3 },
    // A single stream says nothing; more connections are counted (R43), and stay on the narrowest terminal.
    ...(p.connections > 1 ? [{ text: `${p.connections} connections` }] : []),
    // Last, so that its padding is no gap in the line; the first to go on a narrow terminal.
    ...(p.total === null ? [] : [{ text: `ETA ${formatEta(p.etaSeconds).padEnd(6)}`, drop: 1 }]),
  ],
});

/** The line of the bar, fitted to the terminal each time it is drawn (a resize included). */
const format = (
  _options: unknown,
  params: { progress: number; maxWidth: number },
  payload: Payload,
): string =>
  barLine({
    width: params.maxWidth,
    fraction: params.progress,
    parts: payload.parts,
    bar: payload.sized ? { min: 10, max: 30 } : { min: 0, max: 0 },
  });

/**
 * The terminal progress bar (cli-progress) on stderr: bytes, percent, speed and ETA as core reports them (R28).
 * Only for a TTY; `clear` takes it off the screen so that a message can be printed in its place.
 */
export class ProgressBar {
  private bar: cliProgress.SingleBar | null = null;
  private total: number | null = null;

  private constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly library: typeof cliProgress,
  ) {}

  /** Loaded only for a terminal: off one (logs, pipes, the bench) the library would only cost memory. */
  static async create(stream: NodeJS.WriteStream): Promise<ProgressBar> {
    const library = (await import('cli-progress')).default;
    return new ProgressBar(stream, library);
  }

  update(progress: Progress): void {
    if (this.bar === null || progress.total !== this.total) {
      this.clear();
      this.total = progress.total;
      this.bar = new this.library.SingleBar(
        {
          stream: this.stream,
          format,
          hideCursor: true,
          clearOnComplete: true,
          linewrap: false,
          // The command pauses the download on a signal itself; cli-progress would exit at once.
          gracefulExit: false,
        },
        this.library.Presets.shades_classic,
      );
      this.bar.start(progress.total ?? 1, progress.bytes, payloadOf(progress));
      return;
    }
    this.bar.update(progress.bytes, payloadOf(progress));
  }

  /** Removes the bar from the screen; the next `update` draws a new one. */
  clear(): void {
    if (this.bar === null) return;
    this.bar.stop();
    this.bar = null;
    this.total = null;
  }
}
