/** How `rdl` ends. Signals follow the shell convention 128 + signal number. */
export const exitCodes = {
  ok: 0,
  /** The download failed (R29). */
  failed: 1,
  /** Bad input, found before any request (R30). */
  invalidInput: 2,
  /** A bug: an exception where none is expected. */
  internal: 70,
  /** SIGINT (Ctrl-C): paused, checkpoint saved. */
  SIGINT: 130,
  /** SIGTERM: paused, checkpoint saved. */
  SIGTERM: 143,
  /** `--max-time` passed: paused, every checkpoint saved (curl's 28, "operation timed out"). */
  TIMEOUT: 28,
  /** stdout's reader went away (`rdl --json | head`): paused, checkpoint saved. */
  SIGPIPE: 141,
} as const;
