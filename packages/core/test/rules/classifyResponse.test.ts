import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/model/checkpoint.js';
import type { Decision, RangeRequest, ResponseHead } from '../../src/model/decision.js';
import { type ClassifyPolicy, classifyResponse } from '../../src/rules/classifyResponse.js';
import { FILE_URL, LATER, OLD, stored } from '../support/fixtures.js';

const NOW = Date.UTC(2024, 0, 1);

const resume: RangeRequest = { offset: 400, lastByte: null, ranged: true, condition: 'if-range' };
const segment: RangeRequest = { offset: 400, lastByte: 499, ranged: true, condition: 'if-match' };
const cors: RangeRequest = { offset: 400, lastByte: null, ranged: true, condition: 'none' };
const plain: RangeRequest = { offset: 0, lastByte: null, ranged: false, condition: 'none' };
const restartPolicy: ClassifyPolicy = { onChange: 'restart', nowMs: NOW, refreshable: false };
const failPolicy: ClassifyPolicy = { ...restartPolicy, onChange: 'fail' };

const answer = (status: number, headers: Record<string, string> = {}): ResponseHead => ({ status, headers });
const partial = (headers: Record<string, string> = {}): ResponseHead =>
  answer(206, { 'content-range': 'bytes 400-999/1000', 'content-length': '600', etag: '"v1"', ...headers });
const full = (headers: Record<string, string> = {}): ResponseHead =>
  answer(200, { 'content-length': '1000', etag: '"v1"', ...headers });
const classify = (
  response: ResponseHead,
  request: RangeRequest = resume,
  policy: ClassifyPolicy = restartPolicy,
  checkpoint: Checkpoint = stored,
): Decision => classifyResponse(request, response, checkpoint, policy);
const badResponse = { _tag: 'Fail', failure: { _tag: 'BadResponse', reason: expect.any(String) } };
const changedRestart = { _tag: 'Restart', reason: 'RESOURCE_CHANGED' };

describe('classifyResponse: a right 206', () => {
  it('R10: a 206 bytes a-b/total appends at a and may write up to b + 1', () => {
    expect(classify(partial())).toEqual({
      _tag: 'Append',
      start: 400,
      end: 1000,
      totalLength: 1000,
      validators: { etag: '"v1"', lastModified: null, date: null },
    });
  });

  it('R10: a segment answer may never write past the last byte asked for', () => {
    expect(
      classify(partial({ 'content-range': 'bytes 400-499/1000', 'content-length': '100' }), segment),
    ).toMatchObject({
      _tag: 'Append',
      start: 400,
      end: 500,
    });
    expect(classify(partial(), segment)).toMatchObject({ _tag: 'Append', start: 400, end: 500 });
  });

  it('R8: a 206 with bytes a-b/* keeps the checkpoint total', () => {
    expect(classify(partial({ 'content-range': 'bytes 400-999/*' }))).toMatchObject({
      _tag: 'Append',
      totalLength: 1000,
      end: 1000,
    });
  });

  it('R6: a 206 with no ETag at all is trusted when If-Range was sent (the server checked it)', () => {
    expect(classify(partial({ etag: '' }))).toMatchObject({ _tag: 'Append', start: 400 });
    const noEtag = answer(206, { 'content-range': 'bytes 400-999/1000' });
    expect(classify(noEtag)).toMatchObject({ _tag: 'Append', validators: stored.validators });
  });
});

