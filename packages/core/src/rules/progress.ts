import type { Progress } from '../model/download.js';

/**
 * What speed is measured from: recent `[timeMs, bytes]` samples, oldest first. Plain JSON, so it can live in the
 * machine's context.
 */
export interface ProgressMeter {
  readonly samples: readonly (readonly [timeMs: number, bytes: number])[];
}

/** Speed is measured over this window (R28). */
export const SPEED_WINDOW_MS = 5_000;
/** Samples closer together than this are merged, which bounds the meter to about 50 samples. */
const SAMPLE_SPACING_MS = 100;

/** A meter that begins at `bytes` at `nowMs`. */
export const startMeter = (nowMs: number, bytes: number): ProgressMeter => ({ samples: [[nowMs, bytes]] });

/**
 * The meter after `bytes` were counted at `nowMs`. Fewer bytes than before (a restart) or a clock going back start a
 * new meter, so speed is never negative.
 */
export const sampleMeter = (meter: ProgressMeter, nowMs: number, bytes: number): ProgressMeter => {
  const last = meter.samples[meter.samples.length - 1];
  if (last === undefined || bytes < last[1] || nowMs < last[0]) return startMeter(nowMs, bytes);
  const samples = [...meter.samples];
  const beforeLast = samples[samples.length - 2];
  if (samples.length > 1 && beforeLast !== undefined && nowMs - beforeLast[0] < SAMPLE_SPACING_MS)
    samples.pop();
  samples.push([nowMs, bytes]);
  // Keep one sample at or before the window's start, so speed covers the whole window.
  const windowStart = nowMs - SPEED_WINDOW_MS;
  while (samples.length > 2 && samples[1]![0] <= windowStart) samples.shift();
  return { samples };
};

const speedOf = (meter: ProgressMeter): number => {
  const first = meter.samples[0];
  const last = meter.samples[meter.samples.length - 1];
  if (first === undefined || last === undefined || last[0] <= first[0]) return 0;
  return Math.max(0, ((last[1] - first[1]) * 1000) / (last[0] - first[0]));
};

/**
 * The progress report (R28): bytes, total (`null` when unknown, R15), a fraction in [0, 1] (a zero-length resource is
 * 1), speed over the last few seconds, and the ETA in seconds: `null` when the total is unknown or nothing moves.
 */
export const progressOf = (meter: ProgressMeter, total: number | null, connections = 1): Progress => {
  const bytes = meter.samples[meter.samples.length - 1]?.[1] ?? 0;
  const bytesPerSecond = speedOf(meter);
  if (total === null) return { bytes, total, fraction: null, bytesPerSecond, etaSeconds: null, connections };
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, bytes / total));
  const left = Math.max(0, total - bytes);
  const etaSeconds = left === 0 ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : null;
  return { bytes, total, fraction, bytesPerSecond, etaSeconds, connections };
};
