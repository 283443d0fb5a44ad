import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/**
 * A Node built-in module loaded the first time it is used, not when this package is imported: `node:tls`,
 * `node:crypto` and `node:worker_threads` cost the `rdl` command about 10 ms of every start
 * when loaded up front, and a plain http download with no checksum uses none of them.
 */
export const lazyBuiltin = <M>(name: `node:${string}`): (() => M) => {
  let loaded: M | undefined;
  return () => {
    loaded ??= load(name) as M;
    return loaded;
  };
};
