import { basename } from 'node:path';
import type { DownloadEvent, Progress, QueueSummary } from '@rdl/core';
import { escapeControls, printable } from '@rdl/core/rules';
import type cliProgress from 'cli-progress';
import { writeLines } from '../../writeLines.js';
import { formatJsonLine, type JsonLine, jsonLineOf } from '../json.js';
import { barLine, columnsOf, type LinePart } from './barLine.js';
import { messages } from './messages.js';
import type { Output } from './reporter.js';
import { formatBytes, formatPercent, formatRate } from './units.js';

/** One download of a list as its reporter names it: its queue id, its URL (no password, R37) and its file. */
export interface ListItem {
  readonly id: string;
  readonly url: string;
  readonly target: string;
}

/** A download of the list that failed, for the summary. */
export interface ListFailure extends ListItem {
  readonly code: string;
  readonly message: string;
}

/** Where a list run shows what happens; every failure line is printed by the reporter itself (R29). */
export interface ListReporter {
  /** A download found finished by an earlier run: not fetched again. */
  skipped(item: ListItem): void;
  /** An event of one download of the list. */
  event(item: ListItem, event: DownloadEvent): void;
  /** A notice of the queue (a queue file that could not be saved). */
  notice(message: string): void;
  /** The end: what is done, failed, and, after a signal, paused. */
  summary(summary: QueueSummary, skipped: number, failures: readonly ListFailure[]): void;
  /** The whole run failed (`--max-time` stopped it): its one line (R29), and with `--json` its error event. */
  failed(code: string, message: string): void;
  /** Stopped on a signal, every checkpoint saved; `failures`: the downloads that had failed before it. */
  /** `saved`: every download paused, its checkpoint saved; false when the grace ran out first. */
  paused(resumeCommand: string, failures: readonly ListFailure[], saved: boolean): void;
  close(): void;
}

const failureLine = (f: ListFailure): string => messages.failure(f.code, `${f.target}: ${f.message}`);

const summaryLine = (summary: QueueSummary, skipped: number): string => {
  const parts = [`${summary.done} done${skipped > 0 ? ` (${skipped} already there)` : ''}`];
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.paused > 0) parts.push(`${summary.paused} paused`);
  return `rdl: ${parts.join(', ')}, of ${summary.total}`;
};

/** How often `--json` prints progress of one download at most. */
const jsonProgressIntervalMs = 200;

/** `--json`: each line of a download's events (as for one download) with its `id` and `url`; then a summary. */
export const jsonListReporter = (out: Output, now: () => number = () => performance.now()): ListReporter => {
  const lastProgress = new Map<string, number>();
  const print = (line: JsonLine | Record<string, unknown>): void => {
    if (out.stdout.writable) out.stdout.write(formatJsonLine(line as JsonLine));
  };
  return {
    skipped: (item) => print({ event: 'skipped', id: item.id, url: item.url, target: item.target }),
    event: (item, event) => {
      const line = jsonLineOf(event);
      if (line === null) return;
      if (line.event === 'progress') {
        const last = line.total !== null && line.bytes >= line.total;
        const at = now();
        if (!last && at - (lastProgress.get(item.id) ?? Number.NEGATIVE_INFINITY) < jsonProgressIntervalMs)
          return;
        lastProgress.set(item.id, at);
      }
      if (line.event === 'done' || line.event === 'error') lastProgress.delete(item.id);
      print({ ...line, id: item.id, url: item.url });
    },
    notice: (message) => writeLines(out.stderr, messages.notice(message)),
    summary: (summary, skipped, failures) => {
      for (const f of failures) writeLines(out.stderr, failureLine(f));
      print({
        event: 'summary',
        total: summary.total,
        done: summary.done,
        skipped,
        failed: summary.failed,
        paused: summary.paused,
        failures: failures.map(({ id, url, code }) => ({ id, url, code })),
      });
    },
    failed: (code, message) => {
      print({ event: 'error', code, message });
      writeLines(out.stderr, messages.failure(code, message));
    },
    paused: (resumeCommand, failures, saved) =>
      writeLines(
        out.stderr,
        ...failures.map(failureLine),
        ...pausedLines(resumeCommand, failures.length > 0, saved),
      ),
    close: () => {},
  };
};

/**
 * A file that failed has no checkpoint to vouch for (its pause's save may be what failed, R24): it is left out. A
 * list whose pause did not end in time (`saved` false) vouches for none: each file goes on from its last saved one.
 */
const pausedLines = (resumeCommand: string, failed: boolean, saved: boolean): readonly string[] => [
  !saved
    ? 'rdl: stopped before every download had paused; each file goes on from its last saved checkpoint. To resume, run the same command again:'
    : failed
      ? 'rdl: paused; the checkpoint of every file that did not fail is saved. To resume, run the same command again:'
      : 'rdl: paused; every checkpoint is saved. To resume, run the same command again:',
  `  ${resumeCommand}`,
];

/**
 * For people, on stderr. Off a terminal: a line for each file saved or failed, then the summary. On a terminal,
 * with a maintained multi-bar (cli-progress's MultiBar): one line a running download and a total line, the saved and
 * failed lines printed above them. `quiet`: failures and the summary only.
 */
