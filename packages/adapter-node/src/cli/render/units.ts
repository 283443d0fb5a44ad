const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `1536` → `1.5 KiB`: binary units, one decimal from KiB up. */
export const formatBytes = (bytes: number): string => {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
};

export const formatRate = (bytesPerSecond: number): string => `${formatBytes(Math.round(bytesPerSecond))}/s`;

/** Seconds as `42s`, `3m05s`, `1h02m`; `--` when unknown. */
export const formatEta = (seconds: number | null): string => {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
};

/**
 * `47.3 %`, or an empty string when the total is unknown (R15: never NaN). Rounded down, so that `100.0 %` means
 * every byte (R28): 99.96 % of a file is `99.9 %`, not a finished-looking `100.0 %` with bytes missing.
 */
export const formatPercent = (bytes: number, total: number | null): string => {
  if (total === null || total === 0) return '';
  // Tenths of a percent; bytes * 1000 / total rather than a rounded fraction times 1000, which can land just under.
  const tenths = bytes >= total ? 1000 : Math.min(999, Math.floor((bytes * 1000) / total));
  return `${(tenths / 10).toFixed(1)} %`;
};
