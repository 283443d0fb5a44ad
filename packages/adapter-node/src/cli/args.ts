import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { DownloadFailure } from '@rdl/core';
import {
  headersTooLong,
  isHttpUrl,
  MAX_CONNECTIONS,
  parseUrl,
  unpairedSurrogateProblem,
  urlTooLong,
} from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { caCertificatesProblem } from '../caCertificates.js';
import type { FileCookie } from '../cookieFile.js';
import { CookieJar } from '../cookieFile.js';
import type { IpFamily, ResolvedHost } from '../http1/hostLookup.js';
import { parseProxyUrl } from '../http1/proxyRoute.js';
import { type ClientFlags, clientFlags, clientOptions, clientUsage, secondsFlag } from './clientFlags.js';
import { cookieFlag } from './cookieFlag.js';
import {
  decodeInputFile,
  type InputProblem,
  type ListEntry,
  maxInputFileBytes,
  parseInputFile,
} from './inputFile.js';
import { listProblemsText } from './listProblems.js';
import { quotedValue } from './quotedValue.js';
import { resolveFlags } from './resolveFlag.js';
import { unknownOptionMessage } from './unknownOption.js';

/** What the command line asks for, every value checked (R30) but the output path, which `outputPath` checks. */
export interface CliArgs {
  readonly url: string;
  /** `--head-url`: the URL of the HEAD probe (presigned URLs sign HEAD and GET apart). Default: `url`. */
  readonly headUrl: string | null;
  /** `-o, --output`: as typed (`-` is stdout, R32), `null` for the default name taken from the URL. */
  readonly output: string | null;
  /** `--on-change`. Default `'restart'`. */
  readonly onChange: 'restart' | 'fail';
  /** `--retries`: retries in a row without a byte (n retries, n + 1 attempts). Default: core's (8). */
  readonly retries: number | null;
  /** `--stall-timeout` in seconds, as milliseconds. Default: core's (30 s). */
  readonly stallTimeoutMs: number | null;
  /** `-m, --max-time` in seconds, as milliseconds: the run stops (paused, resumable) once it has taken so long. */
  readonly maxTimeMs: number | null;
  /** `--sha256`, lower-cased. */
  readonly sha256: string | null;
  readonly quiet: boolean;
  readonly json: boolean;
  /** `--allow-https-downgrade`: follow a redirect from https to http (R37). Default off. */
  readonly allowHttpsDowngrade: boolean;
  /**
   * `-Y, --speed-limit`: bytes a second below which a body is cut and retried (R25). Default: off, or 1 when
   * `--speed-time` is given alone (curl's).
   */
  readonly lowSpeedLimit: number | null;
  /** `-y, --speed-time` in seconds, as milliseconds: the window of `--speed-limit`. Default: core's (30 s). */
  readonly lowSpeedTimeMs: number | null;
  /** `--limit-rate`: the most bytes a second read, over all connections (R44), as curl's. Default: none. */
  readonly maxBytesPerSecond: number | null;
  /** `-x, --connections`: connections per file, fixed. Default: adaptive (R43). */
  readonly connections: number | null;
  /** `--max-connections`: the cap of the adaptive count. Default: core's (16). */
  readonly maxConnections: number | null;
  /** `--min-split-size`: no segment is split below this many bytes. Default: core's (1 MiB). */
  readonly minSplitBytes: number | null;
  /** `--max-filesize`: the largest file accepted, as curl's (`ERR_TOO_LARGE` past it). Default: any. */
  readonly maxFileBytes: number | null;
  /** `--cacert`: the CA certificates (PEM) that alone are trusted for https, read before any request. Default none. */
  readonly cacert: { readonly file: string; readonly pem: string } | null;
  /**
   * Every download asked for, in order: the URLs of the command line, then those of `-i` (`url` is the first). More
   * than one, or `-i`, runs them as a list (`list`).
   */
  readonly inputs: readonly ListEntry[];
  /**
   * `-i`: the file as messages name it (`the standard input` for `-i -`), and its lines that cannot be used; the
   * list refuses them together with the problems of the lines that parsed, before any request (R30). `null`: no -i.
   */
  readonly inputFile: { readonly name: string; readonly problems: readonly InputProblem[] } | null;
  readonly list: boolean;
  /** `-d, --dir`: the folder the files go to, absolute. Default: the current folder. */
  readonly dir: string | null;
  /** `--create-dirs`: the missing folders of `-o`'s path (and of a list's `out=` names) are made. Default off. */
  readonly createDirs: boolean;
  /** `-j, --jobs`: downloads of a list running at once. Default 4. */
  readonly jobs: number | null;
  /** `-H`, `-u`, `-A`, `-k`, `--connect-timeout`, `-J`, `-R` (clientFlags.ts). */
  readonly client: ClientFlags;
  /**
   * `-b, --cookie <file>`: the cookies of the cookie files, each sent to the requests it matches (a cookie string,
   * `-b 'a=1'`, is a `Cookie` of `client.headers` instead). Default none.
   */
  readonly cookies: readonly FileCookie[];
  /** `--resolve host:port:addr,…`: the addresses of those hosts at those ports, instead of DNS's. Default none. */
  readonly resolve: readonly ResolvedHost[];
  /** `-4, --ipv4` or `-6, --ipv6`: the one IP version connections use. Default (`null`): either. */
  readonly ipFamily: IpFamily | null;
  /** `--proxy`: the proxy of every request, `''` for none. Default (`null`): the environment's (`https_proxy`…). */
  readonly proxy: string | null;
  /** `--noproxy`: hosts reached directly, as `NO_PROXY` lists them. Default (`null`): `no_proxy` / `NO_PROXY`. */
  readonly noProxy: string | null;
  /** `--refresh-command`: a shell command that prints a URL signed again when one expires (R18). Default none. */
  readonly refreshCommand: string | null;
}

