import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { type DownloadOptions, defaultRetry } from '../../src/model/options.js';
import { MAX_URL_CHARS } from '../../src/model/url.js';
import { MAX_HEADERS_CHARS, resolveOptions } from '../../src/rules/resolveOptions.js';

const base: DownloadOptions = { url: 'https://example.com/f.bin', target: 'out/f.bin' };
const field = (input: unknown): string | null => {
  const r = resolveOptions(input as DownloadOptions);
  return E.isLeft(r) && r.left._tag === 'InvalidInput' ? r.left.field : null;
};

describe('resolveOptions', () => {
  it('R30: fills every default', () => {
    expect(resolveOptions(base)).toEqual(
      E.right({
        url: 'https://example.com/f.bin',
        headUrl: 'https://example.com/f.bin',
        target: 'out/f.bin',
        onChange: 'restart',
        retry: defaultRetry,
        stallTimeoutMs: 30_000,
        refreshTimeoutMs: 30_000,
        lowSpeedLimit: 0,
        lowSpeedTimeMs: 30_000,
        maxBytesPerSecond: null,
        maxFileBytes: null,
        expectedSha256: null,
        expectedMd5: null,
        computeSha256: false,
        headers: {},
        conditionalRequests: true,
        checkpointIntervalMs: 1000,
        writeBufferBytes: 1_048_576,
        segments: { fixed: null, max: 16, minSplitBytes: 1_048_576 },
        allowHttpsDowngrade: false,
      }),
    );
  });

  it('R43: connections fixes the count and lifts the cap to it; maxConnections caps the adaptive count', () => {
    expect(resolveOptions({ ...base, connections: 32 })).toMatchObject(
      E.right({ segments: { fixed: 32, max: 32, minSplitBytes: 1_048_576 } }),
    );
    expect(resolveOptions({ ...base, maxConnections: 4, minSegmentBytes: 4096 })).toMatchObject(
      E.right({ segments: { fixed: null, max: 4, minSplitBytes: 4096 } }),
    );
    expect(resolveOptions({ ...base, connections: 1 })).toMatchObject(E.right({ segments: { fixed: 1 } }));
  });

  it('R18: refreshTimeoutMs is stallTimeoutMs when not given, its own bound when given', () => {
    expect(resolveOptions({ ...base, stallTimeoutMs: 2_000 })).toMatchObject(
      E.right({ stallTimeoutMs: 2_000, refreshTimeoutMs: 2_000 }),
    );
    expect(resolveOptions({ ...base, stallTimeoutMs: 2_000, refreshTimeoutMs: 35_000 })).toMatchObject(
      E.right({ stallTimeoutMs: 2_000, refreshTimeoutMs: 35_000 }),
    );
  });

  it('R30: keeps what the caller gave', () => {
    const r = resolveOptions({
      ...base,
      headUrl: 'http://example.com/head',
      onChange: 'fail',
      retry: { retries: 0, minDelayMs: 10, maxDelayMs: 10, factor: 1, maxRestarts: 2 },
      stallTimeoutMs: 5,
      lowSpeedLimit: 1024,
      lowSpeedTimeMs: 10_000,
      maxBytesPerSecond: 4096,
      expectedSha256: 'AB'.repeat(32),
      expectedMd5: 'cd'.repeat(16),
      computeSha256: true,
      headers: { Authorization: 'Bearer x' },
      conditionalRequests: false,
      checkpointIntervalMs: 0,
      writeBufferBytes: 1,
    });
    expect(r).toMatchObject(
      E.right({
        headUrl: 'http://example.com/head',
        onChange: 'fail',
        retry: { retries: 0, minDelayMs: 10, maxDelayMs: 10, factor: 1, maxRestarts: 2 },
        lowSpeedLimit: 1024,
        lowSpeedTimeMs: 10_000,
        maxBytesPerSecond: 4096,
        expectedSha256: 'ab'.repeat(32),
        expectedMd5: 'cd'.repeat(16),
        headers: { Authorization: 'Bearer x' },
        conditionalRequests: false,
      }),
    );
  });

  it('R30: a minDelayMs above the default cap raises the default cap to it', () => {
    expect(resolveOptions({ ...base, retry: { minDelayMs: 60_000 } })).toMatchObject(
      E.right({ retry: { minDelayMs: 60_000, maxDelayMs: 60_000 } }),
    );
  });

  it.each([
    ['not a url', 'url'],
    ['', 'url'],
    ['ftp://example.com/f', 'url'],
    ['file:///etc/passwd', 'url'],
    [42, 'url'],
  ])('R30: url %j is refused', (url, expected) => {
    expect(field({ ...base, url })).toBe(expected);
  });

  it('R30: headers named as Object.prototype fields (constructor, toString) are taken as any other; __proto__ is refused by name', () => {
    const r = resolveOptions({ ...base, headers: { constructor: 'c', toString: 't', hasOwnProperty: 'h' } });
    expect(E.isRight(r) && r.right.headers).toEqual({ constructor: 'c', toString: 't', hasOwnProperty: 'h' });
    const proto = resolveOptions({
      ...base,
      headers: JSON.parse('{"__proto__": "x"}') as Record<string, string>,
    });
    expect(E.isLeft(proto) && proto.left).toEqual({
      _tag: 'InvalidInput',
      field: 'headers',
      message: 'a header named __proto__ cannot be sent',
    });
  });

  it('R30: a bad headUrl, target or onChange is refused', () => {
    expect(field({ ...base, headUrl: 'mailto:x@y' })).toBe('headUrl');
    expect(field({ ...base, target: '' })).toBe('target');
    expect(field({ ...base, target: undefined })).toBe('target');
    expect(field({ ...base, onChange: 'ignore' })).toBe('onChange');
  });

  it('R30, R23: a target holding an unpaired surrogate is refused, as file systems store it as U+FFFD, the name of another target', () => {
    for (const target of [
      'out/s\uD800x.bin',
      'out/s\uDBFFx.bin',
      'out/\uDC00',
      '\uD800/f.bin',
      'out/f.bin\uD83D',
    ]) {
      const r = resolveOptions({ ...base, target });
      expect(r).toMatchObject(E.left({ _tag: 'InvalidInput', field: 'target' }));
      // The message is one line of plain text: the surrogate is named, never printed raw.
      if (E.isLeft(r) && r.left._tag === 'InvalidInput') expect(r.left.message).not.toMatch(/\p{Surrogate}/u);
    }
    expect(field({ ...base, target: 'out/s\uD83D\uDE00x.bin' })).toBeNull();
    expect(field({ ...base, target: 'out/s\uFFFDx.bin' })).toBeNull();
  });

  it('R30: a URL longer than MAX_URL_CHARS, or headers over MAX_HEADERS_CHARS, are refused; at the bound they are taken', () => {
    const long = (n: number) => `https://example.com/${'a'.repeat(n - 'https://example.com/'.length)}`;
    expect(field({ ...base, url: long(MAX_URL_CHARS) })).toBeNull();
    expect(field({ ...base, url: long(MAX_URL_CHARS + 1) })).toBe('url');
    expect(field({ ...base, headUrl: long(MAX_URL_CHARS + 1) })).toBe('headUrl');
    const header = (n: number) => ({ 'x-big': 'v'.repeat(n - 'x-big'.length) });
    expect(field({ ...base, headers: header(MAX_HEADERS_CHARS) })).toBeNull();
    expect(field({ ...base, headers: header(MAX_HEADERS_CHARS + 1) })).toBe('headers');
  });

  it.each([
    [{ retry: { retries: -1 } }, 'retry.retries'],
    [{ retry: { retries: 1.5 } }, 'retry.retries'],
    [{ retry: { retries: '3' } }, 'retry.retries'],
    [{ retry: { minDelayMs: Number.NaN } }, 'retry.minDelayMs'],
    [{ retry: { minDelayMs: 100, maxDelayMs: 50 } }, 'retry.maxDelayMs'],
    [{ retry: { factor: 0.5 } }, 'retry.factor'],
    [{ retry: { factor: Number.POSITIVE_INFINITY } }, 'retry.factor'],
    [{ retry: 'fast' }, 'retry'],
    [{ retry: { maxRestarts: -1 } }, 'retry.maxRestarts'],
    [{ stallTimeoutMs: 0 }, 'stallTimeoutMs'],
    [{ refreshTimeoutMs: 0 }, 'refreshTimeoutMs'],
    [{ refreshTimeoutMs: '30s' }, 'refreshTimeoutMs'],
    [{ lowSpeedLimit: -1 }, 'lowSpeedLimit'],
    [{ lowSpeedLimit: '1k' }, 'lowSpeedLimit'],
    [{ lowSpeedTimeMs: 0 }, 'lowSpeedTimeMs'],
    [{ maxBytesPerSecond: 0 }, 'maxBytesPerSecond'],
    [{ maxBytesPerSecond: '10M' }, 'maxBytesPerSecond'],
    [{ maxBytesPerSecond: 100, lowSpeedLimit: 200 }, 'maxBytesPerSecond'],
    [{ stallTimeoutMs: '30s' }, 'stallTimeoutMs'],
    [{ checkpointIntervalMs: -1 }, 'checkpointIntervalMs'],
    [{ writeBufferBytes: 0 }, 'writeBufferBytes'],
    [{ writeBufferBytes: 10.5 }, 'writeBufferBytes'],
    [{ expectedSha256: 'abc' }, 'expectedSha256'],
    [{ expectedSha256: 'g'.repeat(64) }, 'expectedSha256'],
    [{ expectedMd5: 'a'.repeat(31) }, 'expectedMd5'],
    [{ computeSha256: 'yes' }, 'computeSha256'],
    [{ conditionalRequests: 1 }, 'conditionalRequests'],
    [{ headers: 'x' }, 'headers'],
    [{ headers: ['a'] }, 'headers'],
    [{ headers: { 'bad name': 'x' } }, 'headers'],
    [{ headers: { ok: 'a\r\nInjected: 1' } }, 'headers'],
    [{ headers: { ok: 5 } }, 'headers'],
    // A class instance holds its entries where a record's reading does not see them (R30: not sent without a word).
    [{ headers: new Map([['x-app', 'rdl']]) }, 'headers'],
    [{ headers: new (class Headers {})() }, 'headers'],
    [{ connections: 0 }, 'connections'],
    [{ connections: 2.5 }, 'connections'],
    [{ connections: '4' }, 'connections'],
    [{ connections: 65 }, 'connections'],
    [{ maxConnections: 0 }, 'maxConnections'],
    [{ maxConnections: 1000 }, 'maxConnections'],
    [{ connections: 8, maxConnections: 4 }, 'maxConnections'],
    [{ minSegmentBytes: 0 }, 'minSegmentBytes'],
    [{ minSegmentBytes: Number.POSITIVE_INFINITY }, 'minSegmentBytes'],
    // R30: past what a timer holds (2^31 - 1 ms) a timer fires at once: the opposite of what was asked.
    [{ stallTimeoutMs: 2 ** 31 }, 'stallTimeoutMs'],
    [{ refreshTimeoutMs: 2 ** 31 }, 'refreshTimeoutMs'],
    [{ lowSpeedTimeMs: 2 ** 31 }, 'lowSpeedTimeMs'],
    [{ checkpointIntervalMs: 2 ** 31 }, 'checkpointIntervalMs'],
    [{ retry: { minDelayMs: 2 ** 31 } }, 'retry.minDelayMs'],
    [{ retry: { maxDelayMs: 2 ** 31 } }, 'retry.maxDelayMs'],
  ])('R30: negative, non-numeric or too long options are refused: %j', (patch, expected) => {
    expect(field({ ...base, ...patch })).toBe(expected);
  });

  it('R30: options that are not an object are refused', () => {
    expect(field(null)).toBe('options');
    expect(field('https://example.com')).toBe('options');
  });

  it('R37: a password in the URL becomes Basic beside the caller’s headers; the URL kept is without it', () => {
    const r = resolveOptions({
      ...base,
      url: 'https://al%20ice:p%40ss%C3%A9@example.com/f.bin?x=1',
      headers: { 'x-app': 'rdl' },
    });
    // base64("al ice:p@ssé") with é in UTF-8, as curl sends it.
    const basic = 'Basic YWwgaWNlOnBAc3PDqQ==';
    expect(r).toMatchObject(
      E.right({
        url: 'https://example.com/f.bin?x=1',
        headUrl: 'https://example.com/f.bin?x=1',
        headers: { 'x-app': 'rdl', authorization: basic },
      }),
    );
    expect(JSON.stringify(r)).not.toContain('p%40ss');
    expect(resolveOptions({ ...base, url: 'https://bob@example.com/f' })).toMatchObject(
      E.right({ url: 'https://example.com/f', headers: { authorization: 'Basic Ym9iOg==' } }),
    );
  });

  it('R37: the caller’s own Authorization wins over a password in the URL, which is dropped all the same', () => {
    const r = resolveOptions({
      ...base,
      url: 'https://u:secret@example.com/f',
      headers: { Authorization: 'Bearer t' },
    });
    expect(r).toMatchObject(
      E.right({ url: 'https://example.com/f', headers: { Authorization: 'Bearer t' } }),
    );
    expect(JSON.stringify(r)).not.toContain('secret');
  });

  it('R37: credentials go to one origin: a headUrl elsewhere, or with other credentials, is refused without quoting them', () => {
    const refused = (input: DownloadOptions) => {
      const r = resolveOptions(input);
      expect(JSON.stringify(r)).not.toContain('secret');
      return E.isLeft(r) && r.left._tag === 'InvalidInput' ? r.left.field : null;
    };
    expect(refused({ ...base, url: 'https://u:secret@a.example/f', headUrl: 'https://b.example/f' })).toBe(
      'headUrl',
    );
    expect(
      refused({ ...base, url: 'https://u:secret@a.example/f', headUrl: 'https://v:secret2@a.example/h' }),
    ).toBe('headUrl');
    expect(refused({ ...base, url: 'https://u:secret%zz@a.example/f' })).toBe('url');
    expect(refused({ ...base, url: 'https://u:secret@[::1/f' })).toBe('url');
    expect(
      resolveOptions({ ...base, url: 'https://a.example/f', headUrl: 'https://u:pw@a.example/h' }),
    ).toMatchObject(
      E.right({ headUrl: 'https://a.example/h', headers: { authorization: 'Basic dTpwdw==' } }),
    );
  });

  it('R37: allowHttpsDowngrade is a boolean, false by default', () => {
    expect(resolveOptions({ ...base, allowHttpsDowngrade: true })).toMatchObject(
      E.right({ allowHttpsDowngrade: true }),
    );
    expect(field({ ...base, allowHttpsDowngrade: 'yes' })).toBe('allowHttpsDowngrade');
  });
});
