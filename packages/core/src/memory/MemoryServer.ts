import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { parseUrl } from '../model/url.js';
import type { AbortSignalLike } from '../ports/abort.js';
import type { Clock } from '../ports/Clock.js';
import type { HeaderMap, HttpFailure, HttpPort, HttpRequest, HttpResponse } from '../ports/HttpPort.js';
import { redirectStep } from '../rules/redirect.js';
import { bentAnswer } from './bentAnswer.js';
import type { Fault, FaultMatch } from './faults.js';
import { gzipStored } from './gzipStored.js';
import { answerRequest } from './httpAnswer.js';
import { MemoryBody } from './MemoryBody.js';
import { httpDate, MemoryResource, type ResourceOptions, type ResourceVersion } from './memoryResource.js';

/** What `recycle` fills given-back chunks with (`slotBodies`). */
const POISON = 0xee;

export interface MemoryServerOptions {
  /** Gives `Date` and `Last-Modified`, and paces chunks. Default: a clock stopped at 2024-01-01T00:00:00Z. */
  readonly clock?: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /** Bytes per body chunk. Default 16 384. */
  readonly chunkSize?: number;
  /** Delay before each chunk, on `clock`. Default 0 (chunks come at once). */
  readonly chunkDelayMs?: number;
  /**
   * One link for every body: chunks leave one after another, `chunkDelayMs` each, however many connections there
   * are, as on a link that one connection fills. Default false: each body is paced on its own.
   */
  readonly sharedLink?: boolean;
  /** Follow redirects as an adapter must, with `redirectStep` (R17, R37); `false` hands 3xx answers back. Default true. */
  readonly followRedirects?: boolean;
  /** Follow a redirect from https to http (R37). Default false: refused. */
  readonly allowHttpsDowngrade?: boolean;
  /**
   * Bodies as adjacent views of one buffer (what a slot-reading transport gives), with a `recycle` that poisons
   * what it is given back (fills it with 0xEE): a consumer that read a chunk after giving it back would write
   * poison, and tests comparing bytes would see it. Default false: a fresh copy per chunk and no `recycle`.
   */
  readonly slotBodies?: boolean;
}

/** A request as the server saw it (one per redirect hop). */
export interface RecordedRequest {
  readonly method: 'HEAD' | 'GET';
  readonly url: string;
  /** Header names lower-cased. */
  readonly headers: HeaderMap;
}

interface QueuedFaults {
  readonly faults: readonly Fault[];
  readonly match: FaultMatch;
  remaining: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const stoppedClock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'> = {
  now: () => 1_704_067_200_000,
  setTimeout: () => {
    throw new Error('MemoryServer: chunkDelayMs needs a clock');
  },
  clearTimeout: () => undefined,
};

const lowerCased = (headers: HeaderMap): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

const normalize = (url: string): string => parseUrl(url)?.href ?? url;

const untilAborted = (signal: AbortSignalLike): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/**
 * An `HttpPort` that is also the server: it serves versions of resources like a correct RFC 9110 server, and
 * misbehaves on demand through a queue of faults (`inject`), every way the resume rules (docs/resume-rules.md) name. It records each request.
 */
export class MemoryServer implements HttpPort {
  readonly #resources = new Map<string, MemoryResource>();
  readonly #routes = new Map<string, { location: string; status: 301 | 302 | 303 | 307 | 308 }>();
  #queue: QueuedFaults[] = [];
  readonly #requests: RecordedRequest[] = [];
  readonly #clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  readonly #chunkSize: number;
  readonly #chunkDelayMs: number;
  readonly #sharedLink: boolean;
  /** With a shared link, when it is free for the next chunk. */
  #linkFreeAt = 0;
  readonly #slotBodies: boolean;
  #recycledBytes = 0;
  readonly #followRedirects: boolean;
  readonly #allowHttpsDowngrade: boolean;
  #bytesSent = 0;
  #nextId = 1;
  /** Bodies of GETs being sent now, and the most there were at once. */
  #open = 0;
  #mostOpen = 0;
  #connectionLimit: { readonly max: number; readonly status: number } | null = null;

  constructor(options: MemoryServerOptions = {}) {
    this.#clock = options.clock ?? stoppedClock;
    this.#chunkSize = options.chunkSize ?? 16_384;
    this.#chunkDelayMs = options.chunkDelayMs ?? 0;
    this.#sharedLink = options.sharedLink ?? false;
    this.#slotBodies = options.slotBodies ?? false;
    this.#followRedirects = options.followRedirects ?? true;
    this.#allowHttpsDowngrade = options.allowHttpsDowngrade ?? false;
  }