export type Command =
  | { readonly _tag: 'Download'; readonly args: CliArgs }
  | { readonly _tag: 'Help' }
  | { readonly _tag: 'Version' };

export const usage = `Usage: rdl <url> [-o <file>] [options]
       rdl <url>... | -i <file> [-d <dir>] [-j <n>] [options]

Downloads <url> to <file>; running the same command again after any interruption resumes. With several URLs or
-i, downloads them all, a few at a time; running it again resumes the unfinished ones and skips those done.

Options:
  -o, --output <file>        where the file goes; - for stdout (default: the URL's last path segment, here)
  -i, --input-file <file>    URLs to download, one a line; blank lines and # comments skipped; an indented
                             out=NAME line under a URL names its file in --dir, as aria2's input files;
                             - reads the list from stdin
  -d, --dir <dir>            the folder the files go to (default: the current folder)
      --create-dirs          make the missing folders of -o's path, and of a list's out= names, as curl's (mode
                             0750), never through a link that leads nowhere or in a folder another user may
                             write (default: a missing folder is an error)
  -j, --jobs <n>             downloads of a list running at once, 1 to 64 (default: 4)
      --head-url <url>       URL of the HEAD probe, for presigned URLs (default: <url>)
      --on-change <policy>   restart | fail, when the file changed on the server (default: restart)
      --retries <n>          retries in a row without a byte before giving up: n + 1 attempts; 0, one attempt
                             (default: 8)
      --stall-timeout <s>    seconds without a byte before the connection is retried (default: 30)
  -m, --max-time <s>         stop after this many seconds, as curl's: paused with every checkpoint saved, exit 28
                             (ERR_MAX_TIME); the same command goes on from the bytes (default: no limit)
  -Y, --speed-limit <rate>   a body slower than this (bytes a second; K, M, G suffixes) for --speed-time is cut
                             and retried, as curl's (default: off)
  -y, --speed-time <s>       the window of --speed-limit (default: 30); given alone, as curl's, it means
                             --speed-limit 1: a body that brings under 1 byte a second for <s> is cut
      --limit-rate <rate>    read at most this many bytes a second, over all connections (K, M, G suffixes), as
                             curl's (default: no limit)
  -x, --connections <n>      connections per file, 1 to 64 (default: adaptive, from 1 up to --max-connections
                             while more connections add speed)
      --max-connections <n>  the most connections the adaptive count reaches, 1 to 64 (default: 16)
      --min-split-size <size>  no segment is split into pieces smaller than this (K, M, G suffixes; default: 1M)
      --max-filesize <size>  refuse a file larger than this (K, M, G suffixes), as curl's: ERR_TOO_LARGE before
                             a byte is written when the server announces more, else once the body runs past it
      --sha256 <hex>         expected SHA-256 of the file, checked before it appears
      --allow-https-downgrade  follow a redirect from https to http (default: refused, ERR_REDIRECT_REFUSED)
      --cacert <file>        trust only the CA certificates of this PEM file for https, as curl's (default: the
                             system's, and NODE_EXTRA_CA_CERTS, which Node reads itself)
${clientUsage.trimEnd()}
  -b, --cookie <data|file>   as curl's, repeatable: 'name=value; n2=v2' is sent as Cookie to the URL's origin
                             only; a name without = is a cookie file (Netscape format, as curl's -c and browser
                             extensions write it), read first, each cookie sent where its domain, path and secure
                             flag match, after redirects too; never printed (default: none)
      --proxy <url>          the proxy, http://[user:password@]host[:port] (port 1080 if left out), '' for none
                             (default: http_proxy, https_proxy, all_proxy, lower case first; -x is --connections,
                             not curl's proxy)
      --resolve <host:port:addr[,addr...]>
                             connect to host:port at these addresses, not DNS's, as curl's, repeatable; Host,
                             SNI and the certificate's check stay the URL's (default: DNS)
  -4, --ipv4                 connect over IPv4 only, as curl's (default: either)
  -6, --ipv6                 connect over IPv6 only, as curl's (default: either)
      --noproxy <list>       hosts reached without the proxy, as NO_PROXY with curl's rules: *, names (and the
                             hosts under them), IP addresses, CIDR ranges, host:port (default: no_proxy, NO_PROXY)
      --refresh-command <cmd>  when a presigned URL expires mid-download, run <cmd> by the shell (30 s at most)
                             and go on with the URL on its first line (a HEAD URL on a second) (default: none;
                             the download stops with ERR_URL_EXPIRED, and the same command with a URL signed
                             again resumes)
  -q, --quiet                print nothing but errors
  -s, --silent               as -q (the error line is still printed, as with curl's -sS)
  -L, --location, -O, --remote-name, -C -, --continue-at -, -f, --fail, -S, --show-error
                             curl's, taken as what rdl always does: follow redirects, name the file from the
                             URL, resume, fail on an HTTP error status, print the error (-C takes - alone)
      --json                 one JSON event a line on stdout; its done event carries the SHA-256
  -h, --help                 this help
  -V, --version              the version

The file's SHA-256 is computed only when it is used: with --sha256 (checked, then shown on the saved line) or
--json (in the done event). Otherwise no hash is computed, which saves about a second of CPU a GiB.
`;

