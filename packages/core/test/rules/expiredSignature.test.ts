import { describe, expect, it } from 'vitest';
import { isExpiredSignature } from '../../src/rules/expiredSignature.js';

const signed = 'https://b.example/k?X-Amz-Date=1&X-Amz-Signature=REDACTED';
const plain = 'https://b.example/k?file=a';

describe('isExpiredSignature', () => {
  it('R18: a 403 after bytes on a presigned URL is an expired signature, with a refreshUrl hook or without one', () => {
    expect(isExpiredSignature({ status: 403, hasBytes: true, refreshable: false, url: signed })).toBe(true);
    expect(isExpiredSignature({ status: 403, hasBytes: true, refreshable: true, url: signed })).toBe(true);
  });

  it('R18: on a plain URL only a hook makes a 403 after bytes an expiry; without bytes, or another status, it never is', () => {
    expect(isExpiredSignature({ status: 403, hasBytes: true, refreshable: true, url: plain })).toBe(true);
    expect(isExpiredSignature({ status: 403, hasBytes: true, refreshable: false, url: plain })).toBe(false);
    expect(isExpiredSignature({ status: 403, hasBytes: false, refreshable: true, url: signed })).toBe(false);
    expect(isExpiredSignature({ status: 401, hasBytes: true, refreshable: true, url: signed })).toBe(false);
    expect(isExpiredSignature({ status: 404, hasBytes: true, refreshable: false, url: signed })).toBe(false);
  });
});
