/**
 * R18, decided once for the probe and the data requests: a 403 to a download that already holds bytes, when the
 * caller gave a `refreshUrl` hook, means its presigned URL expired (the bytes prove the URL once worked). The hook
 * is then asked for new URLs and the download goes on from its checkpoint. Without bytes a 403 is an answer like
 * any other (`HttpStatus`), and without a hook nobody could sign again.
 */
/** The status an expired signature answers (S3 and OSS alike). */
export const EXPIRED_STATUS = 403;

export const isExpiredSignature = (facts: {
  readonly status: number;
  readonly hasBytes: boolean;
  readonly refreshable: boolean;
}): boolean => facts.status === EXPIRED_STATUS && facts.hasBytes && facts.refreshable;
