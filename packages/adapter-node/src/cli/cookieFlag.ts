import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DownloadFailure } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import { type FileCookie, parseCookieFile } from '../cookieFile.js';

/** What `-b, --cookie` gives, every value read and checked before any request (R30). */
export interface CookieFlag {
  /** The cookie strings (`-b 'a=1; b=2'`), joined: a `Cookie` field sent to the URL's origin only. */
  readonly header: string | null;
  /** The cookies of the files (`-b cookies.txt`), each sent where its domain, path and secure flag match. */
  readonly cookies: readonly FileCookie[];
}

/** The largest cookie file read: a browser's export of every site is some hundreds of KiB. */
export const MAX_COOKIE_FILE_BYTES = 1024 * 1024;

const invalid = (message: string): DownloadFailure => ({ _tag: 'InvalidInput', field: '--cookie', message });

/**
 * The bytes of `file`, at most `MAX_COOKIE_FILE_BYTES`, without blocking (R33's rule for what rdl reads): opened
 * non-blocking, so that a FIFO with no writer cannot hold the command, and read only when it is a regular file.
 */
const readBounded = (file: string): E.Either<DownloadFailure, Buffer> => {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return E.left(invalid(`cannot read ${file} (${(error as { code?: string }).code ?? String(error)})`));
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return E.left(invalid(`${file} is not a regular file`));
    if (info.size > MAX_COOKIE_FILE_BYTES)
      return E.left(invalid(`${file} is ${info.size} bytes, more than a cookie file is read (1 MiB)`));
    // One byte more than allowed tells a file that grew since its size was looked at.
    const buffer = Buffer.alloc(MAX_COOKIE_FILE_BYTES + 1);
    let total = 0;
    for (;;) {
      const got = readSync(fd, buffer, total, buffer.length - total, null);
      if (got === 0) break;
      total += got;
      if (total > MAX_COOKIE_FILE_BYTES)
        return E.left(invalid(`${file} holds more than a cookie file is read (1 MiB)`));
    }
    return E.right(buffer.subarray(0, total));
  } catch (error) {
    return E.left(invalid(`cannot read ${file} (${(error as { code?: string }).code ?? String(error)})`));
  } finally {
    closeSync(fd);
  }
};

const readCookieFile = (file: string): E.Either<DownloadFailure, readonly FileCookie[]> => {
  const bytes = readBounded(file);
  if (E.isLeft(bytes)) return bytes;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.right);
  } catch {
    return E.left(invalid(`${file} is not text (UTF-8)`));
  }
  const cookies = parseCookieFile(text);
  return E.isLeft(cookies)
    ? E.left(invalid(`${file} line ${cookies.left.line}: ${cookies.left.message} (no value of it is shown)`))
    : cookies;
};

/**
 * `-b, --cookie`, repeatable, as curl's: a value holding `=` is cookies as a `Cookie` field gives them
 * (`a=1; b=2`), any other names a cookie file (Netscape format), relative to `cwd`, read now. A string with a control
 * or non-ASCII character (CR, LF: header injection) is refused, never quoted (a cookie is a secret, R37).
 */
export const cookieFlag = (
  values: readonly string[] | undefined,
  cwd: string,
): E.Either<DownloadFailure, CookieFlag> => {
  const strings: string[] = [];
  const cookies: FileCookie[] = [];
  for (const value of values ?? []) {
    if (value.includes('=')) {
      if (!/^[\t\x20-\x7e]*$/.test(value))
        return E.left(invalid('a cookie string holds a control or non-ASCII character (it is not shown)'));
      const trimmed = value.trim().replace(/;$/, '').trim();
      if (trimmed !== '') strings.push(trimmed);
      continue;
    }
    if (value === '') return E.left(invalid('empty: neither cookies (name=value) nor a file name'));
    const read = readCookieFile(resolve(cwd, value));
    if (E.isLeft(read)) return read;
    cookies.push(...read.right);
  }
  return E.right({ header: strings.length === 0 ? null : strings.join('; '), cookies });
};
