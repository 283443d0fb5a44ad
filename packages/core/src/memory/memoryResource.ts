import { gzipStored } from './gzipStored.js';

/** One version of a resource, as the server sends it. */
export interface ResourceVersion {
  /** The bytes of the representation as sent (gzip-encoded when `contentEncoding` is `gzip`). */
  readonly bytes: Uint8Array;
  /** The bytes before any content coding. */
  readonly content: Uint8Array;
  /** Verbatim, weak ones included (`W/"…"`); `null`: no ETag header. */
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly contentEncoding: 'gzip' | null;
  /** Whether Range requests are honoured (and `Accept-Ranges: bytes` sent). */
  readonly acceptRanges: boolean;
  /** Whether Content-Length is sent; without it the body is chunked and ranges are not served (R15). */
  readonly lengthKnown: boolean;
}

/** How a version is served. Every field has a default. */
export interface ResourceOptions {
  /** The ETag, verbatim. Default: a fresh strong tag per version; `null`: none. */
  readonly etag?: string | null;
  /** Serve the default ETag as weak (`W/"…"`). Default false. */
  readonly weakEtag?: boolean;
  /** The Last-Modified date. Default: a day before the server's clock plus the version number in seconds. */
  readonly lastModified?: string | null;
  /** Serve the representation gzip-encoded (R5). Default false. */
  readonly gzip?: boolean;
  /** Default true. */
  readonly acceptRanges?: boolean;
  /** Default true. */
  readonly lengthKnown?: boolean;
}

const DAY_MS = 86_400_000;

/** HTTP-date (IMF-fixdate) of `ms`. */
export const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** A resource served by `MemoryServer`: a list of versions, the last one current. */
export class MemoryResource {
  readonly #id: string;
  readonly #versions: ResourceVersion[] = [];

  constructor(id: string) {
    this.#id = id;
  }

  get current(): ResourceVersion {
    const version = this.#versions.at(-1);
    if (version === undefined) throw new Error(`resource ${this.#id} has no version`);
    return version;
  }

  get versions(): readonly ResourceVersion[] {
    return this.#versions;
  }

  /** Adds a version that becomes current: a new ETag and Last-Modified unless given. */
  publish(content: Uint8Array, options: ResourceOptions, nowMs: number): ResourceVersion {
    const number = this.#versions.length + 1;
    const tag = `"${this.#id}-v${number}-${content.length}"`;
    const etag = options.etag === undefined ? (options.weakEtag ? `W/${tag}` : tag) : options.etag;
    const gzip = options.gzip ?? false;
    const version: ResourceVersion = {
      bytes: gzip ? gzipStored(content) : content.slice(),
      content: content.slice(),
      etag,
      lastModified:
        options.lastModified === undefined ? httpDate(nowMs - DAY_MS + number * 1000) : options.lastModified,
      contentEncoding: gzip ? 'gzip' : null,
      acceptRanges: options.acceptRanges ?? true,
      lengthKnown: options.lengthKnown ?? true,
    };
    this.#versions.push(version);
    return version;
  }
}