export const textListReporter = async (out: Output, total: number, quiet: boolean): Promise<ListReporter> => {
  const bars = !quiet && out.stderr.isTTY === true ? await MultiBars.create(out.stderr, total) : null;
  const say = (...lines: readonly string[]): void => {
    if (bars === null) writeLines(out.stderr, ...lines);
    else bars.log(lines);
  };
  return {
    skipped: () => bars?.finishedOne(0),
    event: (item, event) => {
      switch (event.type) {
        case 'progress':
          bars?.update(item, event.progress);
          return;
        case 'done':
          bars?.remove(item, event.result.bytes);
          if (!quiet) say(messages.done(event.result));
          return;
        case 'error':
          bars?.remove(item, 0);
          return;
        case 'restart':
          if (!quiet) say(`rdl: ${item.target}: ${messages.restart(event.reason).replace(/^rdl: /, '')}`);
          return;
        default:
          return;
      }
    },
    notice: (message) => say(messages.notice(message)),
    summary: (summary, skipped, failures) => {
      bars?.stop();
      writeLines(out.stderr, ...failures.map(failureLine), summaryLine(summary, skipped));
    },
    failed: (code, message) => {
      bars?.stop();
      writeLines(out.stderr, messages.failure(code, message));
    },
    paused: (resumeCommand, failures, saved) => {
      bars?.stop();
      writeLines(
        out.stderr,
        ...failures.map(failureLine),
        ...pausedLines(resumeCommand, failures.length > 0, saved),
      );
    },
    close: () => bars?.stop(),
  };
};

/** A running download's line: its file's name, escaped (R38), then its numbers, padded to their widest. */
interface RunningPayload {
  readonly name: string;
  readonly parts: readonly LinePart[];
}

/** Fitted to the terminal at each redraw: the name column narrows first, then the sizes go (`barLine`). */
const runningLine = (
  _options: unknown,
  params: { progress: number; maxWidth: number },
  payload: RunningPayload,
): string =>
  barLine({
    width: params.maxWidth,
    fraction: params.progress,
    name: { text: payload.name, min: 12, max: 24 },
    parts: payload.parts,
    bar: { min: 10, max: 20 },
  });

/** DECAWM: the terminal wraps a line at its last column, or (off) writes what passes it over that column. */
const WRAP_ON = '\u001b[?7h';
const WRAP_OFF = '\u001b[?7l';
/** Erases the line from the cursor to its end. */
const ERASE_RIGHT = '\u001b[K';

/** The bars of a list on a terminal: the total line, under it a line a running download. */
class MultiBars {
  readonly #stream: NodeJS.WriteStream;
  readonly #multi: cliProgress.MultiBar;
  readonly #total: cliProgress.SingleBar;
  readonly #bars = new Map<string, cliProgress.SingleBar>();
  #files = 0;
  #bytes = 0;
  readonly #count: number;
  #stopped = false;

  private constructor(library: typeof cliProgress, stream: NodeJS.WriteStream, count: number) {
    this.#count = count;
    this.#stream = stream;
    this.#multi = new library.MultiBar(
      {
        stream,
        format: runningLine,
        hideCursor: true,
        clearOnComplete: true,
        linewrap: false,
        // The command pauses the downloads on a signal itself; cli-progress would exit at once.
        gracefulExit: false,
      },
      library.Presets.shades_classic,
    );
    this.#total = this.#multi.create(count, 0, this.#totalPayload(), {
      format: 'total {value} / {total} files | {done}',
    });
  }

  static async create(stream: NodeJS.WriteStream, count: number): Promise<MultiBars> {
    const library = (await import('cli-progress')).default;
    return new MultiBars(library, stream, count);
  }

  #totalPayload() {
    return { done: formatBytes(this.#bytes) };
  }

  update(item: ListItem, progress: Progress): void {
    if (this.#stopped) return;
    const payload: RunningPayload = {
      // R38: a file name is shown escaped, and cut to keep one line a download.
      name: escapeControls(basename(item.target)),
      parts: [
        { text: formatPercent(progress.bytes, progress.total).padStart(7) },
        {
          text: `${formatBytes(progress.bytes).padStart(10)} / ${progress.total === null ? '?' : formatBytes(progress.total)}`,
          drop: 1,
        },
        { text: formatRate(progress.bytesPerSecond).padStart(12), drop: 2 },
      ],
    };
    const bar = this.#bars.get(item.id);
    if (bar === undefined) {
      this.#bars.set(item.id, this.#multi.create(progress.total ?? 1, progress.bytes, payload));
      return;
    }
    if (progress.total !== null) bar.setTotal(progress.total);
    bar.update(progress.bytes, payload);
  }

  remove(item: ListItem, bytes: number): void {
    const bar = this.#bars.get(item.id);
    if (bar !== undefined) {
      this.#multi.remove(bar);
      this.#bars.delete(item.id);
    }
    this.finishedOne(bytes);
  }

  finishedOne(bytes: number): void {
    if (this.#stopped) return;
    this.#files += 1;
    this.#bytes += bytes;
    this.#total.update(Math.min(this.#files, this.#count), this.#totalPayload());
  }

  /**
   * Lines printed above the bars, with wrapping on: it is off while the bars are drawn, and a saved line wider than
   * the terminal lost its end (the path's, then the size). Its rows only push the bars down: cli-progress goes back
   * up over the bars' rows alone, below the lines it wrote. They are written over the bars, and each is erased to
   * its right, so that its last row keeps no end of a longer bar; not a row it filled, where the cursor waits on the
   * last column and some terminals would erase that column's character.
   */
  log(lines: readonly string[]): void {
    if (this.#stopped) return;
    const columns = this.#stream.columns || 80;
    const text = lines
      .map((line) => {
        const shown = printable(line);
        const width = [...shown].reduce((sum, char) => sum + columnsOf(char), 0);
        return `${shown}${width > 0 && width % columns === 0 ? '' : ERASE_RIGHT}\n`;
      })
      .join('');
    this.#multi.log(`${WRAP_ON}${text}${WRAP_OFF}`);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    // cli-progress writes logged lines at its next redraw, and `stop` does not: the last file's line would be lost.
    this.#multi.update();
    this.#multi.stop();
  }
}
