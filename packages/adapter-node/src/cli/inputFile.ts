import { isHttpUrl, parseUrl, urlTooLong } from '@rdl/core/rules';
import { quotedValue } from './quotedValue.js';

/** One download of a list: its URL, the name its `out=` line gave, and where it was written (R30 messages). */
export interface ListEntry {
  readonly url: string;
  /** `out=NAME` under it in an input file: a name in the folder (`-d`). `null`: the URL's own name. */
  readonly out: string | null;
  /** Its line in the input file; `null` for a URL given on the command line. */
  readonly line: number | null;
  /** The line of its `out=`, which the problems of that name point to (R30); `null` for none. */
  readonly outLine: number | null;
}

/** A line of an input file that cannot be used, with its number (from 1). */
export interface InputProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * The text of an input file, or the line of its first byte that is no UTF-8 (R30). Never replaced by U+FFFD, as a
 * lenient decoding would: `caf\xE9.bin` (Latin-1) would request `caf%EF%BF%BD.bin` and name a file nobody wrote.
 * A leading byte order mark is dropped.
 */
export const decodeInputFile = (bytes: Uint8Array): { text: string } | { problem: InputProblem } => {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // An LF byte is never inside a UTF-8 sequence: the first line that does not decode alone holds the bad byte.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let start = 0;
    for (let line = 1; ; line += 1) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end === -1 ? bytes.length : end;
      try {
        decoder.decode(bytes.subarray(start, stop));
      } catch {
        return { problem: { line, message: 'not UTF-8 text' } };
      }
      if (end === -1) throw new Error('an input file that does not decode has a line that does not');
      start = end + 1;
    }
  }
};

/** An input file bigger than this is not read: a list of a million URLs is some 100 MiB. */
export const maxInputFileBytes = 256 * 1024 * 1024;

/**
 * Why `value` is not a URL rdl fetches, or `null` (R30). A password or a signature in it is never quoted (R37: a
 * line without `scheme://` is no URL the printed text redacts), and the quote is cut at 200 characters.
 */
export const urlProblem = (value: string): string | null => {
  const tooLong = urlTooLong(value);
  if (tooLong !== null) return tooLong;
  const url = parseUrl(value);
  if (url === null) return `not a URL: ${quotedValue(value)}`;
  if (!isHttpUrl(url))
    return `unsupported scheme ${url.protocol} in ${quotedValue(value)} (rdl fetches http and https)`;
  return null;
};

/**
 * Reads an input file as aria2's `-i` does: one URL a line; blank lines and lines starting with `#` skipped; an
 * indented `out=NAME` line under a URL names its file. Every line that cannot be used is a problem with its number,
 * and the whole list is refused before any request (R30): a list half run is worse than a typo fixed.
 *
 * Not read (each a problem, not silently dropped): several tab-separated URLs on one line (aria2's mirrors of one
 * file), option lines other than `out=`, an option line before any URL.
 */
export const parseInputFile = (text: string): { entries: ListEntry[]; problems: InputProblem[] } => {
  const entries: ListEntry[] = [];
  const problems: InputProblem[] = [];
  // The entry the next option lines belong to, `null` after a refused URL line (its options are not judged).
  let current: { url: string; out: string | null; line: number; outLine: number | null } | null = null;
  let afterRefused = false;
  const close = (): void => {
    if (current !== null) entries.push(current);
    current = null;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (/^[ \t]/.test(raw)) {
      if (current === null) {
        if (!afterRefused) problems.push({ line, message: 'an option line with no URL above it' });
        return;
      }
      // As aria2's (util::divide strips both sides): spaces and tabs around the `=` are no part of the name or the
      // value, so `out= x.bin` names x.bin, not " x.bin".
      const match = /^([A-Za-z-]+)[ \t]*=[ \t]*(.*)$/.exec(trimmed);
      // R37: only the option's name is quoted, never its value: aria2's header= and http-passwd= lines hold secrets.
      if (match === null) {
        problems.push({
          line,
          message: 'an indented line that is no option (rdl reads out=NAME under a URL)',
        });
        return;
      }
      if (match[1] !== 'out') {
        problems.push({
          line,
          message: `unknown option "${match[1]!.slice(0, 100)}=" (rdl reads out=NAME under a URL)`,
        });
        return;
      }
      if (current.out !== null) {
        problems.push({ line, message: 'a second out= for the same URL' });
        return;
      }
      current.out = match[2]!;
      current.outLine = line;
      return;
    }
    close();
    // WHATWG's parser drops CR, LF and tabs inside a URL: `a\rb` (a file of CR line ends) would be one URL nobody
    // wrote. Any other control character is no URL's either.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: those are exactly what is refused
    const control = /[\u0000-\u0008\u000a-\u001f\u007f]/.exec(trimmed);
    if (control !== null) {
      afterRefused = true;
      const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      problems.push({
        line,
        message:
          code === '000D'
            ? 'a carriage return inside the line (lines end with LF or CR LF): one URL a line'
            : `a control character (U+${code}) in the URL`,
      });
      return;
    }
    if (trimmed.includes('\t')) {
      afterRefused = true;
      problems.push({
        line,
        message: 'several URLs on one line (aria2 mirrors) are not supported: one URL a line',
      });
      return;
    }
    const problem = urlProblem(trimmed);
    if (problem !== null) {
      afterRefused = true;
      problems.push({ line, message: problem });
      return;
    }
    afterRefused = false;
    current = { url: parseUrl(trimmed)!.href, out: null, line, outLine: null };
  });
  close();
  return { entries, problems };
};
