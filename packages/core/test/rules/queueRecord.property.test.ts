import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_URL_CHARS } from '../../src/model/url.js';
import {
  decodeRecord,
  encodeRecord,
  encodeRecordText,
  hasSecrets,
  MAX_QUEUE_ID,
  MAX_RECORD_CHARS,
  numericId,
  type QueueRecord,
  savedOptions,
} from '../../src/rules/queueRecord.js';
import { MAX_HEADERS_CHARS } from '../../src/rules/resolveOptions.js';

const record: fc.Arbitrary<QueueRecord> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 12 }),
  order: fc.double({ noNaN: true, noDefaultInfinity: true }),
  state: fc.constantFrom('queued', 'paused', 'done', 'failed', 'cancelled') as fc.Arbitrary<
    QueueRecord['state']
  >,
  options: fc.record(
    {
      url: fc.webUrl(),
      target: fc.string({ minLength: 1 }),
      connections: fc.integer({ min: 1, max: 64 }),
    },
    { requiredKeys: ['url', 'target'] },
  ),
  failure: fc.option(fc.record({ code: fc.string(), message: fc.string() }), { nil: null }),
});

const clean = (r: QueueRecord): QueueRecord => JSON.parse(JSON.stringify(r));

describe('queueRecord', () => {
  it('R45: a record decodes back to itself', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(decodeRecord(r.id, encodeRecord(r))).toEqual(clean(r));
      }),
    );
  });

  it('R45: a record written from its options as text (a cold row) decodes as the same record', () => {
    fc.assert(
      fc.property(record, fc.option(fc.nat(), { nil: undefined }), (r, bytes) => {
        const { options, ...rest } = r;
        const whole = bytes === undefined ? r : { ...r, bytes };
        const text = encodeRecordText(
          bytes === undefined ? rest : { ...rest, bytes },
          JSON.stringify(options),
        );
        expect(JSON.parse(text)).toEqual(JSON.parse(encodeRecord(whole)));
        expect(decodeRecord(r.id, text)).toEqual(clean(whole));
      }),
    );
  });

  it('R22, R33: numericId: the number of a canonical numeric id up to MAX_QUEUE_ID only, so that no two ids share a number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat().map(String), fc.string({ maxLength: 8 })), (id) => {
        const n = numericId(id);
        if (n !== null) expect(String(n)).toBe(id);
        else expect(/^(0|[1-9]\d*)$/.test(id) && Number(id) <= MAX_QUEUE_ID).toBe(false);
      }),
    );
    // R22, R33: an id past MAX_QUEUE_ID (2^53 - 1 read from a tampered journal) is not a number the queue counts on.
    for (const id of [
      '007',
      '1e3',
      '-1',
      '1.0',
      ' 1',
      '',
      '9007199254740993',
      '9007199254740991',
      '4503599627370497',
    ])
      expect(numericId(id)).toBeNull();
    expect(numericId('0')).toBe(0);
    expect(numericId('123')).toBe(123);
    expect(numericId(String(MAX_QUEUE_ID))).toBe(MAX_QUEUE_ID);
  });

  it('R22: any text that is not a whole record of this id is null, never a throw', () => {
    fc.assert(
      fc.property(record, fc.string(), fc.nat(), (r, junk, cut) => {
        const text = encodeRecord(r);
        expect(decodeRecord(r.id, text.slice(0, cut % text.length))).toBeNull();
        expect(decodeRecord(`${r.id}x`, text)).toBeNull();
        expect(() => decodeRecord(r.id, junk)).not.toThrow();
      }),
    );
  });

  it('R22: fields of the wrong type, an unknown version or state, a huge text are null', () => {
    const base = {
      version: 1,
      id: 'a',
      order: 1,
      state: 'queued',
      options: { url: 'https://x/', target: 't' },
      failure: null,
    };
    const bad = [
      { ...base, version: 2 },
      { ...base, order: '1' },
      { ...base, order: null },
      { ...base, state: 'running' },
      { ...base, state: 'hacked' },
      { ...base, options: { url: 1, target: 't' } },
      { ...base, options: { url: 'https://x/', target: 't', headers: { a: 1 } } },
      { ...base, failure: 'x' },
      { ...base, bytes: -1 },
      { ...base, bytes: 1.5 },
      [base],
    ];
    for (const value of bad) expect(decodeRecord('a', JSON.stringify(value))).toBeNull();
    expect(decodeRecord('a', JSON.stringify(base))).not.toBeNull();
    expect(decodeRecord('a', JSON.stringify({ ...base, pad: 'x'.repeat(MAX_RECORD_CHARS) }))).toBeNull();
  });

  it('R45: the record of any options a download takes reads back: the longest URLs and headers fit under MAX_RECORD_CHARS', () => {
    // Escaped as JSON at their worst: every character of the URLs and headers six times as long (`\\u0001`).
    const worst = (n: number) => '\u0001'.repeat(n);
    const options = {
      url: worst(MAX_URL_CHARS),
      headUrl: worst(MAX_URL_CHARS),
      target: worst(4096),
      headers: { 'user-agent': worst(MAX_HEADERS_CHARS) },
    };
    const text = encodeRecord({ id: 'a', order: 0, state: 'queued', options, failure: null } as QueueRecord);
    expect(text.length).toBeLessThanOrEqual(MAX_RECORD_CHARS);
    expect(decodeRecord('a', text)).not.toBeNull();
  });

  it('R37: what is stored has no password, no header that may be secret, no hook', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 8 }).filter((s) => /^[a-z0-9]+$/.test(s)),
        fc.dictionary(
          fc.constantFrom('Authorization', 'cookie', 'X-Api-Key', 'Proxy-Authorization'),
          fc.string(),
        ),
        (password, secrets) => {
          const options = {
            url: `https://me:${password}@files.example/f`,
            headUrl: `https://me:${password}@files.example/h`,
            target: 'f',
            headers: { ...secrets, 'User-Agent': 'ua', Accept: '*/*' },
            refreshUrl: async () => ({ url: 'https://files.example/f' }),
          };
          const saved = savedOptions(options);
          expect(saved.url).toBe('https://files.example/f');
          expect(saved.headUrl).toBe('https://files.example/h');
          expect(saved.headers).toEqual({ 'User-Agent': 'ua', Accept: '*/*' });
          expect('refreshUrl' in saved).toBe(false);
          expect(hasSecrets(options)).toBe(true);
          expect(
            hasSecrets({ url: 'https://files.example/f', target: 'f', headers: { 'User-Agent': 'ua' } }),
          ).toBe(false);
        },
      ),
    );
  });

  it('R37: what is stored has no signature of a presigned URL; the time it expires stays', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('X-Amz-Signature', 'Signature', 'x-oss-signature', 'X-Goog-Signature', 'sig'),
        fc.string({ minLength: 8, maxLength: 40 }).filter((s) => /^[A-Za-z0-9]+$/.test(s)),
        (name, secret) => {
          const url = `https://bucket.example/k?X-Amz-Expires=900&X-Amz-Credential=AKIA${secret}&${name}=${secret}`;
          const saved = savedOptions({ url, headUrl: url, target: 'k' });
          for (const stored of [saved.url, saved.headUrl]) {
            expect(stored).not.toContain(secret);
            expect(stored).toContain('X-Amz-Expires=900');
            expect(stored).toContain(`${name}=REDACTED`);
          }
          expect(hasSecrets({ url, target: 'k' })).toBe(true);
        },
      ),
    );
  });
});
