import { redactSignatures } from './signedUrl.js';
import { SCHEME_RUN, schemeStart, withoutUserinfoInText } from './urlCredentials.js';

/**
 * The characters a terminal acts on or reorders text by: C0 (U+0000–U+001F, ESC and newlines included), DEL, C1
 * (U+0080–U+009F: U+009B is a CSI on many terminals) and the bidi controls (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069), which can make a name read backwards.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: those are exactly what is being escaped
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Whether `text` holds a character `escapeControls` escapes. */
export const hasControl = (text: string): boolean => new RegExp(CONTROLS.source).test(text);

const escaped = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` with every control character written as `\uXXXX` (R38): the one escaping of everything the command
 * prints, text lines and `--json` lines alike. File names, URLs and whatever a server sent (status lines, ETags,
 * `Location`, `Content-Range`) reach the terminal as visible text, never as a command to it. On a JSON text it
 * keeps the JSON valid and equal: `JSON.stringify` already escapes C0, and leaves DEL, C1 and bidi raw, which this
 * writes as the JSON escapes they are.
 */
export const escapeControls = (text: string): string => text.replace(CONTROLS, escaped);

/** Where a URL begins in a line of text: a scheme and `://`. */
const URL_START = new RegExp(`${SCHEME_RUN}//`, 'gi');
/** The rest of a URL in a line of text: up to what ends a URL there (a space, a quote, `<`, `>`). */
const URL_REST = /[^\s"'<>]*/y;

/**
 * `text` with `redactSignatures` applied to each URL in it, in one pass: a URL's rest is read once it has a scheme,
 * so that a `://` with none before it (`1://`, `://`) costs nothing however long the text after it is.
 */
const withoutSignaturesInText = (text: string): string => {
  let shown = '';
  let copied = 0;
  URL_START.lastIndex = 0;
  for (let found = URL_START.exec(text); found !== null; found = URL_START.exec(text)) {
    const scheme = schemeStart(found[0]);
    if (scheme === -1) continue;
    URL_REST.lastIndex = URL_START.lastIndex;
    URL_REST.test(text);
    const start = found.index + scheme;
    shown += text.slice(copied, start) + redactSignatures(text.slice(start, URL_REST.lastIndex));
    copied = URL_REST.lastIndex;
    URL_START.lastIndex = copied;
  }
  return copied === 0 ? text : shown + text.slice(copied);
};

/**
 * `text` with the secrets of every URL in it taken out (R37): its userinfo (`withoutUserinfoInText`: a password
 * holding an `@` or a quote too, and one holding a raw `#`, `/` or `?` shown as `scheme://…@host`), then the values of
 * its signatures, which are bearer secrets (`redactSignatures`), whether a message, a notice or an error quotes the
 * URL, or a text rdl did not write (the stderr of `--refresh-command`) holds it. Only URLs: a file name such as
 * `clip;sig=1.mp4` is printed as it is, since the user must find that file. A URL quoted without its scheme (one
 * that did not parse) is redacted where its message is written.
 */
export const redactUrls = (text: string): string => withoutSignaturesInText(withoutUserinfoInText(text));

/** `text` as the command (or a page) prints it: the secrets of the URLs in it redacted (`redactUrls`), then escaped (R38). */
export const printable = (text: string): string => escapeControls(redactUrls(text));
