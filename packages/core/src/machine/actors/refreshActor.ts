import type { RefreshedUrls, RefreshUrl } from '../../model/options.js';
import { isHttpUrl, parseUrl } from '../../model/url.js';
import type { Clock } from '../../ports/Clock.js';
import { storedUrl } from '../../rules/checkpointUrl.js';
import { refreshFailureLine } from '../../rules/refreshFailure.js';
import type { RefreshInput, RefreshOutput } from '../effects.js';
import { effectActor } from './effectActor.js';

const isHttp = (url: unknown): boolean => {
  const parsed = typeof url === 'string' ? parseUrl(url) : null;
  return parsed !== null && isHttpUrl(parsed);
};

/**
 * R18: asks the caller's `refreshUrl` hook for new URLs. A missing hook, or one that answers no URL, is
 * `UrlExpired`; one that throws or rejects is `RefreshFailed` with the first line of its error, and so is one that
 * answers a URL that is not http(s) (R30: nothing else is fetched), or that does not answer within `timeoutMs`
 * (a hook that never settles would hold the download, its lock and files, for ever).
 */
export const createRefreshActor = (refreshUrl: RefreshUrl | undefined, clock: Clock) =>
  effectActor('refresh', async (input: RefreshInput): Promise<RefreshOutput> => {
    const expired: RefreshOutput = {
      _tag: 'Fail',
      failure: { _tag: 'UrlExpired', url: storedUrl(input.url) },
    };
    if (refreshUrl === undefined) return expired;
    try {
      let timer: ReturnType<Clock['setTimeout']> | null = null;
      const late = new Promise<never>((_, reject) => {
        timer = clock.setTimeout(
          () => reject(new Error(`it did not answer within ${input.timeoutMs / 1000} s`)),
          input.timeoutMs,
        );
      });
      const asked = Promise.resolve().then(() => refreshUrl({ url: input.url, status: input.status }));
      // Its answer after the deadline is not waited for, and not an unhandled rejection either.
      asked.catch(() => undefined);
      const urls: RefreshedUrls | null | undefined = await Promise.race([asked, late]).finally(() => {
        if (timer !== null) clock.clearTimeout(timer);
      });
      if (typeof urls?.url !== 'string') return expired;
      if (!isHttp(urls.url) || (urls.headUrl !== undefined && !isHttp(urls.headUrl))) {
        return {
          _tag: 'Fail',
          failure: { _tag: 'RefreshFailed', message: 'it gave a URL that is not http(s)' },
        };
      }
      return { _tag: 'Refreshed', urls };
    } catch (error) {
      return { _tag: 'Fail', failure: { _tag: 'RefreshFailed', message: refreshFailureLine(error) } };
    }
  });
