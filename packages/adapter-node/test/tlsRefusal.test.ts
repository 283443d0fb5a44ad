import { describe, expect, it } from 'vitest';
import { tlsRefusalOf } from '../src/tlsRefusal.js';

const withCode = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('tlsRefusalOf', () => {
  it('R25: a refused certificate is final, its message as Node gives it; resets, refusals and timeouts are not', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'])
      expect(tlsRefusalOf(withCode(code, 'refused'))).toBe('refused');
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPROTO'])
      expect(tlsRefusalOf(withCode(code))).toBeNull();
    expect(tlsRefusalOf(null)).toBeNull();
    expect(tlsRefusalOf('CERT_HAS_EXPIRED')).toBeNull();
  });

  it('R25: a verify result Node has no name for (UNSPECIFIED), or any error of a socket that refused the certificate, is final', () => {
    expect(tlsRefusalOf(withCode('UNSPECIFIED', 'CA signature digest algorithm too weak'))).toBe(
      'CA signature digest algorithm too weak',
    );
    expect(tlsRefusalOf(withCode('SOME_LATER_NAME', 'a later result'), true)).toBe('a later result');
  });

  it('R25: a handshake OpenSSL failed is final, shown by its reason, from the error’s reason or from a write’s EPROTO line', () => {
    const line =
      'write EPROTO 80CC233A2A7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';
    expect(tlsRefusalOf(withCode('EPROTO', line))).toBe('wrong version number (is this an http:// port?)');
    const alert = Object.assign(withCode('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'the whole line'), {
      reason: 'sslv3 alert handshake failure',
    });
    expect(tlsRefusalOf(alert)).toBe('sslv3 alert handshake failure');
  });

  it('R25: a record damaged or cut on the way, or a server’s internal error, is not final', () => {
    for (const reason of [
      'unexpected eof while reading',
      'decryption failed or bad record mac',
      'tlsv1 alert internal error',
    ])
      expect(tlsRefusalOf(Object.assign(withCode('ERR_SSL_X'), { reason }))).toBeNull();
  });

  it('R29, R38: the refusal is one line, its control characters escaped, a certificate’s message or OpenSSL’s reason', () => {
    expect(tlsRefusalOf(withCode('ERR_TLS_CERT_ALTNAME_INVALID', "cert's CN: a\nb\u001b[31m"))).toBe(
      "cert's CN: a\\u000ab\\u001b[31m",
    );
    expect(tlsRefusalOf(Object.assign(withCode('ERR_SSL_X'), { reason: 'odd\u009breason' }))).toBe(
      'odd\\u009breason',
    );
  });

  it('R25: looks through a wrapping error’s cause; a cycle of causes ends', () => {
    const wrapped = Object.assign(new Error('request failed'), {
      cause: withCode('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
    });
    expect(tlsRefusalOf(wrapped)).toBe('self-signed certificate in certificate chain');
    const loop: { code: string; cause?: unknown } = { code: 'ECONNRESET' };
    loop.cause = loop;
    expect(tlsRefusalOf(loop)).toBeNull();
  });
});
