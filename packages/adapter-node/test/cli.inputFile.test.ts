import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInputFile, parseInputFile, urlProblem } from '../src/cli/inputFile.js';

describe('rdl -i: the input file (aria2 style)', () => {
  it('reads URLs in order, skips blank lines and # comments, takes CRLF, names files with indented out=', () => {
    const text =
      '# a list\r\nhttps://a.example/1.bin\r\n  out=one.bin\r\n\r\n   # indented comment\nhttp://b.example/2\n\tout=two\n';
    expect(parseInputFile(text)).toEqual({
      entries: [
        { url: 'https://a.example/1.bin', out: 'one.bin', line: 2, outLine: 3 },
        { url: 'http://b.example/2', out: 'two', line: 6, outLine: 7 },
      ],
      problems: [],
    });
  });

  it('R30: every unusable line is a problem with its number; options of a refused URL are not judged', () => {
    const text = [
      '  out=orphan',
      'nope',
      '  out=x',
      'https://ok.example/f',
      '  out=a',
      '  out=b',
      '  split=4',
    ].join('\n');
    expect(parseInputFile(text).problems).toEqual([
      { line: 1, message: 'an option line with no URL above it' },
      { line: 2, message: 'not a URL: "nope"' },
      { line: 6, message: 'a second out= for the same URL' },
      { line: 7, message: 'unknown option "split=" (rdl reads out=NAME under a URL)' },
    ]);
  });

  it("R37: an unknown option line is named by its option alone, never its value (aria2's header=, http-passwd=)", () => {
    const text = [
      'https://ok.example/f',
      '  header=Authorization: Bearer S3CRET1',
      '  http-passwd=S3CRET1',
      '  Cookie: session=S3CRET1',
    ].join('\n');
    expect(parseInputFile(text).problems).toEqual([
      { line: 2, message: 'unknown option "header=" (rdl reads out=NAME under a URL)' },
      { line: 3, message: 'unknown option "http-passwd=" (rdl reads out=NAME under a URL)' },
      { line: 4, message: 'an indented line that is no option (rdl reads out=NAME under a URL)' },
    ]);
  });

  it('R30: a line holding a CR (a file of CR line ends) or another control character is a problem, never a URL nobody wrote', () => {
    const text =
      'https://a.example/1.bin\rhttps://a.example/2.bin\r\nhttps://a.example/\u00013\nhttps://a.example/4\n';
    expect(parseInputFile(text)).toEqual({
      entries: [{ url: 'https://a.example/4', out: null, line: 3, outLine: null }],
      problems: [
        {
          line: 1,
          message: 'a carriage return inside the line (lines end with LF or CR LF): one URL a line',
        },
        { line: 2, message: 'a control character (U+0001) in the URL' },
      ],
    });
  });

  it('R30: any text gives entries and problems, never a throw; every entry is an http(s) URL', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const { entries, problems } = parseInputFile(text);
        for (const entry of entries) expect(entry.url).toMatch(/^https?:\/\//);
        for (const problem of problems) expect(problem.line).toBeGreaterThan(0);
      }),
    );
  });

  it('R37: a line that is no URL rdl fetches is quoted without its signature (no scheme://: nothing else redacts it)', () => {
    expect(urlProblem('htp:/bad?sig=S3CRET&a=1')).toBe(
      'unsupported scheme htp: in "htp:/bad?sig=REDACTED&a=1" (rdl fetches http and https)',
    );
    expect(urlProblem('example.com/f?X-Amz-Signature=S3CRET')).toBe(
      'not a URL: "example.com/f?X-Amz-Signature=REDACTED"',
    );
  });

  it('a generated list reads back as written', () => {
    const entry = fc.record({
      host: fc.constantFrom('a.example', 'b.example:8080', '[::1]:9000'),
      path: fc.stringMatching(/^[a-z0-9]{1,8}$/),
      out: fc.option(
        fc.stringMatching(/^[A-Za-z0-9._ -]{1,12}$/).filter((s) => s.trim() === s && s !== ''),
        {
          nil: null,
        },
      ),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 20 }), (list) => {
        const text = list
          .map((e) => `https://${e.host}/${e.path}${e.out === null ? '' : `\n  out=${e.out}`}`)
          .join('\n');
        const { entries, problems } = parseInputFile(text);
        expect(problems).toEqual([]);
        expect(entries.map(({ url, out }) => ({ url, out }))).toEqual(
          list.map((e) => ({ url: `https://${e.host}/${e.path}`, out: e.out })),
        );
      }),
    );
  });

  it('R30: a file that is not UTF-8 is refused at the line of its first bad byte, never read with U+FFFD in it', () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
    expect(decodeInputFile(bytes('https://h/caf', [0xe9], '.bin\n'))).toEqual({
      problem: { line: 1, message: 'not UTF-8 text' },
    });
    expect(decodeInputFile(bytes('https://h/a\r\n  out=caf', [0xe9], '\n'))).toEqual({
      problem: { line: 2, message: 'not UTF-8 text' },
    });
    // A sequence cut at the end, an overlong one, a lone surrogate's bytes: none is text.
    for (const bad of [[0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80]])
      expect(decodeInputFile(bytes('https://h/\u00e9\n\n# x\n', bad))).toEqual({
        problem: { line: 4, message: 'not UTF-8 text' },
      });
    // UTF-8 itself, and a byte order mark before it, are read as written.
    expect(decodeInputFile(bytes([0xef, 0xbb, 0xbf], 'https://h/caf\u00e9\n'))).toEqual({
      text: 'https://h/caf\u00e9\n',
    });
  });

  it("R30: spaces and tabs around an option's = are dropped, as aria2 strips them: out= x.bin names x.bin", () => {
    const text = [
      'https://h/a',
      '  out= x.bin',
      'https://h/b',
      '  out =\t y z.bin \t',
      'https://h/c',
      '  dir = /etc',
    ].join('\n');
    expect(parseInputFile(text)).toEqual({
      entries: [
        { url: 'https://h/a', out: 'x.bin', line: 1, outLine: 2 },
        { url: 'https://h/b', out: 'y z.bin', line: 3, outLine: 4 },
        { url: 'https://h/c', out: null, line: 5, outLine: null },
      ],
      problems: [{ line: 6, message: 'unknown option "dir=" (rdl reads out=NAME under a URL)' }],
    });
  });
});
