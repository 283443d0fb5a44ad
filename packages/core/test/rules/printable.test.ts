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
});
