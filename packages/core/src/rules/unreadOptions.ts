/**
 * Why options given by a caller could not be taken (R30), in the words every refusal of them uses: they are no
 * object, or reading them threw (a getter, a `Proxy`), said by the first line of what it threw.
 */
export const notAnObject = (value: unknown): string =>
  `must be an object, not ${value === null ? 'null' : typeof value}`;

export const unreadableReason = (error: unknown): string =>
  `cannot be read: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
