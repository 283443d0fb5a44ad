/**
 * The part of the WHATWG `URL` class core reads. `URL` is the one platform global core uses: every runtime rdl
 * targets (Node.js, browsers, workers, Deno, Bun) has it, and parsing URLs by hand is how redirect and origin checks
 * go wrong. Core compiles with `lib: ["ES2022"]` and no DOM, so it names the shape it needs.
 */
export interface ParsedUrl {
  readonly href: string;
  readonly origin: string;
  readonly protocol: string;
  readonly pathname: string;
  readonly search: string;
  readonly hostname: string;
  readonly port: string;
  readonly username: string;
  readonly password: string;
  hash: string;
}

/**
 * The platform's `URL`, declared for this module only: a global declaration would be emitted into core's `.d.ts`
 * files and clash with `lib.dom.d.ts` and `@types/node` in a consumer's project (TS2300).
 */
declare const URL: new (url: string, base?: string) => ParsedUrl;

/** Parses `value` as an absolute URL, or returns `null`. */
export const parseUrl = (value: string, base?: string): ParsedUrl | null => {
  try {
    return base === undefined ? new URL(value) : new URL(value, base);
  } catch {
    return null;
  }
};

/** Whether `url` is http(s), the only schemes rdl fetches (R17, R30). */
export const isHttpUrl = (url: ParsedUrl): boolean => url.protocol === 'http:' || url.protocol === 'https:';

/**
 * The longest URL rdl takes (R30): servers refuse far shorter request lines (nginx 8 KiB, Apache 8190 bytes), and
 * a longer one would not fit the records a queue keeps of it (R45).
 */
export const MAX_URL_CHARS = 32 * 1024;

/** Why `value` is too long to be a URL rdl takes, or `null`. */
export const urlTooLong = (value: string): string | null =>
  value.length > MAX_URL_CHARS
    ? `a URL of ${value.length} characters, more than the ${MAX_URL_CHARS} rdl takes (no server takes one so long)`
    : null;
