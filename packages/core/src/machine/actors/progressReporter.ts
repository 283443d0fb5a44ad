import type { Progress } from '../../model/download.js';
import type { Clock } from '../../ports/Clock.js';
import { type ProgressMeter, progressOf, sampleMeter, startMeter } from '../../rules/progress.js';

/** Progress reports are sent at most this often, in clock time (the last one of a request always goes). */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Turns byte counts into throttled progress reports (R28). Counts never go backwards between restarts: bytes
 * trimmed from an unsaved tail are not "un-downloaded" for the caller; only `restart()` begins again at 0.
 */
export class ProgressReporter {
  #meter: ProgressMeter;
  #total: number | null = null;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #latest: Progress;
  readonly #clock: Clock;
  readonly #publish: (progress: Progress) => void;

  constructor(clock: Clock, publish: (progress: Progress) => void) {
    this.#clock = clock;
    this.#publish = publish;
    this.#meter = startMeter(clock.now(), 0);
    this.#latest = progressOf(this.#meter, null);
  }

  /** The latest progress, sent or not. */
  get latest(): Progress {
    return this.#latest;
  }

  /** Counts `bytes` of `total` over `connections`; sends a report when the interval passed, or at once with `force`. */
  report(bytes: number, total: number | null, force = false, connections = 1): void {
    const now = this.#clock.now();
    const counted = Math.max(bytes, this.#latest.bytes);
    this.#total = total;
    this.#meter = sampleMeter(this.#meter, now, counted);
    this.#latest = progressOf(this.#meter, total, connections);
    if (force || now - this.#lastSentAt >= PROGRESS_INTERVAL_MS) {
      this.#lastSentAt = now;
      this.#publish(this.#latest);
    }
  }

  /**
   * A run begins with `held` bytes already on storage (the start event): speed is measured from them, so that bytes
   * a resume found are not counted as if they had just arrived.
   */
  begin(held: number): void {
    this.#meter = startMeter(this.#clock.now(), Math.max(held, this.#latest.bytes));
  }

  /** Every byte was thrown away (R28: the one time progress goes back, reported with the restart event). */
  restart(): void {
    this.#meter = startMeter(this.#clock.now(), 0);
    this.#latest = progressOf(this.#meter, this.#total);
    this.#lastSentAt = this.#clock.now();
    this.#publish(this.#latest);
  }
}