/** The options that name one thing of the run (its list, its file, its checksum…): refused when repeated. */
const ONCE: ReadonlySet<string> = new Set([
  'input-file',
  'output',
  'sha256',
  'head-url',
  'dir',
  'refresh-command',
]);

const options = {
  output: { type: 'string', short: 'o' },
  'head-url': { type: 'string' },
  'input-file': { type: 'string', short: 'i' },
  dir: { type: 'string', short: 'd' },
  jobs: { type: 'string', short: 'j' },
  'on-change': { type: 'string' },
  retries: { type: 'string' },
  'stall-timeout': { type: 'string' },
  'max-time': { type: 'string', short: 'm' },
  sha256: { type: 'string' },
  'speed-limit': { type: 'string', short: 'Y' },
  'limit-rate': { type: 'string' },
  'speed-time': { type: 'string', short: 'y' },
  connections: { type: 'string', short: 'x' },
  'max-connections': { type: 'string' },
  'min-split-size': { type: 'string' },
  'max-filesize': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  'allow-https-downgrade': { type: 'boolean' },
  cacert: { type: 'string' },
  'create-dirs': { type: 'boolean' },
  cookie: { type: 'string', short: 'b', multiple: true },
  resolve: { type: 'string', multiple: true },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  proxy: { type: 'string' },
  noproxy: { type: 'string' },
  'refresh-command': { type: 'string' },
  // curl's habits, taken: what rdl always does (follow redirects, name from the URL, resume, fail on an error
  // status, print its error), and -s as -q.
  location: { type: 'boolean', short: 'L' },
  'remote-name': { type: 'boolean', short: 'O' },
  'continue-at': { type: 'string', short: 'C' },
  fail: { type: 'boolean', short: 'f' },
  silent: { type: 'boolean', short: 's' },
  'show-error': { type: 'boolean', short: 'S' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  ...clientOptions,
} as const;

/** The short flags that take no value, which may come first in a group (`-sSu alice:pw`, `-qi -`). */
export const booleanShorts: ReadonlySet<string> = new Set(
  Object.values(options).flatMap((o) => (o.type === 'boolean' && 'short' in o ? [o.short] : [])),
);

/** The flags that take a value, long and short (`--output`, `-o`). */
export const valuedFlags: ReadonlySet<string> = new Set(
  Object.entries(options).flatMap(([name, o]) =>
    o.type === 'string' ? [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])] : [],
  ),
);

const invalid = (field: string, message: string): DownloadFailure => ({
  _tag: 'InvalidInput',
  field,
  message,
});

