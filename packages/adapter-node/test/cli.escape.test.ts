import { Writable } from 'node:stream';
import { escapeControls, redactUrls } from '@rdl/core/rules';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJsonLine } from '../src/cli/json.js';
import { writeLines } from '../src/writeLines.js';

const controls = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x061c,
  0x200e,
  0x200f,
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e],
  ...[0x2066, 0x2067, 0x2068, 0x2069],
].map((code) => String.fromCharCode(code));
const controlSet = new Set(controls);
const anyRaw = new RegExp(
  `[${controls.map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`,
);

/** Strings full of what a hostile server or a file name can hold. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...controls),
    fc.constantFrom('a', 'é', '\\', '"', 'u', '0', '😀', '\u2028'),
  ),
  maxLength: 40,
});

describe('the one escaping of everything printed (R38)', () => {
  it('R38: C0, DEL, C1 and every bidi control is written as \\uXXXX', () => {
    expect(escapeControls('a\x1b[2Jb\x9b31m\u202egnp.exe\x7f\n')).toBe(
      'a\\u001b[2Jb\\u009b31m\\u202egnp.exe\\u007f\\u000a',
    );
    for (const c of controls) expect(escapeControls(c)).toMatch(/^\\u[0-9a-f]{4}$/);
  });

  it('R38: nothing else changes: printable text, other Unicode, backslashes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        fc.pre([...text].every((c) => !controlSet.has(c)));
        expect(escapeControls(text)).toBe(text);
      }),
    );
  });

  it('R38: no control character survives it', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(escapeControls(text)).not.toMatch(anyRaw);
      }),
    );
  });

  it('R38: a JSON line stays one valid line of JSON with the same value, and holds no raw control', () => {
    fc.assert(
      fc.property(hostile, hostile, (code, message) => {
        const line = formatJsonLine({ event: 'error', code, message });
        expect(line.endsWith('\n')).toBe(true);
        expect(line.slice(0, -1)).not.toMatch(anyRaw);
        expect(JSON.parse(line)).toEqual({ event: 'error', code, message });
      }),
    );
  });

  it('R37, R38: a JSON line with a signature beside a quote or a backslash stays valid JSON, the signature redacted', () => {
    const quoted = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\u009b', ' ', '?'), maxLength: 8 });
    fc.assert(
      fc.property(quoted, quoted, (before, after) => {
        const message = `bad Location: "${before}http://h/f?sig=SECRET${after}"`;
        const line = formatJsonLine({ event: 'error', code: 'ERR_BAD_RESPONSE', message });
        expect(line.slice(0, -1)).not.toMatch(anyRaw);
        const parsed = JSON.parse(line) as { message: string };
        expect(parsed.message).not.toContain('SECRET');
        expect(parsed.message).toContain('?sig=REDACTED');
      }),
    );
    expect(
      JSON.parse(formatJsonLine({ event: 'error', code: 'E', message: 'to ftp://evil/?sig=abc"x: no' })),
    ).toEqual({
      event: 'error',
      code: 'E',
      message: 'to ftp://evil/?sig=REDACTED"x: no',
    });
  });

  it('R37: only URLs are redacted: a file name that looks like a query is printed as it is', () => {
    expect(redactUrls('rdl: downloading https://h/f?sig=s&a=1 to /tmp/clip;sig=1.mp4 (1 MiB)')).toBe(
      'rdl: downloading https://h/f?sig=REDACTED&a=1 to /tmp/clip;sig=1.mp4 (1 MiB)',
    );
    expect(redactUrls('rdl: saved /tmp/x?Signature=2.bin (1 MiB)')).toBe(
      'rdl: saved /tmp/x?Signature=2.bin (1 MiB)',
    );
    const line = formatJsonLine({
      event: 'skipped',
      id: '1',
      url: 'https://h/f?sig=s',
      target: '/d/a;sig=1',
    } as never);
    expect(JSON.parse(line)).toMatchObject({ url: 'https://h/f?sig=REDACTED', target: '/d/a;sig=1' });
  });

  it('R37: a URL in a line loses its user:password as well as its signature, in text and in a JSON line', () => {
    const said =
      'it exited with 1: signer said: https://bob:hunter2@signer.example/sign?X-Amz-Signature=abc (x)';
    const shown = 'it exited with 1: signer said: https://signer.example/sign?X-Amz-Signature=REDACTED (x)';
    expect(redactUrls(said)).toBe(shown);
    expect(JSON.parse(formatJsonLine({ event: 'error', code: 'E', message: said } as never))).toMatchObject({
      message: shown,
    });
  });

  it('R37: a token as the user name holding a quote, < or > is taken out of a text line and a --json line', () => {
    const said = `signer said: https://ghp_ab'c"d@signer.example/sign?X-Amz-Signature=abc <https://ghp<ab@h/x>`;
    const shown = 'signer said: https://signer.example/sign?X-Amz-Signature=REDACTED <https://h/x>';
    expect(redactUrls(said)).toBe(shown);
    const line = formatJsonLine({ event: 'error', code: 'E', message: said } as never);
    expect(line).not.toContain('ghp');
    expect(JSON.parse(line)).toMatchObject({ message: shown });
  });

  it('R38: writeLines ends each line and escapes a newline inside one: one message, one line', () => {
    let written = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    writeLines(stream, 'rdl: one\nrdl: forged', 'two');
    expect(written).toBe('rdl: one\\u000ardl: forged\ntwo\n');
  });
});
