import { describe, expect, it } from 'vitest';
import { printable, redactUrls } from '../../src/rules/printable.js';

describe('redactUrls', () => {
  it('R37: a password holding a raw #, / or ? hides all from // to the last @, the host kept', () => {
    expect(redactUrls('x https://bob:p?ss@h/x')).toBe('x https://…@h/x');
    expect(redactUrls('signer said: https://bob:hunter#2@signer.example/sign (x)')).toBe(
      'signer said: https://…@signer.example/sign (x)',
    );
    expect(redactUrls('https://bob:hunter/2@signer.example/sign?X-Amz-Signature=abc')).toBe(
      'https://…@signer.example/sign?X-Amz-Signature=REDACTED',
    );
    expect(redactUrls('Location: //bob:s3/cret@h/x.bin')).toBe('Location: //…@h/x.bin');
  });

  it('R37: a password holding a quote or an @ is taken out whole: the URL does not end at the quote', () => {
    expect(redactUrls("signer said: 'https://bob:it's2@signer.example/sign'")).toBe(
      "signer said: 'https://signer.example/sign'",
    );
    expect(redactUrls('a https://bob:p"ss@h/x b')).toBe('a https://h/x b');
    expect(redactUrls('https://bob:p@ss@h/x')).toBe('https://h/x');
    // A JSON text escapes the quote: its `\` ends an authority, so the userinfo is shown as `…`.
    expect(printable('{"url":"https://bob:p\\"ss@h/x"}')).toBe('{"url":"https://…@h/x"}');
  });

  it('R37: text without a userinfo after // is left as it is, an @ in a path or a query too', () => {
    for (const line of [
      'rdl: saved https://registry.example/@babel/core/-/core-7.0.0.tgz (1 MiB)',
      'https://h/unsubscribe?email=bob@example.com',
      'https://h/a//b:c@d',
      'https://[::1]:8443/@x',
      '{"url":"https://h","user":"bob@example.com"}',
      'error:bob@example.com, /tmp/a:b@c',
    ]) {
      expect(redactUrls(line)).toBe(line);
    }
  });

  it('R37: a host and port followed by an @ in the same word read as user:password@host, so it is hidden too', () => {
    // `localhost:4873/` is the text a password `4873/` would give: telling them apart would print that password.
    expect(redactUrls('http://localhost:4873/@scope/pkg')).toBe('http://…@scope/pkg');
  });

  it('R37: a token as the user name (no password) holding a quote, < or > is hidden: none of them ends an authority', () => {
    expect(redactUrls("git said: https://ghp_ab'cd@github.com/o/r.git (x)")).toBe(
      'git said: https://github.com/o/r.git (x)',
    );
    expect(redactUrls('a https://ghp_ab"cd@h/x b')).toBe('a https://h/x b');
    expect(redactUrls('https://ghp<ab>cd@h/x?X-Amz-Signature=abc')).toBe(
      'https://h/x?X-Amz-Signature=REDACTED',
    );
    expect(redactUrls("Location: //tok'en@h/x.bin")).toBe('Location: //h/x.bin');
    // The --json lines redact each string before quoting it: the JSON text shows the quote as \".
    expect(printable(JSON.stringify({ message: 'signer said: https://ghp_ab"cd@h/x' }))).toBe(
      '{"message":"signer said: https://…@h/x"}',
    );
    expect(printable('{"url":"https://ghp_ab\\"cd@h/x","code":1}')).toBe('{"url":"https://…@h/x","code":1}');
    expect(printable(JSON.stringify({ message: JSON.stringify({ url: 'https://ghp_ab\'c"d@h/x' }) }))).toBe(
      '{"message":"{\\"url\\":\\"https://…@h/x\\"}"}',
    );
  });

  it('R37: a quote that closes the string a URL is in ends the URL: JSON text with several URLs and emails is unchanged', () => {
    // No port: a host and port followed by an @ in the same word read as user:password@ (the test above).
    const urls = ['https://a.example/x', 'https://b.example', 'https://c.example/a?b#c', '//d.example'];
    const emails = ['bob@example.com', 'eve@example.org'];
    for (const line of [
      JSON.stringify({ urls, contact: emails[0], site: urls[1], owner: emails[1] }),
      JSON.stringify([urls[1], emails[0], urls[3], emails[1]]),
      JSON.stringify({ note: `see ${urls[1]}`, to: emails[0], also: `or ${urls[3]}`, cc: emails[1] }),
      JSON.stringify({ message: JSON.stringify({ url: urls[1], to: emails[0] }) }),
      `['${urls[1]}','${emails[0]}']`,
      `<${urls[1]}>${emails[0]}`,
    ]) {
      expect(redactUrls(line)).toBe(line);
    }
  });

  it('R37, R38: hostile texts of 256 KiB of quotes, backslashes and // are redacted in one pass', () => {
    // Read again from each `//` (or the lexer's state from the text's start), each of these would take minutes: the
    // test's time-out would end it. None holds an @, so each is printed as it is.
    const size = 256 * 1024;
    const fill = (piece: string) => piece.repeat(Math.ceil(size / piece.length));
    for (const text of [
      fill("//'"),
      fill('"https://a\''),
      fill('https://a\\"'),
      `"${fill('\\')}`,
      `{"a":"${fill('https://x\\\\\\"a')}`,
      `<${fill('https://<a')}`,
      `"${fill('https://"')}`,
    ]) {
      expect(redactUrls(text)).toBe(text);
    }
    expect(redactUrls(`https://${fill("a'")}@h/x`)).toBe('https://h/x');
    expect(redactUrls(`{"a":"https://${fill('a\\"')}@h/x"}`)).toBe('{"a":"https://…@h/x"}');
  });
});