/**
 * `parseArgs` refuses `--retries -1` (and `-m -1`, `--resolve -host:80`) as ambiguous; joining a negative number
 * (or curl's removal of a `--resolve` entry) to its option lets the value check say what is wrong with it instead.
 */
const joinNegativeValues = (argv: readonly string[]): string[] => {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    // curl's `--resolve -host:port` (an entry's removal) too, which the entry's check then names.
    const joins = /^-\d/.test(next ?? '') || (arg === '--resolve' && next?.startsWith('-') === true);
    if (valuedFlags.has(arg) && next !== undefined && joins) {
      joined.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
};

const httpUrl = (field: string, value: string): E.Either<DownloadFailure, string> => {
  const tooLong = urlTooLong(value);
  if (tooLong !== null) return E.left(invalid(field, tooLong));
  const url = parseUrl(value);
  // R37: a password or a signature in a URL is never printed, even in a URL that does not parse.
  if (url === null) return E.left(invalid(field, `not a URL: ${quotedValue(value)}`));
  if (!isHttpUrl(url)) {
    return E.left(invalid(field, `unsupported scheme ${url.protocol} (rdl fetches http and https)`));
  }
  return E.right(url.href);
};

const count = (field: string, value: string | undefined): E.Either<DownloadFailure, number | null> => {
  if (value === undefined) return E.right(null);
  if (!/^\d+$/.test(value.trim())) {
    return E.left(invalid(field, `expected a whole number 0 or more, got ${quotedValue(value)}`));
  }
  const n = Number(value);
  return Number.isSafeInteger(n) ? E.right(n) : E.left(invalid(field, `${value} is too large`));
};

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A count of bytes as curl and aria2 write it: a number and an optional K, M or G (1024-based), or B (bytes, as
 * curl's `--limit-rate 10B`); NaN if it is not.
 */
const suffixedBytes = (value: string): number => {
  const match = /^\s*(\d+(?:\.\d+)?)([bBkKmMgG]?)\s*$/.exec(value);
  return match === null ? Number.NaN : Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] ?? 1);
};

/**
 * A count of bytes past `Number.MAX_SAFE_INTEGER` (8 PiB, the most a count of bytes holds exactly) is refused as too
 * large, not as under 1 byte nor as below some minimum it was turned into; `null` for one that is counted.
 */
const tooManyBytes = (field: string, value: string, bytes: number): DownloadFailure | null =>
  bytes > Number.MAX_SAFE_INTEGER
    ? invalid(
        field,
        `${quotedValue(value)} is more than ${Number.MAX_SAFE_INTEGER} bytes (8 PiB), the most rdl counts`,
      )
    : null;

/**
 * A rate in bytes a second as curl writes it: a number and an optional K, M or G (1024-based), from 1 to
 * `Number.MAX_SAFE_INTEGER`; or 0, which curl takes for none (`--limit-rate ${RATE:-0}` in a script, `-Y 0` even
 * with `-y`): `'off'`.
 */
export const byteRate = (
  field: string,
  value: string | undefined,
): E.Either<DownloadFailure, number | 'off' | null> => {
  if (value === undefined) return E.right(null);
  const bytes = suffixedBytes(value);
  if (bytes === 0) return E.right('off');
  const uncounted = tooManyBytes(field, value, bytes);
  if (uncounted !== null) return E.left(uncounted);
  if (!Number.isFinite(bytes) || bytes < 1) {
    return E.left(
      invalid(
        field,
        `expected at least 1 byte a second, or 0 for none (K, M, G suffixes), got ${quotedValue(value)}`,
      ),
    );
  }
  return E.right(Math.floor(bytes));
};

/** `--limit-rate 0`: no limit, as when it is not given. */
const offAsNone = (rate: number | 'off' | null): number | null => (rate === 'off' ? null : rate);

/** A size in bytes: a number and an optional K, M or G (1024-based), from 1 to `Number.MAX_SAFE_INTEGER`. */
const byteSize = (field: string, value: string | undefined): E.Either<DownloadFailure, number | null> => {
  if (value === undefined) return E.right(null);
  const bytes = suffixedBytes(value);
  const uncounted = tooManyBytes(field, value, bytes);
  if (uncounted !== null) return E.left(uncounted);
  if (!Number.isFinite(bytes) || bytes < 1) {
    return E.left(
      invalid(field, `expected a size of at least 1 byte (K, M, G suffixes), got ${quotedValue(value)}`),
    );
  }
  return E.right(Math.floor(bytes));
};

