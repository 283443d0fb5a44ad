import type { ResolvedOptions } from '../model/options.js';

/** The digests a download computes: SHA-256 when expected or asked for, MD5 when expected (R27). */
export const hashAlgorithms = (
  options: ResolvedOptions,
): { readonly sha256: boolean; readonly md5: boolean } => ({
  sha256: options.expectedSha256 !== null || options.computeSha256,
  md5: options.expectedMd5 !== null,
});

/** The first expected checksum that the digests contradict (R27), or `null`; a digest not computed proves nothing. */
export const checksumMismatch = (
  options: ResolvedOptions,
  digests: { readonly sha256: string | null; readonly md5: string | null },
): { readonly check: 'sha256' | 'md5'; readonly expected: string; readonly actual: string } | null => {
  const checks = [
    { check: 'sha256' as const, expected: options.expectedSha256, actual: digests.sha256 },
    { check: 'md5' as const, expected: options.expectedMd5, actual: digests.md5 },
  ];
  for (const { check, expected, actual } of checks) {
    if (expected !== null && actual !== null && expected.toLowerCase() !== actual) {
      return { check, expected, actual };
    }
  }
  return null;
};
