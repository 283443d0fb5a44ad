/**
 * What a response body's iterator rejects with when the bytes after the head break HTTP's framing (a chunk size
 * that is not hex, a chunk without its CRLF): an `Error` named `BadResponse`. Asking again gets the same bytes, so
 * core does not retry it (R36); any other rejection is a cut connection, which it resumes (R25, R26).
 */
export const badBodyError = (reason: string): Error => {
  const error = new Error(reason);
  error.name = 'BadResponse';
  return error;
};

/** Whether a body rejected because its framing is broken (see `badBodyError`); works across realms. */
export const isBadBodyError = (error: unknown): error is Error =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'BadResponse';
