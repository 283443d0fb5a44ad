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
/**
 * Where a line may quote the URL: a message, quotes, a JSON text, a bracket, an option; and what closes the URL there
 * (the quote or `>` it began after), `''` for none.
 */
const quotings: readonly { readonly quote: (u: string) => string; readonly closer: string }[] = [
  {
    quote: (u) => `rdl: --refresh-command failed: it exited with 1: signer said: ${u} (ERR_REFRESH_FAILED)`,
    closer: '',
  },
  { quote: (u) => `'${u}'`, closer: "'" },
  { quote: (u) => `{"url":"${u}","code":1}`, closer: '"' },
  { quote: (u) => `<${u}>`, closer: '>' },
  { quote: (u) => `url=${u}`, closer: '' },
  { quote: (u) => u, closer: '' },
];
const context = fc.constantFrom(...quotings.map(({ quote }) => quote));

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

  it('R37: for any token used as a user name, a quote, < or > in it, the printed line never holds it, in text or as JSON', () => {
    const token = fc
      .tuple(...[0, 1].map(() => fc.stringMatching(/^[A-Za-z0-9_.~%!$&'"()*+,;=<>`-]{0,8}$/)))
      .map(([a, b]) => `${a}${MARK}${b}`);
    fc.assert(
      fc.property(start, token, fc.constantFrom(...quotings), (scheme, secret, { quote, closer }) => {
        // What closes the quote the URL began after ends it (`'https://h','x@y'`): a token holding it is not drawn.
        fc.pre(closer === '' || !secret.includes(closer));
        const line = quote(`${scheme}${secret}@signer.example/sign?X-Amz-Signature=abc`);
        expect(redactUrls(line)).not.toContain(MARK);
        expect(printable(line)).not.toContain(MARK);
        expect(printable(JSON.stringify({ message: line }))).not.toContain(MARK);
        expect(printable(JSON.stringify({ url: `${scheme}${secret}@h/x` }))).not.toContain(MARK);
      }),
      { numRuns: 500 },
    );
  });

  it('R37: a JSON text of URL strings and emails, without userinfo or port, is byte-identical', () => {
    const url = fc
      .webUrl({ withQueryParameters: true, withFragments: true })
      .filter(
        (u) =>
          redactSignatures(u) === u &&
          !/(?:[a-z\d+.-]:|["'`(<[{=,])[/\\]{2}/i.test(u.slice(u.indexOf('//') + 2)),
      );
    // An email's local part may hold `//` or `\\`, which start a reference: `//a@h.example` is one, hidden.
    const email = fc.emailAddress().filter((e) => !/[/\\]/.test(e));
    const value = fc.oneof(
      url,
      email,
      url.map((u) => `see ${u}`),
    );
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 6 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{0,4}$/), value),
        (list, object) => {
          for (const text of [
            JSON.stringify(list),
            JSON.stringify(object),
            JSON.stringify({ message: JSON.stringify(list) }),
          ]) {
            expect(redactUrls(text)).toBe(text);
          }
        },
      ),
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
    // hostile server's header may be that long. Those patterns ended a userinfo without a password at a quote, `<` or
    // `>`: a text where one is between a `//` and an `@` is the next property's.
    const urlInText = /[a-z][a-z\d+.-]*:\/\/[^\s"'<>]*/gi;
    const reference =
      /(?:[a-z][a-z\d+.-]*:|(?<![^\s"'`(<[{=,]))[/\\]{2,}(?:[^\s/\\?#:"<>[\]]*:\S*@|[^\s/\\?#"'<>]*@)/gi;
    const quoteBeforeAt = /[/\\]{2}[^\s/?#]*?["'<>][^\s/?#]*@/;
    fc.assert(
      fc.property(fc.array(word(pieces), { maxLength: 6 }), (words) => {
        const text = words.join(' ');
        fc.pre(!quoteBeforeAt.test(text));
        const userinfoHidden = text.replace(reference, (found) => unparsedUrlShown(found));
        expect(withoutUserinfoInText(text)).toBe(userinfoHidden);
        expect(redactUrls(text)).toBe(userinfoHidden.replace(urlInText, (url) => redactSignatures(url)));
      }),
      { numRuns: 2000 },
    );
  });

  it('R37: a userinfo without a password holding a quote, < or > is found in one pass where reading the text from its start at each // finds it', () => {
    fc.assert(
      fc.property(
        fc.array(word([...pieces, '>', '\\"', '{"a":"', '","', "','"]), { maxLength: 6 }),
        (words) => {
          const text = words.join(' ');
          expect(withoutUserinfoInText(text)).toBe(userinfoHiddenFromScratch(text));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

/** Pieces of words of `//`, `:`, `@`, quotes and `/`: a word's end and last `@` are what the one pass keeps between `//`s. */
const pieces = ['/', '//', '\\', ':', '@', 'a', 'b:', 'http:', '//u:', '"', "'", '#', '?', '=', '[', '<'];
/** Those and what quotes a URL in JSON, in a JSON string inside JSON and in a `<` bracket. */
const quotingPieces = [
  ...pieces,
  '>',
  '\\"',
  '\\\\\\"',
  '\\\\',
  '{"a":"',
  '","',
  "','",
  '{\\"a\\":\\"',
  '"https://',
  '\\"https://',
];
/** Words of a few pieces, several a line. */
const word = (from: readonly string[]) =>
  fc.array(fc.constantFrom(...from), { minLength: 1, maxLength: 8 }).map((chosen) => chosen.join(''));

/** The content of the `"` string open at the end of `text`, as written (`\"` as such), `null` when none is. */
const openString = (text: string): string | null =>
  /^(?:[^"]|"(?:[^"\\]|\\[\s\S])*")*"((?:[^"\\]|\\[\s\S])*)\\?$/.exec(text)?.[1] ?? null;

/**
 * `withoutUserinfoInText` as its rule reads, each URL's context read again from the text's start (in time the square
 * of the text's length): a password runs to the last `@` of its word; a userinfo without one to the last `@` before the
 * authority ends (whitespace, `/`, `\`, `?`, `#`) or what closes the URL does: the quote it began after (one escaped
 * once more than that quote is the URL's), the `>` of a `<`, the `"` of the JSON string it is in (`\"` is the URL's),
 * or of the JSON string inside that one (`\\\"` is the URL's).
 */
const userinfoHiddenFromScratch = (text: string): string => {
  const authority = /(?:[a-z][a-z\d+.-]*:|(?<![^\s"'`(<[{=,]))[/\\]{2,}/gi;
  let shown = '';
  let copied = 0;
  for (let found = authority.exec(text); found !== null; found = authority.exec(text)) {
    const start = found.index + (/^[/\\]/.test(found[0]) ? 0 : found[0].search(/[a-z]/i));
    const from = found.index + found[0].length;
    const password = /[^\s/\\?#:"<>[\]]*:\S*@/y;
    password.lastIndex = from;
    let userinfo = password.exec(text)?.[0];
    let slashes = from;
    if (userinfo === undefined) {
      const outer = openString(text.slice(0, start));
      const inner = outer === null ? null : openString(outer.replace(/\\([\s\S])/g, '$1'));
      const closers = new Map<string, number | undefined>(
        outer === null ? [] : [['"', inner === null ? 1 : 3]],
      );
      const before = text[start - 1] ?? '';
      if (before === '<') closers.set('>', undefined);
      if (before === '"' || before === "'") {
        closers.set(before, 2 * (/\\*$/.exec(text.slice(0, start - 1))?.[0].length ?? 0) + 1);
      }
      const quotes = [...closers].flatMap(([char, run]) =>
        run === undefined ? [] : [`|\\\\{${run}}${char}`],
      );
      const bare = new RegExp(`(?:[^\\s/\\\\?#${[...closers.keys()].join('')}]${quotes.join('')})*@`, 'y');
      const run = closers.get(text[from] ?? '') ?? 0;
      if (run > 0 && found[0].endsWith('\\'.repeat(run))) slashes = from - run;
      bare.lastIndex = slashes;
      userinfo = bare.exec(text)?.[0];
    }
    if (userinfo === undefined) continue;
    const end = slashes + userinfo.length;
    const url =
      slashes === from ? unparsedUrlShown(text.slice(start, end)) : `${text.slice(start, slashes)}…@`;
    shown += text.slice(copied, start) + url;
    copied = end;
    authority.lastIndex = end;
  }
  return shown + text.slice(copied);
};
