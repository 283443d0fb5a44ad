import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPresigned, REDACTED, redactSignatures, SECRET_PARAMS } from '../../src/rules/signedUrl.js';

/** A value as a signer writes one: hex, base64 or percent-encoded, never empty. */
const secretValue = fc.stringMatching(/^[A-Za-z0-9%+/=_-]{8,40}$/);
/** A parameter that is no secret, by a name no signer uses for one. */
const plainParam = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/))
  .filter(([name]) => !SECRET_PARAMS.includes(name));
/** A secret parameter's name in any case, sometimes percent-encoded as a server would still read it. */
const secretName = fc
  .tuple(
    fc.constantFrom(...SECRET_PARAMS),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    fc.boolean(),
  )
  .map(([name, upper, encodeDash]) => {
    const cased = [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join('');
    return encodeDash ? cased.replaceAll('-', '%2D') : cased;
  });

const signedUrl = fc
  .record({
    host: fc.constantFrom('bucket.s3.amazonaws.com', '127.0.0.1:9000', 'oss.example'),
    path: fc.stringMatching(/^(\/[a-z0-9._-]{1,8}){1,3}$/),
    plain: fc.array(plainParam, { maxLength: 4 }),
    secrets: fc.array(fc.tuple(secretName, secretValue), { minLength: 1, maxLength: 4 }),
    fragment: fc.option(fc.stringMatching(/^[a-z]{1,5}$/), { nil: null }),
  })
  .chain((u) =>
    fc
      .shuffledSubarray([...u.plain, ...u.secrets], { minLength: u.plain.length + u.secrets.length })
      .map((params) => ({
        ...u,
        url: `https://${u.host}${u.path}?${params.map(([n, v]) => `${n}=${v}`).join('&')}${u.fragment === null ? '' : `#${u.fragment}`}`,
      })),
  );

describe('redactSignatures (properties)', () => {
  it('R37: no secret value of a signed URL survives, every other parameter stays as it was, the names stay', () => {
    fc.assert(
      fc.property(signedUrl, ({ url, plain, secrets }) => {
        const shown = redactSignatures(url);
        for (const [name, value] of secrets) {
          expect(shown).toContain(`${name}=${REDACTED}`);
          expect(shown).not.toContain(`${name}=${value}`);
        }
        for (const [name, value] of plain) expect(shown).toContain(`${name}=${value}`);
        expect(shown.split('&')).toHaveLength(url.split('&').length);
      }),
    );
  });

  it('R37: a URL inside a message is redacted as well, the text around it untouched; redacting twice changes nothing', () => {
    fc.assert(
      fc.property(signedUrl, fc.stringMatching(/^[a-zA-Z ,:]{0,20}$/), ({ url, secrets }, words) => {
        const message = `server answered HTTP 403 for ${url}; ${words}`;
        const shown = redactSignatures(message);
        expect(shown.startsWith('server answered HTTP 403 for https://')).toBe(true);
        expect(shown.endsWith(`; ${words}`)).toBe(true);
        for (const [, value] of secrets) expect(shown).not.toContain(`=${value}`);
        expect(redactSignatures(shown)).toBe(shown);
      }),
    );
  });

  it('R37: text with no secret parameter is returned as it was', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        fc.pre(!/[?&;](x-amz|signature|sig=|x-oss|x-goog|security-token|awsaccess|ossaccess)/i.test(url));
        expect(redactSignatures(url)).toBe(url);
      }),
    );
    expect(redactSignatures('https://h/sig/Signature?a=1')).toBe('https://h/sig/Signature?a=1');
    expect(redactSignatures('https://h/f?Expires=1700000000&X-Amz-Date=20260101T000000Z')).toBe(
      'https://h/f?Expires=1700000000&X-Amz-Date=20260101T000000Z',
    );
  });

  it('R37: the signatures, credentials and tokens of S3, OSS, GCS, Azure and CloudFront are redacted, their expiry kept', () => {
    expect(
      redactSignatures(
        'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=tok&X-Amz-SignedHeaders=host&X-Amz-Signature=abc123',
      ),
    ).toBe(
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED',
    );
    expect(
      redactSignatures(
        'https://b.oss-cn-hangzhou.aliyuncs.com/k?Expires=1700000000&OSSAccessKeyId=LTAI&Signature=a%2Bb%3D&security-token=t',
      ),
    ).toBe(
      'https://b.oss-cn-hangzhou.aliyuncs.com/k?Expires=1700000000&OSSAccessKeyId=REDACTED&Signature=REDACTED&security-token=REDACTED',
    );
    expect(
      redactSignatures('https://a.blob.core.windows.net/c/f?sv=2022-11-02&se=2026-01-01&sp=r&sig=xyz'),
    ).toBe('https://a.blob.core.windows.net/c/f?sv=2022-11-02&se=2026-01-01&sp=r&sig=REDACTED');
    expect(
      redactSignatures('https://storage.googleapis.com/b/k?X-Goog-Credential=c&X-Goog-Signature=s'),
    ).toBe('https://storage.googleapis.com/b/k?X-Goog-Credential=REDACTED&X-Goog-Signature=REDACTED');
  });
});

describe('isPresigned (properties)', () => {
  it('R18: a URL is presigned exactly when its query carries a signature parameter, redacted or not', () => {
    fc.assert(
      fc.property(signedUrl, ({ url, secrets }) => {
        const signed = secrets.some(([name]) =>
          ['x-amz-signature', 'signature', 'x-oss-signature', 'x-goog-signature', 'sig'].includes(
            decodeURIComponent(name).toLowerCase(),
          ),
        );
        expect(isPresigned(url)).toBe(signed);
        expect(isPresigned(redactSignatures(url))).toBe(signed);
      }),
    );
    expect(isPresigned('https://h/sig/Signature')).toBe(false);
    expect(isPresigned('https://h/f#X-Amz-Signature=1')).toBe(false);
    expect(isPresigned('not a url?Signature=1')).toBe(false);
  });
});