  /** Serves `content` at `url`: a new resource, or a new version (new ETag) of the one there. */
  publish(url: string, content: Uint8Array, options: ResourceOptions = {}): ResourceVersion {
    const key = normalize(url);
    let resource = this.#resources.get(key);
    if (resource === undefined) {
      resource = new MemoryResource(`r${this.#nextId++}`);
      this.#resources.set(key, resource);
    }
    return resource.publish(content, options, this.#clock.now());
  }

  /** The resource at `url`, to serve it at another URL too (`mount`) or look at its versions. */
  resource(url: string): MemoryResource | null {
    return this.#resources.get(normalize(url)) ?? null;
  }

  /** Serves `resource` at `url` as well (a refreshed presigned URL, a CDN name). */
  mount(url: string, resource: MemoryResource): void {
    this.#resources.set(normalize(url), resource);
  }

  /** Stops serving `url` (404). */
  unpublish(url: string): void {
    this.#resources.delete(normalize(url));
  }

  /** Every request to `from` is redirected to `location`. */
  redirect(from: string, location: string, status: 301 | 302 | 303 | 307 | 308 = 302): void {
    this.#routes.set(normalize(from), { location, status });
  }

  /** Queues `faults` for the next request(s) matching `match` (default: the next request, once). */
  inject(faults: Fault | readonly Fault[], match: FaultMatch = {}): void {
    const list: readonly Fault[] = Array.isArray(faults) ? faults : [faults as Fault];
    this.#queue.push({ faults: list, match, remaining: match.times ?? 1 });
  }

  /** HEAD answers `status` (default 405) `times` times (default always) (R16). */
  refuseHead(status = 405, times = Number.POSITIVE_INFINITY): void {
    this.inject({ _tag: 'Status', status, retryAfter: null, headers: {} }, { method: 'HEAD', times });
  }

  /**
   * Like nginx's `limit_conn`: a GET that comes while `max` bodies are being sent is answered `status` (default
   * 503) at once (R43). `null` lifts the limit.
   */
  limitConnections(max: number | null, status = 503): void {
    this.#connectionLimit = max === null ? null : { max, status };
  }

  /** The most GET bodies that were being sent at once. */
  /** GET bodies being sent now. */
  get openConnections(): number {
    return this.#open;
  }

  /** The wait of the next chunk on the shared link: it leaves once the chunks before it have. */
  #linkDelay(): number {
    const now = this.#clock.now();
    this.#linkFreeAt = Math.max(now, this.#linkFreeAt) + this.#chunkDelayMs;
    return this.#linkFreeAt - now;
  }

  get mostConnections(): number {
    return this.#mostOpen;
  }

  /** Drops every queued fault. */
  clearFaults(): void {
    this.#queue = [];
  }

  /** How many queued entries still have requests to hit. */
  pendingFaults(): number {
    return this.#queue.length;
  }

  /** Every request so far, one per redirect hop, in order. */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** Body bytes handed out so far, over every response (R26: nothing downloaded twice). */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** Body bytes given back through `recycle` (with `slotBodies`). */
  get recycledBytes(): number {
    return this.#recycledBytes;
  }

  request(request: HttpRequest): TaskEither<HttpFailure, HttpResponse> {
    return () => this.#follow(request);
  }