describe('classifyResponse: a wrong 206 is rejected, nothing written', () => {
  it('R8: a 206 without Content-Range is rejected', () => {
    expect(classify(answer(206, { etag: '"v1"' }))).toEqual(badResponse);
  });

  it('R8, R4: a 206 whose Content-Range the platform hides (CORS) places nothing: the bytes held are thrown away for a plain GET, with onChange fail too', () => {
    const hidden: ResponseHead = {
      ...answer(206, { etag: '"v1"', 'content-length': '600' }),
      headersFiltered: true,
    };
    expect(classify(hidden, cors)).toEqual({ _tag: 'Restart', reason: 'RANGE_HIDDEN' });
    expect(classify(hidden, segment, failPolicy)).toEqual({ _tag: 'Restart', reason: 'RANGE_HIDDEN' });
    // One that is shown, but wrong, is the server's fault: rejected as ever.
    expect(
      classify({ ...partial({ 'content-range': 'bytes 400-999' }), headersFiltered: true }, cors),
    ).toEqual(badResponse);
  });

  it.each([
    ['bytes 400-999'],
    ['bytes 400-1000/1000'],
    ['bytes 999-400/1000'],
    ['bytes=400-999/1000'],
    ['bytes 400-999/1000, bytes 400-999/1000'],
    ['bytes */1000'],
  ])('R8: a 206 with Content-Range %j is rejected', (value) => {
    expect(classify(partial({ 'content-range': value }))).toEqual(badResponse);
  });

  it('R8: multipart/byteranges for a single range is rejected', () => {
    expect(classify(partial({ 'content-type': 'multipart/byteranges; boundary=X' }))).toEqual(badResponse);
    expect(classify(partial({ 'content-type': 'Multipart/ByteRanges' }))).toEqual(badResponse);
  });

  it('R9: a 206 starting at another byte than asked for is rejected, never blind-appended', () => {
    expect(classify(partial({ 'content-range': 'bytes 0-999/1000', 'content-length': '1000' }))).toEqual(
      badResponse,
    );
    expect(classify(partial({ 'content-range': 'bytes 401-999/1000', 'content-length': '599' }))).toEqual(
      badResponse,
    );
  });

  it('R9: a 206 whose total differs from the checkpoint total means the resource changed', () => {
    expect(classify(partial({ 'content-range': 'bytes 400-1099/1100', 'content-length': '700' }))).toEqual(
      changedRestart,
    );
    expect(classify(partial({ 'content-range': 'bytes 400-1099/*', 'content-length': '700' }))).toEqual(
      changedRestart,
    );
    expect(classify(partial({ 'content-range': 'bytes 400-1099/1100' }), resume, failPolicy)).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'ResourceChanged',
        reason: 'the total length changed',
        expected: '1000',
        actual: '1100',
      },
    });
  });

  it('R10: a 206 whose Content-Length disagrees with its Content-Range is rejected before a byte is written', () => {
    expect(classify(partial({ 'content-length': '601' }))).toEqual(badResponse);
    expect(classify(partial({ 'content-length': '599' }))).toEqual(badResponse);
  });

  it('R8: a 206 to a request without Range is rejected', () => {
    expect(classify(partial(), plain)).toEqual(badResponse);
  });
});

