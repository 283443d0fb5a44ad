import type { HashAlgorithm } from '../ports/Hasher.js';

/** Where an expected checksum comes from (R27): the caller's options, or one of the server's headers. */
export type ChecksumSource = 'caller' | 'x-oss-hash-crc64ecma' | 'content-md5' | 'repr-digest';

/** A checksum the whole file must match, its value as lower-case hex. */
export interface ExpectedChecksum {
  readonly algorithm: HashAlgorithm;
  readonly value: string;
  readonly source: ChecksumSource;
}

/** The checksums a server gave of the whole file, at most one an algorithm. */
export type ServerChecksums = Readonly<Partial<Record<HashAlgorithm, ExpectedChecksum>>>;

/** A check that ran and matched, as the result reports it. */
export interface ChecksumCheck {
  readonly algorithm: HashAlgorithm;
  readonly source: ChecksumSource;
}
