import type { HeaderMap, HttpFailure, HttpRequest, HttpResponse } from '@rdl/core';
import { type RedirectPolicy, redirectStep } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** One answer of a transport that does not follow redirects itself. */
export interface HopAnswer {
  readonly status: number;
  readonly headers: HeaderMap;
  /** The body, asked for once, only when this answer is the final one. */
  readonly body: () => AsyncIterable<Uint8Array>;
  /** Lets go of a redirect's body, so that its connection can carry the next hop. */
  readonly discard: () => void;
  /** `HttpResponse.recycle`, for a transport that takes chunks back. */
  readonly recycle?: (chunk: Uint8Array) => void;
}

/** Sends one request (the method and signal are the caller's) to `url` with `headers`, without following. */
export type SendHop = (url: string, headers: HeaderMap) => Promise<E.Either<HttpFailure, HopAnswer>>;

/**
 * The redirect loop every Node transport shares (R17, R37): `send` one hop, and while the answer is a redirect ask
 * core's `redirectStep` where to go next and with which headers (at another origin only those without secrets, only
 * http(s), never from https to http unless `policy` allows it, at most 10 hops). A refused hop is refused before
 * anything is sent to its target. The response's `url` is the one that answered, and `leftOrigin` says whether a hop
 * on the way went to another origin.
 */
export const followRedirects = async (
  request: HttpRequest,
  send: SendHop,
  policy: RedirectPolicy,
): Promise<E.Either<HttpFailure, HttpResponse>> => {
  let url = request.url;
  let headers: HeaderMap = request.headers;
  let leftOrigin = false;
  for (let hop = 0; ; hop += 1) {
    const answer = await send(url, headers);
    if (E.isLeft(answer)) return answer;
    const { status, headers: head, recycle } = answer.right;
    if (!REDIRECT_STATUSES.has(status)) {
      const body = answer.right.body();
      return E.right({ status, url, leftOrigin, headers: head, body, ...(recycle && { recycle }) });
    }
    answer.right.discard();
    const next = redirectStep({
      from: url,
      location: head.location,
      status,
      method: request.method,
      headers,
      hop,
      allowHttpsDowngrade: policy.allowHttpsDowngrade,
    });
    if (E.isLeft(next)) return next;
    url = next.right.url;
    headers = next.right.headers;
    leftOrigin ||= next.right.crossOrigin;
  }
};
