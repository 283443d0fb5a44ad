import { fromPromise } from 'xstate';
import type { DownloadPorts } from '../../model/download.js';
import type { RefreshInput, RefreshOutput } from '../effects.js';

/** R18: asks the caller's `refreshUrl` hook for new URLs. A missing hook, or one that fails, is `UrlExpired`. */
export const createRefreshActor = (refreshUrl: DownloadPorts['refreshUrl']) =>
  fromPromise<RefreshOutput, RefreshInput>(async ({ input }) => {
    const expired: RefreshOutput = { _tag: 'Failed', failure: { _tag: 'UrlExpired', url: input.url } };
    if (refreshUrl === undefined) return expired;
    try {
      const urls = await refreshUrl({ url: input.url, status: input.status });
      return typeof urls?.url === 'string' ? { _tag: 'Refreshed', urls } : expired;
    } catch {
      return expired;
    }
  });
