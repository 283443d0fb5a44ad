import { resolve } from 'node:path';
import type { DownloadFailure } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import { maxTargetNameBytes, targetProblem } from '../targetPath.js';

/** The name used when the URL's path gives none (`https://host/`). */
export const fallbackFileName = 'download';

const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

const truncateUtf8 = (name: string, maxBytes: number): string => {
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out;
};

/**
 * The file name for a URL when `-o` is not given: its last path segment, percent-decoded, made safe. The result is
 * one plain name with no separator, never `.` or `..`, never hidden, never empty: written in the current folder,
 * it cannot land anywhere else, whatever the server or the URL says (`%2F`, `..%2F..`, `\\`, control characters), and
 * short enough (`maxBytes`, default `maxTargetNameBytes`) that its sidecar files' names fit too.
 */
export const defaultFileName = (url: URL, maxBytes = maxTargetNameBytes): string => {
  const segments = url.pathname.split('/');
  const last = decodeSegment(segments[segments.length - 1] ?? '');
  const safe = last
    // Separators of every platform, and characters Windows refuses or shells trip on.
    .replace(/[/\\:*?"<>|]/g, '_')
    // Control characters: C0 (NUL, newlines, ESC), DEL, C1 (U+009B is a CSI on many terminals), and the bidi
    // controls that make a name read otherwise than it is (`exe.txt` shown for `txt.exe`).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: those are exactly what is being removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '_')
    .trim()
    // A leading dot would hide the file, or make `.` and `..`.
    .replace(/^\.+/, '');
  // Room is left for the longest suffix of the files beside it (`.rdl.json.<random>.tmp`), or those fail (R30).
  const name = truncateUtf8(safe, maxBytes);
  return name === '' ? fallbackFileName : name;
};

/**
 * The absolute path of the file to write: `output` as given (relative to `cwd`), or the URL's default name in `cwd`.
 * Refused before any request (R30), as the adapter judges targets: a folder that does not exist, a path naming a
 * folder. A refusal names `flag`, the flag that gave `output` (`-J` for the name it chose).
 */
export const resolveOutputPath = (
  output: string | null,
  url: string,
  cwd: string,
  flag: '--output' | '-J' = '--output',
): E.Either<DownloadFailure, string> => {
  const path = resolve(cwd, output ?? defaultFileName(new URL(url)));
  // `resolve` drops a trailing separator, which says the user meant a folder: keep it for the check.
  const typed = output !== null && /[/\\]$/.test(output) ? `${path}/` : path;
  const problem = targetProblem(typed);
  if (problem === null) return E.right(path);
  return E.left(
    problem._tag === 'InvalidInput' ? { ...problem, field: output === null ? 'output' : flag } : problem,
  );
};
