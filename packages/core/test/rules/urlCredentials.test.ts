import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  splitUserinfo,
  unparsedUrlShown,
  withoutUserinfo,
} from '../../src/rules/urlCredentials.js';

describe('URL credentials', () => {
  it('R37: Basic is the base64 of user:password in UTF-8 (RFC 7617 examples)', () => {
    expect(basicAuthorization('Aladdin:open sesame')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(basicAuthorization('test:123£')).toBe('Basic dGVzdDoxMjPCow==');
    expect(basicAuthorization('a:')).toBe('Basic YTo=');
    expect(basicAuthorization(':')).toBe('Basic Og==');
  });

  it('R37: the userinfo is taken out of any text shaped like a URL, parsable or not', () => {
    expect(withoutUserinfo('https://u:p@host/a@b?c@d#e@f')).toBe('https://host/a@b?c@d#e@f');
    expect(withoutUserinfo('https://u:p@x@host:8443/')).toBe('https://host:8443/');
    expect(withoutUserinfo('HTTP://u:p@[::1/')).toBe('HTTP://[::1/');
    expect(withoutUserinfo('https:\\\\u:p@host/')).toBe('https:\\\\host/');
    expect(withoutUserinfo('https://host/path')).toBe('https://host/path');
    expect(withoutUserinfo('not a url u:p@host')).toBe('not a url u:p@host');
  });

  it('R37: a scheme-relative reference (//u:p@host, a Location may be one) loses its userinfo too; a path does not', () => {
    expect(withoutUserinfo('//bob:s3cret@[::1%25eth0]:1/x.bin')).toBe('//[::1%25eth0]:1/x.bin');
    expect(withoutUserinfo('\\\\u:p@host/')).toBe('\\\\host/');
    expect(withoutUserinfo('/a@b/c')).toBe('/a@b/c');
    expect(withoutUserinfo('a@b/c')).toBe('a@b/c');
    expect(unparsedUrlShown('//bob:p#ss@[::1%25eth0]/x')).toBe('//…@[::1%25eth0]/x');
  });

  it('R37: a URL that did not parse is quoted with nothing before its last @, since a password may end the authority early', () => {
    expect(unparsedUrlShown('http://u:p#ss@host/x')).toBe('http://…@host/x');
    expect(unparsedUrlShown('http://u:pa/ss@[::1/x')).toBe('http://…@[::1/x');
    expect(unparsedUrlShown('http://u:p@[::1/x')).toBe('http://[::1/x');
    expect(unparsedUrlShown('http://ho st/x')).toBe('http://ho st/x');
    expect(unparsedUrlShown('nope u:p#s@host')).toBe('nope u:p#s@host');
  });

  it('R37: splitting gives the bare URL and the decoded credentials, or none', () => {
    expect(splitUserinfo('https://a%3Ab:c%2Fd@host/f')).toEqual(
      E.right({ url: 'https://host/f', credentials: 'a:b:c/d' }),
    );
    expect(splitUserinfo('https://host/f')).toEqual(E.right({ url: 'https://host/f', credentials: null }));
  });
});
