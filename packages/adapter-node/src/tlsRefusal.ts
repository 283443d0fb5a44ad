/**
 * The codes Node gives a TLS handshake refused by certificate verification: OpenSSL's X509 verify results it has a
 * name for, its own name check, and `UNSPECIFIED`, which it gives every verify result it has no name for (a
 * signature made with SHA-1, a key too short). Asking again gets the same certificate.
 */
const CERTIFICATE_CODES = new Set([
  'CERT_CHAIN_TOO_LONG',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CRL_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNSPECIFIED',
]);

/**
 * Why a TLS connection was refused for good, as one line, or `null` when `error` may pass if asked again (a reset,
 * a timeout, a refused connection): a certificate that verification refused, its message as Node gives it. Looks
 * through a few levels of `cause`; node-fetch's `FetchError` copies the socket's code and message.
 *
 * `unverified`: the socket had refused the peer's certificate (`authorizationError`) when the error came, before
 * its handshake ended: a verify result under a code Node may add later is still one.
 */
export const tlsRefusalOf = (error: unknown, unverified = false): string | null => {
  let current = error;
  // A few levels of `cause` at most: a cycle of causes must not loop.
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, cause, message } = current as Record<string, unknown>;
    const text = typeof message === 'string' ? message : '';
    if ((depth === 0 && unverified) || (typeof code === 'string' && CERTIFICATE_CODES.has(code))) return text;
    current = cause;
  }
  return null;
};
