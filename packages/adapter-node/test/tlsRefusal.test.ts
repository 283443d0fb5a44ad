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