/** A value that reads as a proxy (`http://proxy:3128`, `alice:pw@proxy`, `proxy:3128`): what curl's `-x` takes. */
const looksLikeProxy = (value: string): boolean => /:\/\/|@|^[^\s:/]+:\d+$/.test(value.trim());

/**
 * A count of connections: a whole number from 1 to `MAX_CONNECTIONS`. A proxy given to `-x`, as curl users do, is
 * told where a proxy goes.
 */
const connectionCount = (
  field: string,
  value: string | undefined,
): E.Either<DownloadFailure, number | null> => {
  if (value === undefined) return E.right(null);
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CONNECTIONS) {
    const hint =
      field === '--connections' && looksLikeProxy(value)
        ? " (in rdl -x is --connections, as aria2's; a proxy is --proxy)"
        : '';
    return E.left(
      invalid(
        field,
        `expected a whole number from 1 to ${MAX_CONNECTIONS}, got ${quotedValue(value)}${hint}`,
      ),
    );
  }
  return E.right(n);
};

/**
 * `--cacert`: read and parsed now (R30), so that a missing or unreadable file, or one whose certificates do not
 * parse (which Node would skip unsaid), fails before any request.
 */
const caFile = (
  value: string | undefined,
  cwd: string,
): E.Either<DownloadFailure, { readonly file: string; readonly pem: string } | null> => {
  if (value === undefined) return E.right(null);
  const file = resolve(cwd, value);
  try {
    const pem = readFileSync(file, 'utf8');
    const problem = caCertificatesProblem(pem);
    return problem === null ? E.right({ file, pem }) : E.left(invalid('--cacert', `${file} ${problem}`));
  } catch (error) {
    const reason = (error as { code?: string }).code ?? String(error);
    return E.left(invalid('--cacert', `cannot read ${file} (${reason})`));
  }
};

/** `--proxy`: a proxy URL rdl can use (R30), or `''` for none; shown without its password when refused (R37). */
const proxyUrl = (value: string | undefined): E.Either<DownloadFailure, string | null> => {
  if (value === undefined) return E.right(null);
  if (value === '') return E.right('');
  const proxy = parseProxyUrl(value);
  return E.isLeft(proxy)
    ? E.left(invalid('--proxy', `${proxy.left.proxy}: ${proxy.left.message}`))
    : E.right(value);
};

const onChangePolicy = (value: string | undefined): E.Either<DownloadFailure, 'restart' | 'fail'> => {
  if (value === undefined || value === 'restart') return E.right('restart');
  if (value === 'fail') return E.right('fail');
  return E.left(invalid('--on-change', `expected restart or fail, got ${quotedValue(value)}`));
};

const sha256Hex = (value: string | undefined): E.Either<DownloadFailure, string | null> => {
  if (value === undefined) return E.right(null);
  return /^[0-9a-fA-F]{64}$/.test(value)
    ? E.right(value.toLowerCase())
    : E.left(invalid('--sha256', 'expected 64 hexadecimal digits'));
};

/** Whether `argv` sends the file to stdout (`-o -`), read without parsing. */
const writesToStdout = (argv: readonly string[]): boolean =>
  argv.some((arg, i) => {
    if (arg === '--output=-' || (arg === '--output' && argv[i + 1] === '-')) return true;
    if (!/^-[^-]/.test(arg)) return false;
    // `-o -`, `-o-`, and after grouped booleans: `-qo -`, `-qo-`.
    let at = 1;
    while (at < arg.length && booleanShorts.has(arg[at]!)) at += 1;
    if (arg[at] !== 'o') return false;
    const rest = arg.slice(at + 1);
    return rest === '-' || (rest === '' && argv[i + 1] === '-');
  });

/**
 * Whether `--json` was asked for, read without parsing, so that a parse error can still be reported as JSON. Not
 * with `-o -`: stdout is the file's, and the refusal of that pair goes to stderr alone.
 */
export const wantsJson = (argv: readonly string[]): boolean =>
  argv.includes('--json') && !writesToStdout(argv);

/** rdl's message for the first option of `args` it does not have, `null` when it has them all. */
const unknownOptionOf = (args: readonly string[]): string | null => {
  const { tokens } = parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const unknown = tokens.find((token) => token.kind === 'option' && !Object.hasOwn(options, token.name));
  return unknown?.kind === 'option' ? unknownOptionMessage(unknown.rawName, args[unknown.index] ?? '') : null;
};

/**
 * Reads the command line. Every failure is `InvalidInput` (R30), found before any request. Files named by it
 * (`--cacert`, `-i`) are relative to `cwd`. Asynchronous for `-i`'s list, which may be long or come on a pipe that
 * never ends: a signal is heard while it is read (R24), where a synchronous read would hold it off.
 */
