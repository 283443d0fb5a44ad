import type { CliEnvironment, StopSignal } from './main.js';

/** How long a signal waits for the pause (network stopped, checkpoint saved) before the process ends anyway. */
export const PAUSE_GRACE_MS = 10_000;

/** The code of a run that `--max-time` stopped. */
export const MAX_TIME_CODE = 'ERR_MAX_TIME';

/**
 * `env` whose stop signals also come, as `'TIMEOUT'`, once `maxTimeMs` have passed since the command began (curl's
 * `-m`): the run then stops as on Ctrl-C, every checkpoint saved, and the same command goes on from its bytes.
 * `env` itself when there is no limit.
 */
export const withMaxTime = (env: CliEnvironment, maxTimeMs: number | null): CliEnvironment => {
  if (maxTimeMs === null) return env;
  const deadline = Date.now() + maxTimeMs;
  return {
    ...env,
    onSignal: (handler) => {
      const stopListening = env.onSignal(handler);
      const timer = setTimeout(() => handler('TIMEOUT'), Math.max(0, deadline - Date.now()));
      timer.unref();
      return () => {
        clearTimeout(timer);
        stopListening();
      };
    },
  };
};

/** `work`'s outcome, or the stop signal (Ctrl-C, `--max-time`…) that came first. */
export const untilStopped = <T>(env: CliEnvironment, work: Promise<T>): Promise<T | StopSignal> => {
  let stopListening: () => void = () => {};
  const stopped = new Promise<StopSignal>((resolve) => {
    stopListening = env.onSignal(resolve);
  });
  return Promise.race([work, stopped]).finally(() => stopListening());
};

/**
 * What a run `--max-time` stopped says, in its one line (R29) and its `--json` error event (`MAX_TIME_CODE`);
 * `streamed`: a plain stream's, whose bytes no run goes on from (R32). The reporter prints it, so that a bar is
 * taken off the terminal first.
 */
export const maxTimeMessage = (maxTimeMs: number, streamed = false): string =>
  `stopped by --max-time ${maxTimeMs / 1000} s; ${streamed ? 'a plain stream is not resumable' : 'every byte is kept for the same command to go on from'}`;
