import { hasControl, redactSignatures, withoutUserinfo } from '@rdl/core/rules';
import { booleanShorts, valuedFlags } from './args.js';
import { withSchemeAssumed } from './quotedValue.js';

/** One character inside `$'…'`: a control as the octal escapes of its UTF-8 bytes, `'` and `\` escaped. */
const ansiC = (char: string): string => {
  if (hasControl(char))
    return [...Buffer.from(char, 'utf8')].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('');
  return char === "'" || char === '\\' ? `\\${char}` : char;
};

/**
 * `arg` as a shell word: as is when it holds only safe characters, else single-quoted. A word with a control or
 * bidi character is ANSI-C quoted (`$'we\033ird.bin'`, bash, zsh, ksh, POSIX.1-2024's sh), its controls as octal
 * bytes: the line is printed escaped (R38), and inside single quotes the `\u001b` it would show stays those six
 * characters, so a pasted hint named another file and fetched it from byte 0.
 */
export const shellWord = (arg: string): string => {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  if (hasControl(arg)) return `$'${[...arg].map(ansiC).join('')}'`;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
};

/** What stands for a secret left out of the printed command. */
const HIDDEN = '…';

/** Headers whose value is no secret: the ones that go on to any origin (R17). */
const PLAIN_HEADERS = new Set(['user-agent', 'accept', 'accept-language']);

const hiddenHeader = (text: string): string => {
  const colon = text.indexOf(':');
  if (colon < 0 || PLAIN_HEADERS.has(text.slice(0, colon).trim().toLowerCase())) return text;
  return `${text.slice(0, colon)}: ${HIDDEN}`;
};

const hiddenUser = (text: string): string => `${text.split(':')[0] ?? ''}:${HIDDEN}`;

/**
 * A secret value as the hint shows it: `-u`'s user without its password, `-H`'s name without its value, `-b`'s
 * cookies as `…` (not a cookie file's name), and
 * `--refresh-command` as `…` whole: it is a shell line that may hold a password or a signature anywhere, and the
 * printed line's redaction of the URLs in it would change the command the pasted hint runs.
 */
const hide = (flag: 'u' | 'H' | 'b' | 'refresh-command', value: string): string => {
  if (flag === 'u') return hiddenUser(value);
  // `-b`: cookies are secrets; a file's name (no `=`) is not, and the hint must name that file.
  if (flag === 'b') return value.includes('=') ? HIDDEN : value;
  return flag === 'H' ? hiddenHeader(value) : HIDDEN;
};

/** The long options whose value is a secret, each with how `hide` shows it (`--user` as `-u`). */
const SECRET_LONG = { user: 'u', header: 'H', cookie: 'b', 'refresh-command': 'refresh-command' } as const;

/**
 * The flag that takes a value in a group of short flags (`-ku alice:pw`: `u`, after the boolean `k`), what comes
 * before its value (`-ku`) and the value joined to it (`alice:pw`, or `''` when it is the next word); `null` for a
 * word that is no such group.
 */
const valuedShort = (arg: string): { flag: string; head: string; rest: string } | null => {
  if (!/^-[^-]/.test(arg)) return null;
  let at = 1;
  while (at < arg.length && booleanShorts.has(arg[at]!)) at += 1;
  if (at >= arg.length) return null;
  return { flag: arg[at]!, head: arg.slice(0, at + 1), rest: arg.slice(at + 1) };
};

/** The options whose value is a URL, whose secrets the hint leaves out (R37). */
const URL_OPTIONS: ReadonlySet<string> = new Set(['--head-url', '--proxy', '--referer']);

/** The short options whose value is a URL: `-e`, `--referer`'s. */
const URL_SHORTS: ReadonlySet<string> = new Set(['e']);

/**
 * The words of `argv` that are URLs, each with what comes before the URL in it (`--proxy=`, `-e`, or `''`) and
 * whether it is a proxy's: the positional words and the values of `--head-url`, `--proxy` and `-e, --referer`. Only they are redacted: an
 * `-o clip;sig=1.mp4` is a file name, and the hint must name that file.
 */
const urlWords = (argv: readonly string[]): Map<number, { prefix: string; proxy: boolean }> => {
  const urls = new Map<number, { prefix: string; proxy: boolean }>();
  const positional = { prefix: '', proxy: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      for (let rest = i + 1; rest < argv.length; rest += 1) urls.set(rest, positional);
      break;
    }
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = equals < 0 ? arg : arg.slice(0, equals);
      if (equals >= 0) {
        if (URL_OPTIONS.has(name)) urls.set(i, { prefix: `${name}=`, proxy: name === '--proxy' });
      } else if (valuedFlags.has(name)) {
        if (URL_OPTIONS.has(name)) urls.set(i + 1, { prefix: '', proxy: name === '--proxy' });
        i += 1;
      }
      continue;
    }
    const short = valuedShort(arg);
    if (short !== null) {
      const url = URL_SHORTS.has(short.flag);
      if (short.rest !== '') {
        if (url) urls.set(i, { prefix: short.head, proxy: false });
      } else if (valuedFlags.has(`-${short.flag}`)) {
        if (url) urls.set(i + 1, { prefix: '', proxy: false });
        i += 1;
      }
      continue;
    }
    // A group of booleans (`-sSL`) is no URL; `-` alone is a positional word.
    if (!/^-[^-]/.test(arg)) urls.set(i, positional);
  }
  return urls;
};