export const parseCommand = async (
  argv: readonly string[],
  cwd = '.',
): Promise<E.Either<DownloadFailure, Command>> => {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true; tokens: true }>
  >;
  const args = joinNegativeValues(argv);
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    const unknown = unknownOptionOf(args);
    if (unknown !== null) return E.left(invalid('arguments', unknown));
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return E.left(invalid('arguments', message));
  }
  const { values, positionals } = parsed;
  // parseArgs keeps the last of a repeated option: for these, the first would be dropped unsaid (`-i a -i b` ran b
  // alone; a wrong `--sha256` before the right one was never checked).
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || !ONCE.has(token.name)) continue;
    if (seen.has(token.name))
      return E.left(invalid(`--${token.name}`, 'given more than once: it names one thing, given once'));
    seen.add(token.name);
  }
  if (values.help === true) return E.right({ _tag: 'Help' });
  if (values.version === true) return E.right({ _tag: 'Version' });
  const inputFile =
    values['input-file'] === undefined ? E.right(null) : await readInputFile(values['input-file'], cwd);
  if (E.isLeft(inputFile)) return inputFile;
  if (positionals.length === 0 && inputFile.right === null) {
    return E.left(invalid('arguments', 'missing <url> (see rdl --help)'));
  }
  const list = positionals.length > 1 || inputFile.right !== null;
  if (list) {
    for (const [flag, given] of [
      ['--output', values.output !== undefined],
      ['--sha256', values.sha256 !== undefined],
      ['--head-url', values['head-url'] !== undefined],
      ['--content-disposition', values['content-disposition'] === true],
      ['--refresh-command', values['refresh-command'] !== undefined],
    ] as const) {
      if (given) {
        return E.left(
          invalid(flag, 'names one download: with several URLs or -i, use -d and out= lines instead'),
        );
      }
    }
  }
  if (values['continue-at'] !== undefined && values['continue-at'] !== '-') {
    return E.left(
      invalid(
        '--continue-at',
        `${quotedValue(values['continue-at'])}: rdl resumes from its own checkpoint, checked against the server; only - is taken`,
      ),
    );
  }
  if (values['remote-name'] === true && values.output !== undefined) {
    return E.left(invalid('--remote-name', 'and -o both name the file: give one'));
  }
  if (values.output === '') return E.left(invalid('--output', 'empty file name'));
  if (values['refresh-command']?.trim() === '') return E.left(invalid('--refresh-command', 'empty command'));
  if (values.output === '-' && values.json === true) {
    return E.left(invalid('--json', 'with -o - the file goes to stdout, which the JSON lines would corrupt'));
  }

  const commandLine = positionals.map((value) => httpUrl('url', value));
  for (const each of commandLine) if (E.isLeft(each)) return each;
  const inputs: ListEntry[] = [
    ...commandLine.map((each) => ({
      url: (each as E.Right<string>).right,
      out: null,
      line: null,
      outLine: null,
    })),
    ...(inputFile.right?.entries ?? []),
  ];
  if (inputs.length === 0) {
    const read = inputFile.right;
    // Nothing parsed: the file's own problems are all there is to tell.
    if (read !== null && read.problems.length > 0)
      return E.left(invalid('list', listProblemsText(read.problems, read.name)));
    return E.left(invalid('--input-file', 'it lists no URL'));
  }
  const url = E.right(inputs[0]!.url);
  const dir = values.dir === undefined ? E.right(null) : folder(values.dir, cwd);
  const jobs = connectionCount('--jobs', values.jobs);
  const headUrl =
    values['head-url'] === undefined ? E.right(null) : httpUrl('--head-url', values['head-url']);
  const onChange = onChangePolicy(values['on-change']);
  const retries = count('--retries', values.retries);
  const stallTimeoutMs = secondsFlag('--stall-timeout', values['stall-timeout']);
  const maxTimeMs = secondsFlag('--max-time', values['max-time']);
  const sha256 = sha256Hex(values.sha256);
  const lowSpeedRate = byteRate('--speed-limit', values['speed-limit']);
  const lowSpeedTimeMs = secondsFlag('--speed-time', values['speed-time']);
  const maxBytesPerSecond = E.map(offAsNone)(byteRate('--limit-rate', values['limit-rate']));
  const cacert = caFile(values.cacert, cwd);
  const connections = connectionCount('--connections', values.connections);
  const maxConnections = connectionCount('--max-connections', values['max-connections']);
  const minSplitBytes = byteSize('--min-split-size', values['min-split-size']);
  const maxFileBytes = byteSize('--max-filesize', values['max-filesize']);
  const client = E.isLeft(url)
    ? url
    : clientFlags(values, url.right, E.isRight(headUrl) ? headUrl.right : null);
  const proxy = proxyUrl(values.proxy);
  const cookies = cookieFlag(values.cookie, cwd);
  const hosts = resolveFlags(
    values,
    inputs.map((input) => input.url),
  );

  if (E.isLeft(url)) return url;
  if (E.isLeft(dir)) return dir;
  if (E.isLeft(jobs)) return jobs;
  if (E.isLeft(headUrl)) return headUrl;
  if (E.isLeft(onChange)) return onChange;
  if (E.isLeft(retries)) return retries;
  if (E.isLeft(stallTimeoutMs)) return stallTimeoutMs;
  if (E.isLeft(maxTimeMs)) return maxTimeMs;
  if (E.isLeft(sha256)) return sha256;
  if (E.isLeft(lowSpeedRate)) return lowSpeedRate;
  if (E.isLeft(lowSpeedTimeMs)) return lowSpeedTimeMs;
  // curl's: -y without -Y is a limit of 1 byte a second over that window, not a -y dropped unsaid; -Y 0 is none.
  const lowSpeedLimit =
    lowSpeedRate.right === 'off' ? null : (lowSpeedRate.right ?? (lowSpeedTimeMs.right === null ? null : 1));
  if (E.isLeft(maxBytesPerSecond)) return maxBytesPerSecond;
  if (maxBytesPerSecond.right !== null && lowSpeedLimit !== null && maxBytesPerSecond.right < lowSpeedLimit) {
    return E.left(
      invalid(
        '--limit-rate',
        `${maxBytesPerSecond.right} is below --speed-limit ${lowSpeedLimit}, which it would trip`,
      ),
    );
  }
  if (E.isLeft(cacert)) return cacert;
  if (E.isLeft(connections)) return connections;
  if (E.isLeft(maxConnections)) return maxConnections;
  if (E.isLeft(minSplitBytes)) return minSplitBytes;
  if (E.isLeft(maxFileBytes)) return maxFileBytes;
  if (E.isLeft(client)) return client;
  if (E.isLeft(cookies)) return cookies;
  const headers = withCookieString(client.right.headers, cookies.right.header);
  // R30: what every download would refuse is refused here, before any request or file.
  const headersProblem = headersTooLong(headers);
  if (headersProblem !== null) return E.left(invalid('--header', headersProblem));
  const cookiesProblem = fileCookiesTooLong(cookies.right.cookies, headers, [
    ...inputs.map((input) => input.url),
    ...(headUrl.right === null ? [] : [headUrl.right]),
  ]);
  if (cookiesProblem !== null) return E.left(invalid('--cookie', cookiesProblem));
  if (E.isLeft(proxy)) return proxy;
  if (E.isLeft(hosts)) return hosts;
  if (
    connections.right !== null &&
    maxConnections.right !== null &&
    maxConnections.right < connections.right
  ) {
    return E.left(
      invalid('--max-connections', `${maxConnections.right} is below --connections ${connections.right}`),
    );
  }

  return E.right({
    _tag: 'Download',
    args: {
      url: url.right,
      headUrl: headUrl.right,
      output: values.output ?? null,
      onChange: onChange.right,
      retries: retries.right,
      stallTimeoutMs: stallTimeoutMs.right,
      maxTimeMs: maxTimeMs.right,
      sha256: sha256.right,
      quiet: values.quiet === true || values.silent === true,
      json: values.json === true,
      allowHttpsDowngrade: values['allow-https-downgrade'] === true,
      lowSpeedLimit,
      lowSpeedTimeMs: lowSpeedTimeMs.right,
      maxBytesPerSecond: maxBytesPerSecond.right,
      cacert: cacert.right,
      connections: connections.right,
      maxConnections: maxConnections.right,
      minSplitBytes: minSplitBytes.right,
      maxFileBytes: maxFileBytes.right,
      inputs,
      inputFile:
        inputFile.right === null ? null : { name: inputFile.right.name, problems: inputFile.right.problems },
      list,
      dir: dir.right,
      createDirs: values['create-dirs'] === true,
      jobs: jobs.right,
      client: { ...client.right, headers },
      cookies: cookies.right.cookies,
      resolve: hosts.right.resolve,
      ipFamily: hosts.right.ipFamily,
      proxy: proxy.right,
      noProxy: values.noproxy ?? null,
      refreshCommand: values['refresh-command'] ?? null,
    },
  });
};

