import type { DownloadEvent, Progress } from '@rdl/core';
import { writeLines } from '../../writeLines.js';
import { formatJsonLine, type JsonLine, jsonLineOf } from '../json.js';
import { messages } from './messages.js';
import { ProgressBar } from './progress.js';

/** Where the command shows what happens. Failures are printed by the command itself (one line, R29). */
export interface Reporter {
  /** Every event of the download, in order. */
  event(event: DownloadEvent): void;
  /**
   * The download stopped on a signal, its checkpoint saved (`saved` false: the pause did not end in time);
   * `resumeCommand` `null`: a stream, not resumable.
   */
  paused(progress: Progress, resumeCommand: string | null, saved: boolean): void;
  /** The download (or the command line) failed; `--json` prints it as an event. */
  failed(code: string, message: string): void;
  /** Takes any bar off the screen before the process ends. */
  close(): void;
}

export interface Output {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
}

/** How often `--json` prints progress at most, so that a fast download does not flood the reader. */
const jsonProgressIntervalMs = 200;

/**
 * `--json`: the documented events on stdout, one object a line (`formatJsonLine`, escaped, R38); the resume hint still goes to stderr. Progress is
 * thinned to one line each `jsonProgressIntervalMs`, except the first byte past the start (a reader measuring the
 * time to first byte) and the last. `start` names `target`, the file's path, when given (`-J` chose it: the reader
 * learns it there). Default: none, for a failure before the target is known.
 */
export const jsonReporter = (
  out: Output,
  target: string | null = null,
  now: () => number = performance.now.bind(performance),
): Reporter => {
  let lastProgressAt = Number.NEGATIVE_INFINITY;
  let startedAt = 0;
  let firstBytePrinted = false;
  const print = (line: JsonLine): void => {
    // After EPIPE the stream is destroyed: the command is stopping, the line has no reader.
    if (out.stdout.writable) out.stdout.write(formatJsonLine(line));
  };
  return {
    event: (event) => {
      if (event.type === 'error') return;
      const line = jsonLineOf(event);
      if (line === null) return;
      if (line.event === 'start') {
        startedAt = line.resumedFrom;
        firstBytePrinted = false;
        if (target !== null) {
          print({ event: 'start', target, resumedFrom: line.resumedFrom, total: line.total });
          return;
        }
      }
      if (line.event === 'restart') {
        startedAt = 0;
        firstBytePrinted = false;
      }
      if (line.event === 'progress') {
        const firstByte = !firstBytePrinted && line.bytes > startedAt;
        const last = line.total !== null && line.bytes >= line.total;
        if (!firstByte && !last && now() - lastProgressAt < jsonProgressIntervalMs) return;
        lastProgressAt = now();
        if (line.bytes > startedAt) firstBytePrinted = true;
      }
      print(line);
    },
    paused: (progress, resumeCommand, saved) => {
      writeLines(out.stderr, ...messages.paused(progress, resumeCommand, saved));
    },
    failed: (code, message) => print({ event: 'error', code, message }),
    close: () => {},
  };
};

/** `--quiet`: nothing but the failure line the command prints. */
export const quietReporter: Reporter = {
  event: () => {},
  paused: () => {},
  failed: () => {},
  close: () => {},
};

/**
 * For people: one line a step on stderr, and on a terminal a progress bar (whose text is numbers only). Not on a terminal (a log, a pipe) there
 * is no bar and no progress line, only the steps.
 */
export const textReporter = async (
  out: Output,
  context: {
    readonly url: string;
    readonly target: string;
    /** Whether a checksum (`--sha256`) is checked, so that a finished file found on disk is read back. */
    readonly verifies: boolean;
  },
): Promise<Reporter> => {
  const bar = out.stderr.isTTY === true ? await ProgressBar.create(out.stderr) : null;
  const say = (...lines: readonly string[]): void => {
    bar?.clear();
    writeLines(out.stderr, ...lines);
  };
  return {
    event: (event) => {
      switch (event.type) {
        case 'start':
          say(messages.start(context, event.resumedFrom, event.total));
          return;
        case 'progress':
          bar?.update(event.progress);
          return;
        case 'restart':
          // A checkpoint that could not be read was told by its notice, with why: a second line would repeat it.
          if (event.reason !== 'CHECKPOINT_INVALID') say(messages.restart(event.reason));
          return;
        case 'retry':
          say(messages.retry(event.failure, event.attempt, event.delayMs));
          return;
        case 'notice':
          say(messages.notice(event.message));
          return;
        case 'done':
          say(messages.done(event.result));
          return;
        default:
          return;
      }
    },
    paused: (progress, resumeCommand, saved) => say(...messages.paused(progress, resumeCommand, saved)),
    failed: () => bar?.clear(),
    close: () => bar?.clear(),
  };
};
