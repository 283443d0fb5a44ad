import { writeLines } from '../writeLines.js';
import { exitCodes } from './exitCodes.js';
import type { CliEnvironment, StopSignal } from './main.js';

/**
 * The stop signals of a command heard from its start (R24): Node's default action would end the process silently,
 * with whatever it holds (a list's lock, the lock's temp name) left behind. The first one that comes before a
 * handler is given is kept, for the command to stop at its next step; a second one then ends the process at once,
 * after what `onExit` was given (the lock released, the terminal given back).
 */
export interface StopSignals {
  /** The signal that came before `handle`, if any. */
  readonly first: StopSignal | null;
  /** Resolves with the first signal: a step that may wait for ever (a pipe that never ends) races it. */
  readonly heard: Promise<StopSignal>;
  /** What ending the process does first, from now on (done in the reverse order of the calls). */
  onExit(cleanup: () => void): void;
  /** Ends the process at once with `code`, after each cleanup. */
  exit(code: number): void;
  /** From now on each signal goes to `handler`. */
  handle(handler: (signal: StopSignal) => void): void;
  /** Heard through `env` from now on, instead of the environment before (`--max-time` adds its `TIMEOUT`). */
  listenOn(env: CliEnvironment): void;
  /** Heard no more. */
  stop(): void;
}

export const listenForSignals = (env: CliEnvironment): StopSignals => {
  let first: StopSignal | null = null;
  let handler: ((signal: StopSignal) => void) | null = null;
  const cleanups: (() => void)[] = [];
  let heardFirst: (signal: StopSignal) => void = () => undefined;
  const heard = new Promise<StopSignal>((resolve) => {
    heardFirst = resolve;
  });
  const exit = (code: number): void => {
    try {
      for (const cleanup of [...cleanups].reverse()) cleanup();
    } finally {
      env.exit(code);
    }
  };
  const deliver = (received: StopSignal): void => {
    if (handler !== null) {
      handler(received);
    } else if (first === null) {
      first = received;
      heardFirst(received);
    } else {
      exit(exitCodes[first]);
    }
  };
  let stopListening = env.onSignal(deliver);
  return {
    get first() {
      return first;
    },
    heard,
    onExit: (cleanup) => {
      cleanups.push(cleanup);
    },
    exit,
    handle: (given) => {
      handler = given;
    },
    listenOn: (next) => {
      // The new listener first: with none at all for an instant, a signal would take Node's default action.
      const before = stopListening;
      stopListening = next.onSignal(deliver);
      before();
    },
    stop: () => stopListening(),
  };
};

/**
 * The line of a command stopped before it took anything (its list read and checked, its lock not yet taken), and
 * its exit code: nothing was started, and nothing is left behind.
 */
export const stoppedBeforeStart = (env: CliEnvironment, signal: StopSignal): number => {
  const by = signal === 'TIMEOUT' ? ' by --max-time' : '';
  writeLines(
    env.stderr,
    `rdl: stopped${by} before any download started; nothing was fetched and nothing is held`,
  );
  return exitCodes[signal];
};
