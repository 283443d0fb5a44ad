/**
 * Lets go of a response body not read to its end, so the adapter releases the connection (HttpPort contract).
 * Never awaited: a body that ignores `return()` must not hold the download up.
 */
export const releaseBody = (body: AsyncIterable<Uint8Array> | AsyncIterator<Uint8Array>): void => {
  const iterator = Symbol.asyncIterator in body ? body[Symbol.asyncIterator]() : body;
  Promise.resolve()
    .then(() => iterator.return?.())
    .catch(() => undefined);
};
