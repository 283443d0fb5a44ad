import type { RefreshUrl } from '../../model/options.js';
import type { RefreshInput, RefreshOutput } from '../effects.js';
import { effectActor } from './effectActor.js';

/** R18: asks the caller's `refreshUrl` hook for new URLs. A missing hook, or one that fails, is `UrlExpired`. */
export const createRefreshActor = (refreshUrl: RefreshUrl | undefined) =>
  effectActor('refresh', async (input: RefreshInput): Promise<RefreshOutput> => {
    const expired: RefreshOutput = { _tag: 'Fail', failure: { _tag: 'UrlExpired', url: input.url } };
    if (refreshUrl === undefined) return expired;
    try {
      const urls = await refreshUrl({ url: input.url, status: input.status });
      return typeof urls?.url === 'string' ? { _tag: 'Refreshed', urls } : expired;
    } catch {
      return expired;
    }
  });
