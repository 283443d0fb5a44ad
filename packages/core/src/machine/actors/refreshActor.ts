import type { RefreshUrl } from '../../model/options.js';
import { isHttpUrl, parseUrl } from '../../model/url.js';
import { storedUrl } from '../../rules/checkpointUrl.js';
import type { RefreshInput, RefreshOutput } from '../effects.js';
import { effectActor } from './effectActor.js';

/** The first line of what a failing hook threw, as a failure message is: one line (R29). */
const firstLine = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error);
  return text.split(/\r?\n/, 1)[0]?.trim() || 'no reason given';
};

const isHttp = (url: unknown): boolean => {
  const parsed = typeof url === 'string' ? parseUrl(url) : null;
  return parsed !== null && isHttpUrl(parsed);
};

/**
 * R18: asks the caller's `refreshUrl` hook for new URLs. A missing hook, or one that answers no URL, is
 * `UrlExpired`; one that throws or rejects is `RefreshFailed` with the first line of its error, and so is one that
 * answers a URL that is not http(s) (R30: nothing else is fetched).
 */
export const createRefreshActor = (refreshUrl: RefreshUrl | undefined) =>
  effectActor('refresh', async (input: RefreshInput): Promise<RefreshOutput> => {
    const expired: RefreshOutput = {
      _tag: 'Fail',
      failure: { _tag: 'UrlExpired', url: storedUrl(input.url) },
    };
    if (refreshUrl === undefined) return expired;
    try {
      const urls = await refreshUrl({ url: input.url, status: input.status });
      if (typeof urls?.url !== 'string') return expired;
      if (!isHttp(urls.url) || (urls.headUrl !== undefined && !isHttp(urls.headUrl))) {
        return {
          _tag: 'Fail',
          failure: { _tag: 'RefreshFailed', message: 'it gave a URL that is not http(s)' },
        };
      }
      return { _tag: 'Refreshed', urls };
    } catch (error) {
      return { _tag: 'Fail', failure: { _tag: 'RefreshFailed', message: firstLine(error) } };
    }
  });
