import type { RefreshedUrls, RefreshUrl } from '@rdl/core';
import { refreshFailureLine } from '@rdl/core/rules';
import { errorLine } from './postRefusal.js';
import type { FromWorker, RefreshOutcome, ToWorker } from './protocol.js';

/**
 * The hook's answer as it can cross to the worker: its `url` and `headUrl` read once and copied as strings, so that
 * an answer structured clone cannot copy (an object with a method, a class) still goes. What core takes for no URL
 * (R18: the URL expired) is `null`; a `headUrl` that is no text goes as `''`, which core refuses as not http(s), as
 * it refuses that value itself.
 */
const plainUrls = (urls: RefreshedUrls | null | undefined): { url: string; headUrl?: string } | null => {
  const url: unknown = urls?.url;
  if (typeof url !== 'string') return null;
  const headUrl: unknown = urls?.headUrl;
  if (headUrl === undefined) return { url };
  return { url, headUrl: typeof headUrl === 'string' ? headUrl : '' };
};

/**
 * Asks the page's `refreshUrl` hook (R18) inside a promise chain: a hook that throws at once, rejects, or answers
 * what cannot be read settles as one that rejects, with the first line of its error (`refreshFailureLine`, the
 * words core gives it in one realm), never as an error of the page or a worker left waiting.
 */
const askRefreshUrl = (
  refreshUrl: RefreshUrl | undefined,
  failed: { url: string; status: number },
): Promise<RefreshOutcome> =>
  Promise.resolve()
    .then(() => refreshUrl?.(failed))
    .then(plainUrls)
    .then(
      (urls): RefreshOutcome => ({ ok: true, urls }),
      (error: unknown): RefreshOutcome => ({ ok: false, message: refreshFailureLine(error) }),
    );

/**
 * Sends the hook's `outcome` to the worker; one it cannot take is sent as the hook's failure, with the reason, in a
 * message of text alone, which structured clone always copies.
 */
const answerRefresh = (post: (message: ToWorker) => void, id: number, outcome: RefreshOutcome): void => {
  try {
    post({ type: 'refreshed', id, outcome });
  } catch (error) {
    post({
      type: 'refreshed',
      id,
      outcome: { ok: false, message: `its answer could not reach the worker: ${errorLine(error)}` },
    });
  }
};

/**
 * The page's side of a worker's `refreshUrl` message (R18): asks the hook (`askRefreshUrl`) and posts its outcome
 * back. Never throws nor leaves a rejection: the worker hears of every ask, so none waits out its bound.
 */
export const answerRefreshUrl = (
  refreshUrl: RefreshUrl | undefined,
  message: Extract<FromWorker, { type: 'refreshUrl' }>,
  post: (message: ToWorker) => void,
): void => {
  void askRefreshUrl(refreshUrl, message.failed).then((outcome) => answerRefresh(post, message.id, outcome));
};
