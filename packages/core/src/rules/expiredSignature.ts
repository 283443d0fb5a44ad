import { isPresigned } from './signedUrl.js';

/** The status an expired signature answers (S3 and OSS alike). */
export const EXPIRED_STATUS = 403;

/**
 * R18, decided once for the probe and the data requests: a 403 to a download that already holds bytes (they prove
 * the URL once worked) means its signature expired when the URL is presigned (`isPresigned`: it carries a signature
 * parameter) or the caller gave a `refreshUrl` hook. The hook, when given, is then asked for new URLs and the
 * download goes on from its checkpoint; without one it ends as `UrlExpired`, whose bytes a later start with a URL
 * signed again resumes. Without bytes, or on a plain URL with no hook, a 403 is an answer like any other
 * (`HttpStatus`).
 */
export const isExpiredSignature = (facts: {
  readonly status: number;
  readonly hasBytes: boolean;
  readonly refreshable: boolean;
  /** The URL that was answered. */
  readonly url: string;
}): boolean =>
  facts.status === EXPIRED_STATUS && facts.hasBytes && (facts.refreshable || isPresigned(facts.url));