describe('classifyResponse: validators', () => {
  it('R13: a 206 with another strong ETag means the resource changed, even if the server ignored If-Range', () => {
    expect(classify(partial({ etag: '"v2"' }))).toEqual(changedRestart);
    expect(classify(partial({ etag: '"v2"' }), segment)).toEqual(changedRestart);
  });

  it('R13: a 200 with another strong ETag means the resource changed', () => {
    expect(classify(full({ etag: '"v2"' }))).toEqual(changedRestart);
  });

  it('R11: with onChange fail, a change is a typed ResourceChanged naming both versions', () => {
    expect(classify(partial({ etag: '"v2"' }), resume, failPolicy)).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'ResourceChanged',
        reason: 'the ETag or Last-Modified changed',
        expected: '"v1"',
        actual: '"v2"',
      },
    });
  });

  it('R2: a weak ETag on the answer with the same opaque tag proves nothing; with another tag, a change', () => {
    expect(classify(partial({ etag: 'W/"v1"' }))).toMatchObject({ _tag: 'Append' });
    expect(classify(partial({ etag: 'W/"v2"' }))).toEqual(changedRestart);
    expect(classify(partial({ etag: 'W/"v1"' }), cors)).toEqual({
      _tag: 'Restart',
      reason: 'NO_STRONG_VALIDATOR',
    });
  });

  it('R6: without conditional headers (CORS) the 206 validators are compared before writing', () => {
    expect(classify(partial(), cors)).toMatchObject({ _tag: 'Append', start: 400 });
    expect(classify(partial({ etag: '"v2"' }), cors)).toEqual(changedRestart);
    expect(classify(answer(206, { 'content-range': 'bytes 400-999/1000' }), cors)).toEqual({
      _tag: 'Restart',
      reason: 'NO_STRONG_VALIDATOR',
    });
  });

  it('R6: in CORS mode a strong Last-Modified (a safelisted header) proves the version', () => {
    const byDate: Checkpoint = { ...stored, validators: { etag: null, lastModified: OLD, date: LATER } };
    const head = answer(206, { 'content-range': 'bytes 400-999/1000', 'last-modified': OLD });
    expect(classify(head, cors, restartPolicy, byDate)).toMatchObject({ _tag: 'Append', start: 400 });
    const newer = answer(206, { 'content-range': 'bytes 400-999/1000', 'last-modified': LATER });
    expect(classify(newer, cors, restartPolicy, byDate)).toEqual(changedRestart);
  });

  it('R4: a ranged answer with no strong validator saved is never appended to unverified bytes', () => {
    const weak: Checkpoint = { ...stored, validators: { etag: 'W/"v1"', lastModified: null, date: null } };
    expect(classify(partial({ etag: 'W/"v1"' }), cors, restartPolicy, weak)).toEqual({
      _tag: 'Restart',
      reason: 'NO_STRONG_VALIDATOR',
    });
  });
});

describe('classifyResponse: a 200', () => {
  it('R7: a 200 to a ranged GET restarts from 0, never appends', () => {
    expect(classify(full())).toEqual({ _tag: 'Restart', reason: 'RANGE_IGNORED' });
    expect(classify(full(), segment)).toEqual({ _tag: 'Restart', reason: 'RANGE_IGNORED' });
    expect(classify(full(), cors)).toEqual({ _tag: 'Restart', reason: 'RANGE_IGNORED' });
    expect(classify(full({ etag: '' }))).toEqual({ _tag: 'Restart', reason: 'RANGE_IGNORED' });
  });

  it('R7: a 200 to a ranged GET with other validators or another length is a change', () => {
    expect(classify(full({ etag: '"v2"' }))).toEqual(changedRestart);
    expect(classify(full({ 'content-length': '1200' }))).toEqual(changedRestart);
    expect(classify(full({ etag: '"v2"' }), resume, failPolicy)).toMatchObject({
      _tag: 'Fail',
      failure: { _tag: 'ResourceChanged' },
    });
  });

  it('R7: a 200 to a plain GET at offset 0 appends from 0', () => {
    const fresh: Checkpoint = { ...stored, ranges: [] };
    expect(classify(full(), plain, restartPolicy, fresh)).toEqual({
      _tag: 'Append',
      start: 0,
      end: 1000,
      totalLength: 1000,
      validators: { etag: '"v1"', lastModified: null, date: null },
    });
  });

  it('R15: a 200 without Content-Length is one stream of unknown total', () => {
    const fresh: Checkpoint = { ...stored, totalLength: null, ranges: [] };
    expect(classify(answer(200, { 'transfer-encoding': 'chunked' }), plain, restartPolicy, fresh)).toEqual({
      _tag: 'Append',
      start: 0,
      end: null,
      totalLength: null,
      validators: fresh.validators,
    });
  });

  it('R13: a plain GET from 0 of a new version, with no saved bytes, appends the new version with its validators', () => {
    const fresh: Checkpoint = { ...stored, ranges: [] };
    expect(classify(full({ etag: '"v2"', 'content-length': '5' }), plain, failPolicy, fresh)).toEqual({
      _tag: 'Append',
      start: 0,
      end: 5,
      totalLength: 5,
      validators: { etag: '"v2"', lastModified: null, date: null },
    });
  });

  it('R13: a plain GET from 0 of a new version while other segments are saved is a change', () => {
    const segments: Checkpoint = { ...stored, ranges: [[500, 600]] };
    expect(classify(full({ etag: '"v2"' }), plain, restartPolicy, segments)).toEqual(changedRestart);
    expect(classify(full({ 'content-length': '999' }), plain, restartPolicy, segments)).toEqual(
      changedRestart,
    );
    expect(classify(full(), plain, restartPolicy, segments)).toMatchObject({ _tag: 'Append', start: 0 });
    expect(classify(full({ 'content-encoding': 'gzip' }), plain, restartPolicy, segments)).toEqual({
      _tag: 'Restart',
      reason: 'CONTENT_ENCODED',
    });
  });
});

