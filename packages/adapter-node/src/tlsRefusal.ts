import { escapeControls } from '@rdl/core/rules';

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
 * OpenSSL's reasons that may not come again: a record damaged or cut on the way, a server's passing trouble. A
 * server that closes in the middle of the handshake is a reset to Node (`ECONNRESET`), retried as well.
 */
const PASSING_REASONS = ['unexpected eof', 'bad record mac', 'internal error'];

/** What a user can do about a reason, where it is not plain. */
const HINTS: readonly (readonly [string, string])[] = [
  ['wrong version number', 'is this an http:// port?'],
  ['certificate required', 'the server asks for a client certificate'],
  ['protocol version', 'the server speaks no TLS version Node accepts'],
  ['unsupported protocol', 'the server speaks no TLS version Node accepts'],
];

/** OpenSSL's error line, `<hex>:error:<hex>:<library>:<function>:<reason>:<file>:<line>:…`, as a write's EPROTO carries it. */
const OPENSSL_LINE = /:error:[0-9A-F]+:[^:\n]*:[^:\n]*:([^:\n]+):/;

/**
 * Why a TLS connection was refused for good, as one line, or `null` when `error` may pass if asked again (a reset,
 * a timeout, a refused connection): a certificate that verification refused (its message, as Node gives it), or a
 * handshake OpenSSL failed (an https:// URL to a plain-HTTP port, no TLS version in common, a client certificate
 * the server asks for, even after the handshake, as TLS 1.3 does), shown by OpenSSL's reason rather than its whole
 * error line. Its control characters are escaped (`escapeControls`, R29, R38): a certificate's name is the server's
 * text, and Node quotes it in its message (`… is not cert's CN: …`), a newline or an ESC as it is. Looks through a few levels of `cause`; node-fetch's `FetchError` copies the socket's code and message.
 *
 * `unverified`: the socket had refused the peer's certificate (`authorizationError`) when the error came, before
 * its handshake ended: a verify result under a code Node may add later is still one.
 */
export const tlsRefusalOf = (error: unknown, unverified = false): string | null => {
  let current = error;
  // A few levels of `cause` at most: a cycle of causes must not loop.
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, cause, message, reason } = current as Record<string, unknown>;
    const text = typeof message === 'string' ? message : '';
    if ((depth === 0 && unverified) || (typeof code === 'string' && CERTIFICATE_CODES.has(code)))
      return escapeControls(text);
    const said =
      typeof code === 'string' && code.startsWith('ERR_SSL_') && typeof reason === 'string'
        ? reason
        : OPENSSL_LINE.exec(text)?.[1];
    if (said !== undefined)
      return PASSING_REASONS.some((passing) => said.includes(passing)) ? null : withHint(said);
    current = cause;
  }
  return null;
};

const withHint = (reason: string): string => {
  const hint = HINTS.find(([part]) => reason.includes(part))?.[1];
  return escapeControls(hint === undefined ? reason : `${reason} (${hint})`);
};
