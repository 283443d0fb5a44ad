import type { ChecksumCheck, ExpectedChecksum, ServerChecksums } from '../model/checksum.js';
import type { ResolvedOptions } from '../model/options.js';
import type { HashAlgorithm } from '../ports/Hasher.js';

/**
 * Every checksum the finished file must match (R27): the caller's `expectedSha256` and `expectedMd5` first, then
 * those the server gave. A server's checksum of an algorithm the caller also gave is checked too: both must hold.
 */
export const expectedChecksums = (options: ResolvedOptions, server: ServerChecksums): ExpectedChecksum[] => {
  const caller: ExpectedChecksum[] = [];
  if (options.expectedSha256 !== null)
    caller.push({ algorithm: 'sha256', value: options.expectedSha256, source: 'caller' });
  if (options.expectedMd5 !== null)
    caller.push({ algorithm: 'md5', value: options.expectedMd5, source: 'caller' });
  return [...caller, ...Object.values(server).filter((c): c is ExpectedChecksum => c !== undefined)];
};

/** The digests to compute: those the checks need, and SHA-256 when the caller wants it back (`computeSha256`). */
export const hashAlgorithms = (
  options: ResolvedOptions,
  expected: readonly ExpectedChecksum[],
): HashAlgorithm[] => {
  const wanted = new Set<HashAlgorithm>(expected.map((c) => c.algorithm));
  if (options.computeSha256) wanted.add('sha256');
  return [...wanted];
};

/**
 * The first expected checksum the digests contradict (R27), or `null`; an algorithm not computed proves nothing
 * (it is never asked for: `hashAlgorithms` computes each one expected).
 */
export const checksumMismatch = (
  expected: readonly ExpectedChecksum[],
  digests: Readonly<Partial<Record<HashAlgorithm, string>>>,
): {
  readonly check: HashAlgorithm;
  readonly source: ExpectedChecksum['source'];
  readonly expected: string;
  readonly actual: string;
} | null => {
  for (const { algorithm, value, source } of expected) {
    const actual = digests[algorithm];
    if (actual !== undefined && value.toLowerCase() !== actual)
      return { check: algorithm, source, expected: value, actual };
  }
  return null;
};

/** The checks that ran, as the result reports them: each expected checksum, once. */
export const checksRun = (expected: readonly ExpectedChecksum[]): ChecksumCheck[] =>
  expected.map(({ algorithm, source }) => ({ algorithm, source }));