/** `headers` with the cookie strings of `-b` after a `-H Cookie` (joined by `; `, as repeated ones are). */
const withCookieString = (
  headers: Readonly<Record<string, string>>,
  cookie: string | null,
): Readonly<Record<string, string>> => {
  if (cookie === null) return headers;
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'cookie');
  return name === undefined
    ? { ...headers, Cookie: cookie }
    : { ...headers, [name]: `${headers[name]}; ${cookie}` };
};

/**
 * R30: the cookies of the files that a URL of the command line would be sent, with the headers, past what rdl sends
 * (`headersTooLong`): said now rather than as a server's 431 on every attempt. Without a value shown.
 */
const fileCookiesTooLong = (
  cookies: readonly FileCookie[],
  headers: Readonly<Record<string, string>>,
  urls: readonly string[],
): string | null => {
  if (cookies.length === 0) return null;
  const jar = new CookieJar(cookies);
  const now = Date.now();
  for (const url of urls) {
    const fromFile = jar.headerFor(new URL(url), now);
    if (fromFile === null) continue;
    const problem = headersTooLong(withCookieString(headers, fromFile));
    if (problem !== null)
      return `the cookies of the file for ${new URL(url).host}, with the headers: ${problem}`;
  }
  return null;
};

/** `-i -`: the list comes on the standard input (aria2's and wget's `-i -`). */
export const STDIN_LIST = '-';

