/** A seeded PRNG uniform in [0, 1) (core's mulberry32), so that a test's random instants replay from its seed. */
export { mulberry32 as prng } from '@rdl/core/memory';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
