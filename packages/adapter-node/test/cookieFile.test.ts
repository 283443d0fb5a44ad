import { URL } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { CookieJar, type FileCookie, parseCookieFile } from '../src/cookieFile.js';

const NOW = Date.UTC(2026, 0, 1);
const FUTURE = Math.floor(NOW / 1000) + 3600;
const PAST = Math.floor(NOW / 1000) - 1;

const cookiesOf = (text: string): readonly FileCookie[] => {
  const parsed = parseCookieFile(text);
  if (E.isLeft(parsed)) throw new Error(`line ${parsed.left.line}: ${parsed.left.message}`);
  return parsed.right;
};

const file = [
  '# Netscape HTTP Cookie File',
  '# https://curl.se/docs/http-cookies.html',
  '',
  `example.com\tFALSE\t/\tFALSE\t0\thost\tonly`,
  `.example.com\tTRUE\t/\tFALSE\t${FUTURE}\twide\t1`,
  `#HttpOnly_example.com\tTRUE\t/docs\tFALSE\t0\tdocs\t2`,
  `example.com\tTRUE\t/\tTRUE\t0\tsecure\t3`,
  `example.com\tTRUE\t/\tFALSE\t${PAST}\texpired\t4`,
  `other.test\tTRUE\t/\tFALSE\t0\tother\t5\r`,
  `127.0.0.1\tTRUE\t/\tFALSE\t0\tip\t6`,
  `example.com\tTRUE\t/\tFALSE\t0\tempty`,
].join('\n');

describe('the Netscape cookie file of -b (curl’s -c writes it, browser extensions export it)', () => {
  const jar = new CookieJar(cookiesOf(file));
  const header = (url: string): string | null => jar.headerFor(new URL(url), NOW);

  it('sends a cookie where its domain, path and secure flag match and it has not expired, longer paths first', () => {
    expect(header('http://example.com/docs/a')).toBe('docs=2; host=only; wide=1; empty=');
    expect(header('https://example.com/')).toBe('host=only; wide=1; secure=3; empty=');
  });

  it('a FALSE include-subdomains is the host alone; TRUE, or a leading dot, reaches the hosts under it', () => {
    expect(header('http://www.example.com/')).toBe('wide=1; empty=');
    expect(header('http://notexample.com/')).toBeNull();
  });

  it('a path matches at a / only: /docs is not /docsx, but is /docs/ and /docs', () => {
    expect(header('http://example.com/docsx')).not.toContain('docs=2');
    expect(header('http://example.com/docs')).toContain('docs=2');
  });

  it('an IP address gets its own cookies, never those of a domain it ends in', () => {
    expect(header('http://127.0.0.1:8080/')).toBe('ip=6');
    expect(header('http://other.test/')).toBe('other=5');
  });

  it('a byte-order mark before the first line is skipped', () => {
    const marked = new CookieJar(cookiesOf('\uFEFFa.test\tFALSE\t/\tFALSE\t0\tn\t1\n'));
    expect(marked.headerFor(new URL('http://a.test/'), NOW)).toBe('n=1');
  });

  it('a line given twice (domain, path and name) keeps the later one', () => {
    const twice = new CookieJar(
      cookiesOf('a.test\tFALSE\t/\tFALSE\t0\tn\t1\na.test\tFALSE\t/\tFALSE\t0\tn\t2\n'),
    );
    expect(twice.headerFor(new URL('http://a.test/'), NOW)).toBe('n=2');
  });

  it('R37, R30: a garbled line is refused by its number, without its values', () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ['a.test FALSE / FALSE 0 n s3cret', /expected 7 fields separated by tabs .*got 1/],
      ['a.test\tMAYBE\t/\tFALSE\t0\tn\ts3cret', /include-subdomains field is neither TRUE nor FALSE/],
      ['a.test\tFALSE\tdocs\tFALSE\t0\tn\ts3cret', /the path does not start with \//],
      ['a.test\tFALSE\t/\tyes\t0\tn\ts3cret', /the secure field is neither/],
      ['a.test\tFALSE\t/\tFALSE\tsoon\tn\ts3cret', /the expiry is not a number/],
      ['a.test\tFALSE\t/\tFALSE\t0\t\ts3cret', /has no name/],
      ['a.test\tFALSE\t/\tFALSE\t0\tn\ts3cret\u001b[2J', /the value holds a control/],
      ['a.test\tFALSE\t/\tFALSE\t0\tn\ts3cret; injected=1', /the value holds a control, non-ASCII or ;/],
      ['a.test\tFALSE\t/\tFALSE\t0\tn;x\ts3cret', /the name holds/],
      ['a test\tFALSE\t/\tFALSE\t0\tn\ts3cret', /the domain is empty or not a host name/],
    ];
    for (const [line, message] of cases) {
      const parsed = parseCookieFile(`# comment\n\n${line}\n`);
      expect(E.isLeft(parsed) && parsed.left.line).toBe(3);
      expect(E.isLeft(parsed) && parsed.left.message).toMatch(message);
      expect(E.isLeft(parsed) && parsed.left.message).not.toContain('s3cret');
    }
  });
});