describe('classifyResponse: the probe gives the length (R35, R36)', () => {
  const fresh: Checkpoint = { ...stored, ranges: [] };
  const plainGet = (response: ResponseHead, checkpoint: Checkpoint = fresh) =>
    classify(response, plain, restartPolicy, checkpoint);
  const bound = {
    _tag: 'Append',
    start: 0,
    end: 1000,
    totalLength: 1000,
    validators: { etag: '"v1"', lastModified: null, date: null },
  };

  it('R35: a plain GET without a length of its own (HTTP/1.0 until close, chunked) may write up to the probe total, no further', () => {
    expect(plainGet(answer(200, { etag: '"v1"' }))).toEqual(bound);
    expect(plainGet(answer(200, { etag: '"v1"', 'transfer-encoding': 'chunked' }))).toEqual(bound);
    // No validators on the answer: the bytes are the probe's version, bound by its total all the same.
    expect(plainGet(answer(200))).toEqual(bound);
  });

  it('R35: a plain GET that declares another length than the probe, for the same version, is a final BadResponse', () => {
    expect(plainGet(full({ 'content-length': '500' }))).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'BadResponse',
        reason: 'the GET declared 500 bytes where the probe declared 1000, for the same version "v1"',
      },
    });
    expect(plainGet(full({ 'content-length': '1001' }))).toEqual(badResponse);
    expect(plainGet(full({ 'content-length': '500', etag: 'W/"v1"' }))).toEqual(badResponse);
    const unnamed: Checkpoint = { ...fresh, validators: { etag: null, lastModified: null, date: null } };
    expect(plainGet(answer(200, { 'content-length': '500' }), unnamed)).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'BadResponse',
        reason:
          'the GET declared 500 bytes where the probe declared 1000, with no validator to tell versions apart',
      },
    });
  });

  it('R13: under a probe total, an answer proving another version is that version from 0, with its own length; without a probe total, its own', () => {
    expect(plainGet(full({ etag: '"v2"', 'content-length': '500' }))).toMatchObject({
      end: 500,
      totalLength: 500,
    });
    const unknownTotal: Checkpoint = { ...fresh, totalLength: null };
    expect(plainGet(full({ 'content-length': '500' }), unknownTotal)).toMatchObject({
      end: 500,
      totalLength: 500,
    });
  });

  it('R36: a Content-Length beside a Transfer-Encoding is ignored (RFC 9112 §6.1), never taken as the end', () => {
    expect(plainGet(full({ 'content-length': '3', 'transfer-encoding': 'chunked' }))).toEqual(bound);
    expect(
      classify(partial({ 'content-length': '3', 'transfer-encoding': 'chunked' }), resume),
    ).toMatchObject({ _tag: 'Append', start: 400, end: 1000 });
  });
});