/**
 * Everything `input` holds up to its end, or `null` once it holds more than `max` bytes (read no further, `input`
 * destroyed): a pipe, a file or a terminal (to Ctrl-D) alike. A stream of the event loop, so that a signal ends a
 * read that waits for ever (a writer that never closes its pipe): a synchronous read kept Node from running any
 * signal's handler, and one in the thread pool would hold the process's exit until the pipe ended.
 */
export const readToEnd = async (input: Readable, max: number): Promise<Buffer | null> => {
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += piece.length;
    if (total > max) {
      input.destroy();
      return null;
    }
    pieces.push(piece);
  }
  return Buffer.concat(pieces, total);
};

/**
 * `-i`: read now (R30), every line judged: the entries that parsed, and the lines that cannot be used, which the
 * list refuses with its other problems before any request. `-i -` reads the standard input to its end; any other
 * name must be a regular file (a FIFO with no writer would hold the command forever).
 */
const readInputFile = async (
  value: string,
  cwd: string,
): Promise<
  E.Either<
    DownloadFailure,
    {
      readonly name: string;
      readonly entries: readonly ListEntry[];
      readonly problems: readonly InputProblem[];
    }
  >
> => {
  const file = value === STDIN_LIST ? 'the standard input' : resolve(cwd, value);
  let bytes: Uint8Array;
  try {
    if (value === STDIN_LIST) {
      const read = await readToEnd(process.stdin, maxInputFileBytes);
      if (read === null)
        return E.left(
          invalid('--input-file', `${file} holds more than a list can be (${maxInputFileBytes} bytes)`),
        );
      bytes = read;
    } else {
      const info = statSync(file);
      if (!info.isFile())
        return E.left(invalid('--input-file', `${file} is not a regular file (a pipe goes in as -i -)`));
      if (info.size > maxInputFileBytes) {
        return E.left(invalid('--input-file', `${file} is ${info.size} bytes, more than a list can be`));
      }
      bytes = await readFile(file);
    }
  } catch (error) {
    const reason = (error as { code?: string }).code ?? String(error);
    return E.left(invalid('--input-file', `cannot read ${file} (${reason})`));
  }
  const decoded = decodeInputFile(bytes);
  // Not text: no line of it is judged, as none can be read as written.
  if ('problem' in decoded) return E.left(invalid('list', listProblemsText([decoded.problem], file)));
  return E.right({ name: file, ...parseInputFile(decoded.text) });
};

/** `-d`: an existing folder, absolute (R30), whose name is well-formed text (R23: `unpairedSurrogateProblem`). */
const folder = (value: string, cwd: string): E.Either<DownloadFailure, string> => {
  const malformed = unpairedSurrogateProblem(value);
  if (malformed !== null) return E.left(invalid('--dir', malformed));
  const dir = resolve(cwd, value);
  try {
    if (!statSync(dir).isDirectory()) return E.left(invalid('--dir', `${dir} is not a folder`));
  } catch (error) {
    const reason = (error as { code?: string }).code ?? String(error);
    return E.left(invalid('--dir', `cannot use ${dir} (${reason})`));
  }
  return E.right(dir);
};