/** A `--proxy` value without its userinfo, one without a scheme too (`alice:pw@host:3128`, which means http://). */
const proxyWithoutUserinfo = (value: string): string => withSchemeAssumed(value, withoutUserinfo);

/**
 * What the hint left out (R37): a value of `-u`, `-H` or `--refresh-command`, a URL's user and password, a URL's
 * signature.
 */
interface LeftOut {
  flagged: boolean;
  password: boolean;
  signature: boolean;
}

/**
 * `argv` word for word, with the secrets of `-u`/`--user` (the password), `-H`/`--header` (the value), `-b`/`--cookie` (a cookie string) and
 * `--refresh-command` (all of it) replaced (R37), and every URL word (`urlWords`) without its userinfo and with its
 * signature redacted.
 */
const withoutSecrets = (argv: readonly string[]): { shown: string[]; left: LeftOut } => {
  const shown = [...argv];
  const left: LeftOut = { flagged: false, password: false, signature: false };
  for (const [i, { prefix, proxy }] of urlWords(argv)) {
    const url = argv[i]!.slice(prefix.length);
    const bare = proxy ? proxyWithoutUserinfo(url) : withoutUserinfo(url);
    const redacted = redactSignatures(bare);
    left.password ||= bare !== url;
    left.signature ||= redacted !== bare;
    shown[i] = `${prefix}${redacted}`;
  }
  const replace = (i: number, word: string): void => {
    left.flagged ||= word !== argv[i];
    shown[i] = word;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const long = /^--(user|header|cookie|refresh-command)(?:=(.*))?$/s.exec(arg);
    if (long !== null) {
      const flag = SECRET_LONG[long[1] as keyof typeof SECRET_LONG];
      if (long[2] !== undefined) replace(i, `--${long[1]}=${hide(flag, long[2])}`);
      else if (i + 1 < argv.length) replace(i + 1, hide(flag, argv[++i]!));
      continue;
    }
    const short = valuedShort(arg);
    if (short === null || (short.flag !== 'u' && short.flag !== 'H' && short.flag !== 'b')) continue;
    const { flag, head, rest } = short;
    if (rest !== '') replace(i, `${head}${hide(flag, rest)}`);
    else if (i + 1 < argv.length) replace(i + 1, hide(flag, argv[++i]!));
  }
  return { shown, left };
};

/**
 * The command line that goes on with an interrupted download: the same command, the same arguments, but for the
 * secrets, which are never printed (R37): a password in a URL is left out, the password of `-u`, the value of a
 * `-H` (but `User-Agent`, `Accept`, `Accept-Language`) and the command of `--refresh-command` are shown as `…`, the
 * signature of a presigned URL is redacted, and a shell comment says to put them back (a URL signed again resumes as
 * well: only its query differs).
 */
export const resumeCommand = (argv: readonly string[]): string => {
  const command = withoutSecretsShown(argv);
  if (!readsListFromStdin(argv)) return command;
  const again = 'with the same list on its standard input';
  return command.includes('  # ') ? `${command}; and ${again}` : `${command}  # ${again}`;
};

/** `-i -` (or `--input-file -`, `--input-file=-`, `-i-`, `-qi -`): the list came on the standard input. */
const readsListFromStdin = (argv: readonly string[]): boolean => {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') return false;
    if (arg === '--input-file=-' || (arg === '--input-file' && argv[i + 1] === '-')) return true;
    const short = valuedShort(arg);
    if (short?.flag !== 'i') continue;
    if (short.rest === '-' || (short.rest === '' && argv[i + 1] === '-')) return true;
  }
  return false;
};

const withoutSecretsShown = (argv: readonly string[]): string => {
  const { shown, left } = withoutSecrets(argv);
  const { flagged, password, signature } = left;
  const command = ['rdl', ...shown].map(shellWord).join(' ');
  const signedAgain = 'put them back, or give the URL signed again';
  if (flagged && signature)
    return `${command}  # the secrets were left out (${HIDDEN}), and the signature of the URL: ${signedAgain}`;
  if (flagged) return `${command}  # the secrets were left out (${HIDDEN}): put them back`;
  if (signature) {
    const what = password ? 'the user and password and the signature were' : 'the signature was';
    return `${command}  # ${what} left out of the URL: ${signedAgain}`;
  }
  return password ? `${command}  # the user and password were left out of the URL: put them back` : command;
};
