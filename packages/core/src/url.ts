/**
 * The WHATWG `URL` class is the one platform global core uses: every runtime rdl targets (Node.js, browsers,
 * workers, Deno, Bun) has it, and parsing URLs by hand is how redirect and origin checks go wrong. Core compiles
 * with `lib: ["ES2022"]` and no DOM, so the part it uses is declared here.
 */
declare global {
  class URL {
    constructor(url: string, base?: string);
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
}

/** Parses `value` as an absolute URL, or returns `null`. */
export const parseUrl = (value: string, base?: string): URL | null => {
  try {
    return base === undefined ? new URL(value) : new URL(value, base);
  } catch {
    return null;
  }
};

/** Whether `url` is http(s), the only schemes rdl fetches (R17, R30). */
export const isHttpUrl = (url: URL): boolean => url.protocol === 'http:' || url.protocol === 'https:';