describe('classifyResponse: Content-Encoding', () => {
  it('R5: an encoded 206 is not resumable: restart, never append', () => {
    expect(classify(partial({ 'content-encoding': 'gzip' }))).toEqual({
      _tag: 'Restart',
      reason: 'CONTENT_ENCODED',
    });
    expect(classify(partial({ 'content-encoding': 'br' }), segment)).toEqual({
      _tag: 'Restart',
      reason: 'CONTENT_ENCODED',
    });
  });

  it('R5: an encoded answer to a range with its representation\'s own ETag (Apache\'s "v1-gzip") is encoded, not another version', () => {
    const encoded = { 'content-encoding': 'gzip', etag: '"v1-gzip"' };
    expect(classify(partial(encoded), resume)).toEqual({ _tag: 'Restart', reason: 'CONTENT_ENCODED' });
    expect(classify(partial(encoded), segment)).toEqual({ _tag: 'Restart', reason: 'CONTENT_ENCODED' });
    expect(classify(full(encoded), resume)).toEqual({ _tag: 'Restart', reason: 'CONTENT_ENCODED' });
  });

  it('R5: an encoded 200 to a plain GET is one stream saved as sent, with no total and no validators to resume by', () => {
    const fresh: Checkpoint = { ...stored, ranges: [] };
    expect(
      classify(full({ 'content-encoding': 'gzip', 'content-length': '300' }), plain, restartPolicy, fresh),
    ).toEqual({
      _tag: 'Append',
      start: 0,
      end: null,
      totalLength: null,
      validators: { etag: null, lastModified: null, date: null },
    });
  });

  it('R5: identity is no encoding', () => {
    expect(classify(partial({ 'content-encoding': 'Identity' }))).toMatchObject({ _tag: 'Append' });
  });
});

describe('classifyResponse: 412 and 416', () => {
  it('R11: a 412 to If-Match means the resource changed: restart, or fail with onChange fail', () => {
    expect(classify(answer(412), segment)).toEqual(changedRestart);
    expect(classify(answer(412, { etag: '"v2"' }), segment, failPolicy)).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'ResourceChanged',
        reason: '412 Precondition Failed',
        expected: '"v1"',
        actual: '"v2"',
      },
    });
  });

  it('R11: a 412 to a request without a condition is a plain HTTP failure, not a restart loop', () => {
    expect(classify(answer(412), plain)).toEqual({
      _tag: 'Fail',
      failure: { _tag: 'HttpStatus', status: 412, url: FILE_URL },
    });
  });

  it('R12: a 416 bytes */L with L the saved total and every byte written is Complete', () => {
    const done: Checkpoint = { ...stored, ranges: [[0, 1000]] };
    const atEnd: RangeRequest = { ...resume, offset: 1000 };
    expect(classify(answer(416, { 'content-range': 'bytes */1000' }), atEnd, restartPolicy, done)).toEqual({
      _tag: 'Complete',
    });
  });

  it('R12: any other 416 means the resource changed', () => {
    expect(classify(answer(416, { 'content-range': 'bytes */1000' }))).toEqual(changedRestart);
    expect(classify(answer(416, { 'content-range': 'bytes */300' }))).toEqual(changedRestart);
    expect(classify(answer(416))).toEqual(changedRestart);
    expect(classify(answer(416, { 'content-range': 'bytes */300' }), resume, failPolicy)).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'ResourceChanged',
        reason: 'the total length changed',
        expected: '1000',
        actual: '300',
      },
    });
    const unknownTotal: Checkpoint = { ...stored, totalLength: null };
    expect(
      classify(answer(416, { 'content-range': 'bytes */400' }), resume, restartPolicy, unknownTotal),
    ).toEqual(changedRestart);
  });

  it('R12: a 416 with the saved total below the offset asked for names the refused range, not the total', () => {
    const refused = answer(416, { 'content-range': 'bytes */1000' });
    expect(classify(refused, resume, failPolicy)).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'ResourceChanged',
        reason: '416 for bytes=400- although 400 < 1000',
        expected: 'bytes 400-999/1000',
        actual: 'bytes */1000',
      },
    });
    expect(classify(refused, segment, failPolicy)).toMatchObject({
      failure: { reason: '416 for bytes=400-499 although 400 < 1000', expected: 'bytes 400-499/1000' },
    });
    const pastEnd: RangeRequest = { ...resume, offset: 1200 };
    expect(classify(refused, pastEnd, failPolicy)).toEqual({
      _tag: 'Fail',
      failure: {
        _tag: 'ResourceChanged',
        reason: '416 for bytes=1200- past the end',
        expected: 'at most 1000',
        actual: '1200',
      },
    });
    expect(classify(refused, resume, restartPolicy)).toEqual(changedRestart);
  });

  it('R12: a 416 to a request without Range is an HTTP failure', () => {
    expect(classify(answer(416, { 'content-range': 'bytes */0' }), plain)).toEqual({
      _tag: 'Fail',
      failure: { _tag: 'HttpStatus', status: 416, url: FILE_URL },
    });
  });
});

