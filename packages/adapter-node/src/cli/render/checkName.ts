import type { ChecksumCheck } from '@rdl/core';

/** A check that ran, as the command names it: the algorithm, and whose checksum it was (R27). */
export const checkName = ({ algorithm, source }: ChecksumCheck): string => `${algorithm} (${source})`;
