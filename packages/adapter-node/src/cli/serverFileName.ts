import { partNameProblem } from '@rdl/core/rules';
import { parse as parseContentDisposition } from 'content-disposition';
import * as E from 'fp-ts/lib/Either.js';
import { maxTargetNameBytes } from '../targetPath.js';

/**
 * The longest name `-J` uses, the URL's default name included: `maxTargetNameBytes` less the ` (99)` a numbered
 * name may add, so that `name (99).ext` and its sidecars' names fit too.
 */
export const maxServerNameBytes = maxTargetNameBytes - ' (99)'.length;

/** The most numbered names tried for one download (`name (1).ext` … `name (99).ext`). */
export const MAX_NUMBERED = 99;

/**
 * What a terminal or a reader would take otherwise: C0 (NUL, newlines, ESC), DEL, C1 (U+009B is a CSI) and the
 * bidi controls (`exe.txt` shown for `txt.exe`).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: those are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Device names Windows reserves in every folder, with any extension (`CON`, `nul.txt`, `COM1`, `LPT¹`…). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.[^.]*)*$/i;

/**
 * A file name a server gave (R38 and the rules of `-J`), or why it is not used: one plain name in the current
 * folder, never a path (`/`, `\`), never `.`, `..` or another dot file, nor a `.part` name, no control character, not a device name
 * Windows reserves, not empty, and short enough (`maxServerNameBytes`) that a numbered name and
 * the sidecars' names fit. Characters Windows refuses in names (`:*?"<>|`) become `_`, as in the URL's default name.
 */
export const serverFileName = (raw: string): E.Either<string, string> => {
  const name = raw.trim();
  if (name === '') return E.left('it is empty');
  if (/[/\\]/.test(name)) return E.left('it is a path');
  if (CONTROL.test(name)) return E.left('it holds a control character');
  if (name.startsWith('.')) return E.left('it is a dot file');
  if (partNameProblem(name) !== null) return E.left('it ends in .part, the name of a part file');
  // Before the patterns below, which then read a name of at most this length: the one for trailing dots and spaces
  // is tried from each of them, and a header's 64 KiB of '. ' took 4.9 s.
  if (Buffer.byteLength(name) > maxServerNameBytes)
    return E.left(`it is longer than ${maxServerNameBytes} bytes`);
  // Windows drops trailing dots and spaces, so `CON .` is `CON` there.
  if (WINDOWS_RESERVED.test(name.replace(/[. ]+$/, '')))
    return E.left('it is a device name Windows reserves');
  return E.right(name.replace(/[:*?"<>|]/g, '_'));
};

/**
 * A plain `filename`'s value as browsers read it: a head is read as Latin-1, one byte a character, so raw UTF-8
 * bytes (`filename="résumé.pdf"`, which many servers send) come as `rÃ©sumÃ©.pdf`; when those bytes are valid
 * UTF-8 they are read as such, else the Latin-1 reading stays (`caf\xE9.txt` is `café.txt`).
 */
const asBrowsersRead = (latin1: string): string => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is the same in both readings
  if (/^[\u0000-\u007f]*$/.test(latin1) || /[^\u0000-\u00ff]/.test(latin1)) return latin1;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(latin1, (c) => c.charCodeAt(0)));
  } catch {
    return latin1;
  }
};

/**
 * The file name of a `Content-Disposition` (RFC 6266), `filename*` (RFC 8187, UTF-8 or ISO-8859-1) before
 * `filename`, parsed by the `content-disposition` package; a plain `filename` holding raw UTF-8 bytes is read as
 * UTF-8 (`asBrowsersRead`); `null` when it names none. Not yet judged: see `serverFileName`.
 */
export const dispositionFileName = (header: string | undefined): string | null => {
  if (header === undefined) return null;
  try {
    const chosen = parseContentDisposition(header).parameters.filename;
    if (chosen === undefined) return null;
    // The same without `filename*`: the value is the plain one's when they agree.
    const plain = parseContentDisposition(header, { extended: false }).parameters.filename;
    return chosen === plain ? asBrowsersRead(chosen) : chosen;
  } catch {
    return null;
  }
};

/** The last segment of a URL's path, percent-decoded (as typed when it does not decode); `null` for none. */
export const urlFileName = (url: string): string | null => {
  const segment = new URL(url).pathname.split('/').at(-1) ?? '';
  if (segment === '') return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * The `n`th name for `name` when those before it are taken: `name` itself, then `stem (n).ext` as browsers write it
 * (`report (1).pdf`, `archive.tar (1).gz`, `README (2)`).
 */
export const numberedName = (name: string, n: number): string => {
  if (n === 0) return name;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
};
