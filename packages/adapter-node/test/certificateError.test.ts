import { describe, expect, it } from 'vitest';
import { isCertificateError } from '../src/certificateError.js';

const withCode = (code: string): Error => Object.assign(new Error(code), { code });

describe('isCertificateError', () => {
  it('R25: a refused certificate is final; resets, refusals and timeouts are not', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'])
      expect(isCertificateError(withCode(code))).toBe(true);
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPROTO'])
      expect(isCertificateError(withCode(code))).toBe(false);
    expect(isCertificateError(null)).toBe(false);
    expect(isCertificateError('CERT_HAS_EXPIRED')).toBe(false);
  });

  it('R25: looks through a wrapping error’s cause, as node-fetch wraps the socket’s', () => {
    const wrapped = Object.assign(new Error('request failed'), {
      cause: withCode('SELF_SIGNED_CERT_IN_CHAIN'),
    });
    expect(isCertificateError(wrapped)).toBe(true);
    const loop: { code: string; cause?: unknown } = { code: 'ECONNRESET' };
    loop.cause = loop;
    expect(isCertificateError(loop)).toBe(false);
  });
});