  async #follow(request: HttpRequest): Promise<E.Either<HttpFailure, HttpResponse>> {
    let url = request.url;
    let headers = lowerCased(request.headers);
    let leftOrigin = false;
    for (let hop = 0; ; hop += 1) {
      const answered = await this.#answer(request.method, url, headers, request.signal);
      if (E.isLeft(answered)) return answered;
      const response = answered.right;
      const location = response.headers.location;
      if (!this.#followRedirects || !REDIRECT_STATUSES.has(response.status) || location === undefined) {
        return E.right({ ...response, leftOrigin });
      }
      const next = redirectStep({
        from: url,
        location,
        status: response.status,
        method: request.method,
        headers,
        hop,
        allowHttpsDowngrade: this.#allowHttpsDowngrade,
      });
      if (E.isLeft(next)) return next;
      url = next.right.url;
      headers = next.right.headers;
      leftOrigin ||= next.right.crossOrigin;
    }
  }

  async #answer(
    method: 'HEAD' | 'GET',
    url: string,
    headers: Record<string, string>,
    signal: AbortSignalLike,
  ): Promise<E.Either<HttpFailure, HttpResponse>> {
    await Promise.resolve();
    this.#requests.push({ method, url, headers: { ...headers } });
    if (signal.aborted) return E.left({ _tag: 'Aborted' });
    const limit = this.#connectionLimit;
    if (method === 'GET' && limit !== null && this.#open >= limit.max) {
      return E.right({
        status: limit.status,
        url,
        headers: { date: httpDate(this.#clock.now()), 'content-length': '0' },
        body: new MemoryBody(new Uint8Array(0), {
          chunkSize: this.#chunkSize,
          cutAfter: null,
          stallAfter: null,
          signal,
          clock: this.#clock as Clock,
          delayMs: 0,
          onBytes: () => undefined,
        }),
      });
    }
    const faults = this.#takeFaults(method, url, headers.range !== undefined);
    const has = (tag: Fault['_tag']) => faults.some((f) => f._tag === tag);
    const networkError = faults.find((f) => f._tag === 'NetworkError');
    if (networkError !== undefined) return E.left({ _tag: 'NetworkError', message: networkError.message });
    if (has('NoResponse')) {
      await untilAborted(signal);
      return E.left({ _tag: 'Aborted' });
    }
    const key = normalize(url);
    const route = this.#routes.get(key);
    const date = httpDate(this.#clock.now());
    const resource = this.#resources.get(key) ?? null;
    for (const f of faults) {
      if (f._tag === 'ChangeResource' && resource !== null) {
        resource.publish(
          f.content ?? resource.current.content.map((byte) => byte ^ 0x5a),
          {},
          this.#clock.now(),
        );
      }
    }
    let version = resource?.current ?? null;
    if (version !== null && has('Gzip') && version.contentEncoding === null) {
      const etag = version.etag === null ? null : version.etag.replace(/"$/, '-gzip"');
      version = { ...version, bytes: gzipStored(version.content), etag, contentEncoding: 'gzip' };
    }
    const requestHeaders = has('IgnoreRange') ? withoutRange(headers) : headers;
    const correct =
      route === undefined
        ? answerRequest(method, requestHeaders, version, date)
        : {
            status: route.status,
            headers: { date, location: route.location, 'content-length': '0' },
            body: new Uint8Array(0),
            range: null,
          };
    const answer = bentAnswer(correct, faults, method, version, date);
    const cut = faults.find((f) => f._tag === 'CutBody');
    const stall = faults.find((f) => f._tag === 'Stall');
    const pace = faults.find((f) => f._tag === 'Pace');
    const counted = method === 'GET';
    if (counted) {
      this.#open += 1;
      this.#mostOpen = Math.max(this.#mostOpen, this.#open);
    }
    const body = new MemoryBody(answer.body, {
      chunkSize: this.#chunkSize,
      cutAfter: cut === undefined ? null : cut.afterBytes,
      stallAfter: stall === undefined ? null : stall.afterBytes,
      signal,
      clock: this.#clock as Clock,
      delayMs:
        pace !== undefined ? pace.delayMs : this.#sharedLink ? () => this.#linkDelay() : this.#chunkDelayMs,
      onBytes: (count) => {
        this.#bytesSent += count;
      },
      adjacentChunks: this.#slotBodies,
      onEnd: () => {
        if (counted) this.#open -= 1;
      },
    });
    if (!this.#slotBodies) return E.right({ status: answer.status, url, headers: answer.headers, body });
    const recycle = (chunk: Uint8Array): void => {
      this.#recycledBytes += chunk.length;
      chunk.fill(POISON);
    };
    return E.right({ status: answer.status, url, headers: answer.headers, body, recycle });
  }

  #takeFaults(method: 'HEAD' | 'GET', url: string, ranged: boolean): readonly Fault[] {
    const entry = this.#queue.find(
      (queued) =>
        (queued.match.method === undefined || queued.match.method === method) &&
        (queued.match.url === undefined || normalize(queued.match.url) === normalize(url)) &&
        (queued.match.ranged === undefined || queued.match.ranged === ranged),
    );
    if (entry === undefined) return [];
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#queue = this.#queue.filter((queued) => queued !== entry);
    return entry.faults;
  }
}

const withoutRange = (headers: Record<string, string>): Record<string, string> => {
  const { range: _r, 'if-range': _i, ...rest } = headers;
  return rest;
};
