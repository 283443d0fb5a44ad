import { redactSignatures, unparsedUrlShown } from '@rdl/core/rules';

/** The most characters of a refused value a message quotes. */
const QUOTED_LENGTH = 200;

const SCHEME = /^\s*[a-z][a-z\d+.-]*:\/\//i;

/**
 * `strip` (a way to take the userinfo out of a URL) applied to `value`, one without a scheme too:
 * `alice:pw@proxy:3128` is how curl takes a proxy, read as http:// for its userinfo to be found, shown as it was
 * typed. Without the scheme, `alice:` read as one and left the password in, or took the host for it.
 */
export const withSchemeAssumed = (value: string, strip: (url: string) => string): string => {
  if (SCHEME.test(value)) return strip(value);
  const assumed = 'http://';
  return strip(`${assumed}${value}`).slice(assumed.length);
};

/** `value` without the userinfo of a URL in it (`unparsedUrlShown`), one without a scheme too. */
const withoutCredentials = (value: string): string =>
  value.includes('@') ? withSchemeAssumed(value, unparsedUrlShown) : unparsedUrlShown(value);

/**
 * A value the command line or an input file refused, as its message quotes it: in double quotes, cut at 200
 * characters, never with a password or a signature in it (R37). A user who typed a URL where a number goes
 * (`rdl -x http://alice:pw@proxy:3128`, curl's proxy) must not find the password on stderr or in a JSON line.
 * Every message that quotes what the user gave goes through here.
 */
export const quotedValue = (value: string): string =>
  JSON.stringify(redactSignatures(withoutCredentials(value)).slice(0, QUOTED_LENGTH));