describe('classifyResponse: other statuses', () => {
  it.each([500, 502, 503, 504, 599, 408, 429])('R25: %i is retried', (status) => {
    expect(classify(answer(status))).toEqual({
      _tag: 'Retry',
      failure: { _tag: 'HttpStatus', status, url: FILE_URL },
      retryAfterMs: null,
    });
  });

  it('R25: Retry-After is parsed, in seconds or as an HTTP-date', () => {
    expect(classify(answer(503, { 'retry-after': '7' }))).toMatchObject({
      _tag: 'Retry',
      retryAfterMs: 7000,
    });
    expect(classify(answer(429, { 'retry-after': new Date(NOW + 3000).toUTCString() }))).toMatchObject({
      _tag: 'Retry',
      retryAfterMs: 3000,
    });
  });

  it.each([400, 401, 403, 404, 410, 451, 204, 301, 304])('R25: %i is not retried', (status) => {
    expect(classify(answer(status))).toEqual({
      _tag: 'Fail',
      failure: { _tag: 'HttpStatus', status, url: FILE_URL },
    });
  });

  it('R18: a 403 after bytes were written with a refreshUrl hook is an expired URL', () => {
    const refreshable = { ...restartPolicy, refreshable: true };
    expect(classify(answer(403), resume, refreshable)).toEqual({
      _tag: 'Fail',
      failure: { _tag: 'UrlExpired', url: FILE_URL },
    });
    expect(classify(answer(403), plain, refreshable, { ...stored, ranges: [] })).toEqual({
      _tag: 'Fail',
      failure: { _tag: 'HttpStatus', status: 403, url: FILE_URL },
    });
    expect(classify(answer(403), resume, restartPolicy)).toMatchObject({ failure: { _tag: 'HttpStatus' } });
  });

  it('R18: a 403 after bytes on a presigned URL with no hook is an expired URL too (ERR_URL_EXPIRED, not ERR_HTTP_STATUS)', () => {
    const signed = { ...stored, url: `${FILE_URL}?X-Amz-Date=1&X-Amz-Signature=REDACTED` };
    expect(classify(answer(403), resume, restartPolicy, signed)).toEqual({
      _tag: 'Fail',
      failure: { _tag: 'UrlExpired', url: signed.url },
    });
    expect(classify(answer(403), plain, restartPolicy, { ...signed, ranges: [] })).toMatchObject({
      failure: { _tag: 'HttpStatus', status: 403 },
    });
  });

  it('R18: a plain link that redirected to a presigned URL answering 403 after bytes is an expired URL', () => {
    const presigned = `https://bucket.example/k?X-Amz-Date=1&X-Amz-Signature=REDACTED`;
    expect(classify({ ...answer(403), url: presigned }, resume, restartPolicy)).toEqual({
      _tag: 'Fail',
      failure: { _tag: 'UrlExpired', url: FILE_URL },
    });
    expect(classify({ ...answer(403), url: 'https://cdn.example/k' }, resume, restartPolicy)).toMatchObject({
      failure: { _tag: 'HttpStatus', status: 403 },
    });
  });
});
