import type { Progress } from '@rdl/core';
import type cliProgress from 'cli-progress';
import { formatBytes, formatEta, formatPercent, formatRate } from './units.js';

const knownTotal = '{bar} {percent} | {done} / {size} | {speed} | ETA {remaining}{connections}';
const unknownTotal = '{done} | {speed}{connections}';

const payloadOf = (p: Progress) => ({
  percent: formatPercent(p.bytes, p.total).padStart(7),
  done: formatBytes(p.bytes),
  size: p.total === null ? '?' : formatBytes(p.total),
  speed: formatRate(p.bytesPerSecond),
  remaining: formatEta(p.etaSeconds),
  // A single stream says nothing; more connections are counted (R43).
  connections: p.connections > 1 ? ` | ${p.connections} connections` : '',
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
          format: progress.total === null ? unknownTotal : knownTotal,
          barsize: 30,
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
