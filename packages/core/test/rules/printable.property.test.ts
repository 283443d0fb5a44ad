import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable, redactUrls } from '../../src/rules/printable.js';
import { redactSignatures } from '../../src/rules/signedUrl.js';
import { unparsedUrlShown, withoutUserinfoInText } from '../../src/rules/urlCredentials.js';

/** What no printed line may hold: it is inside every password generated. */
const MARK = 'Zq9SECRET';

/** Any text without whitespace, as a password may be (a raw `#`, `/`, `?`, `@`, a quote, a control, a surrogate). */
const wordPart = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !/\s/.test(s));
const password = fc.tuple(wordPart, wordPart).map(([a, b]) => `${a}${MARK}${b}`);
const user = fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=-]{0,10}$/);
const start = fc.constantFrom('https://', 'http://', 'ftp://', 'HTTPS://', '//');
/** Where a line may quote the URL: a message, quotes, a JSON text, a bracket, an option. */
const context = fc.constantFrom(
  (u: string) => `rdl: --refresh-command failed: it exited with 1: signer said: ${u} (ERR_REFRESH_FAILED)`,
  (u: string) => `'${u}'`,
  (u: string) => `{"url":"${u}","code":1}`,
  (u: string) => `<${u}>`,
  (u: string) => `url=${u}`,
  (u: string) => u,
);

describe('redactUrls (properties)', () => {
  it('R37: for any password without whitespace, the printed line never holds it, in text or as JSON', () => {
    fc.assert(
      fc.property(start, user, password, context, (scheme, name, secret, quote) => {
        const line = quote(`${scheme}${name}:${secret}@signer.example/sign?X-Amz-Signature=abc`);
        expect(redactUrls(line)).not.toContain(MARK);
        expect(printable(line)).not.toContain(MARK);
        expect(printable(JSON.stringify({ message: line }))).not.toContain(MARK);
      }),
      { numRuns: 500 },
    );
  });

  it('R37: a line quoting a URL without userinfo or port is byte-identical, an @ or : in its path and query too', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), context, (url, quote) => {
        fc.pre(redactSignatures(url) === url);
        // A path or query that quotes another URL (`/x'//u@h`, `/a://u@h`) holds a userinfo of its own, hidden.
        fc.pre(!/(?:[a-z\d+.-]:|["'`(<[{=,])[/\\]{2}/i.test(url.slice(url.indexOf('//') + 2)));
        expect(redactUrls(quote(url))).toBe(quote(url));
      }),
      { numRuns: 500 },
    );
  });

  it('R37: a URL with a port and no @ is byte-identical', () => {
    const withPort = fc.webUrl({
      authoritySettings: { withPort: true, withIPv4: true, withIPv6: true },
      withQueryParameters: true,
      withFragments: true,
    });
    fc.assert(
      fc.property(withPort, (url) => {
        fc.pre(!url.includes('@') && redactSignatures(url) === url);
        expect(redactUrls(`at ${url} (x)`)).toBe(`at ${url} (x)`);
      }),
    );
  });

  it('R37: the userinfo and the signatures are found in one pass exactly where the patterns run from each // and each letter find them', () => {
    // The patterns the one pass replaces: the same answers, which took a second for 64 KiB of `//a:` (each `//` ran
    // to the end of its word and back) and 8 s for 64 KiB of letters (each letter ran to the end of the run), where a
    // hostile server's header may be that long.
    const urlInText = /[a-z][a-z\d+.-]*:\/\/[^\s"'<>]*/gi;
    const reference =
      /(?:[a-z][a-z\d+.-]*:|(?<![^\s"'`(<[{=,]))[/\\]{2,}(?:[^\s/\\?#:"<>[\]]*:\S*@|[^\s/\\?#"'<>]*@)/gi;
    const piece = fc.constantFrom(
      '/',
      '//',
      '\\',
      ':',
      '@',
      'a',
      'b:',
      'http:',
      '//u:',
      '"',
      "'",
      '#',
      '?',
      '=',
      '[',
      '<',
    );
    // Words of a few pieces, several a line: a word's end and last `@` are what the one pass keeps between `//`s.
    const word = fc.array(piece, { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (words) => {
        const text = words.join(' ');
        const userinfoHidden = text.replace(reference, (found) => unparsedUrlShown(found));
        expect(withoutUserinfoInText(text)).toBe(userinfoHidden);
        expect(redactUrls(text)).toBe(userinfoHidden.replace(urlInText, (url) => redactSignatures(url)));
      }),
      { numRuns: 2000 },
    );
  });
});
