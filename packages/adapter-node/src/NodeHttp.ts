import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { URL } from 'node:url';
import {
  type AbortSignalLike,
  DownloadError,
  type HeaderMap,
  type HttpFailure,
  type HttpPort,
  type HttpRequest,
  type HttpResponse,
} from '@rdl/core';
import { MAX_TIMER_MS, type RedirectPolicy } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { caCertificatesProblem } from './caCertificates.js';
import { CookieJar, type FileCookie } from './cookieFile.js';
import { followRedirects, type HopAnswer } from './followRedirects.js';
import { withoutOverriddenLength } from './http1/bodyFraming.js';
import { type Answer, Connection, type ConnectionSettings, type Origin } from './http1/Connection.js';
import { ConnectionPool } from './http1/connectionPool.js';
import { HostLookup, type IpFamily, type ResolvedHost } from './http1/hostLookup.js';
import { type ProxyEndpoint, ProxyRoutes, type ProxySettings } from './http1/proxyRoute.js';
import { openTunnel, refusalHint } from './http1/proxyTunnel.js';
import { ReadBudget } from './http1/readBudget.js';
import { DEFAULT_USER_AGENT, requestHeadOf } from './http1/requestHead.js';
import { SlotPool } from './http1/slotPool.js';
import { WaitLine } from './http1/waitLine.js';
import { lazyBuiltin } from './lazyBuiltin.js';

const MiB = 1024 * 1024;

/** Options of `NodeHttp`. */
export interface NodeHttpOptions {
  /**
   * Bytes of each receive slot. Default 256 KiB: reads land straight in it, so a loopback read can bring a slot's
   * worth at once, and the sixteen connections of a segmented download pin little memory each. A slot is replaced by a fresh one when its free tail is under 64 KiB (under half the slot for
   * slots below 128 KiB). Its bytes are never written again once they hold body, until the reader gives them
   * back (`HttpResponse.recycle`); a slot whose body bytes all came back serves again.
   */
  readonly slotBytes?: number;
  /** Bytes of a body received ahead of the reader before the socket is paused. Default 4 MiB. */
  readonly maxQueuedBytes?: number;
  /**
   * Bytes of all bodies received ahead of their readers, over every connection of this transport: past it, a
   * connection reads on only once its reader has taken what it queued (one read ahead each). Default 4 MiB: the
   * connections of a segmented download, or of a queue, share one budget.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Extra `tls.connect` options for https (`ca` for a private CA, a client certificate…). Default none. Options
   * Node refuses (a cipher list it does not know, a certificate or key that is no PEM, a wrong `minVersion`…), and a
   * `ca` whose certificates do not all parse (which Node would skip unsaid), are refused when the transport is made,
   * a `DownloadError` `ERR_INVALID_INPUT`; one Node refuses only when it connects fails each request as a
   * `TlsError`, not retried.
   */
  readonly tls?: TlsOptions;
  /**
   * A PEM file of CA certificates trusted on top of Node's bundled roots (unless `tls.ca` is given), read at the
   * first https connection: what `NODE_EXTRA_CA_CERTS` does, without the 40 ms Node 20 spends on it at every start,
   * https or not. A file that cannot be read, or whose certificates do not all parse, is ignored with a warning, as
   * Node does. Default none.
   */
  readonly extraCaFile?: string;
  /**
   * The most connections open to one origin at a time, over every download using this transport (the process's
   * default one is shared by all its downloads): a request past it waits for one to be free, in order. Default 16.
   */
  readonly maxConnectionsPerOrigin?: number;
  /**
   * The most milliseconds a new connection may take to connect, TLS handshake included (`rdl --connect-timeout`);
   * past it the request fails as a `NetworkError`, retried by core as any other. Through a proxy it bounds the
   * connect to the proxy and, for https, its answer to CONNECT (past either, a `ProxyRefused` `unreachable` naming
   * the proxy, retried as well), then the TLS handshake inside the tunnel. Default none: core's stall timeout
   * bounds a request that gets no answer, connect included.
   */
  readonly connectTimeoutMs?: number;
  /** How long a kept-alive socket waits for its next request before it is closed. Default 5000 ms. */
  readonly idleTimeoutMs?: number;
  /**
   * Follow a redirect from https to http (R37). Default false: it is refused as `RedirectRefused`, before any byte
   * goes in clear. `createDownload` sets it from the download's `allowHttpsDowngrade`.
   */
  readonly allowHttpsDowngrade?: boolean;
  /**
   * The proxy of every request but those to the hosts of `noProxy` (whose default, `no_proxy`, holds with a proxy
   * given too, as with curl's `-x`), `http://[user:password@]host[:port]` (the port 1080 when left out, as curl's),
   * `''` for none whatever the environment says. Default: from the environment, `http_proxy` for http URLs and
   * `https_proxy` for https ones, then `all_proxy`, lower case before upper case (`HTTP_PROXY` not when
   * `REQUEST_METHOD` is set: httpoxy), a value without a scheme read as http's (curl's rules). http goes to the proxy in absolute form, https through a `CONNECT` tunnel with TLS to the
   * origin inside it, its certificate checked against the origin's name. The URL's `user:password` (percent-decoded)
   * goes as `Proxy-Authorization: Basic` to the proxy alone, never to an origin, and is never shown (R37).
   */
  readonly proxy?: string;
  /**
   * Hosts reached without the proxy, as `NO_PROXY` lists them (curl's rules): `*` for all, or names (each with the
   * hosts under it), IP addresses, CIDR ranges (`10.0.0.0/8`), `host:port`, separated by commas or spaces.
   * Default: `no_proxy` / `NO_PROXY`.
   */
  readonly noProxy?: string;
  /**
   * The `user-agent` of a request whose headers give none, and of a proxy's CONNECT; `null` sends none at all
   * (curl's `-A ''`). A value with a control or non-ASCII character is refused (`ERR_INVALID_INPUT`). Default `'rdl'`.
   */
  readonly userAgent?: string | null;
  /**
   * Cookies of a cookie file (`parseCookieFile`, curl's `-b file`), each added to the `Cookie` field of every
   * request its domain, path and secure flag match while it has not expired, after the caller's own `Cookie`: at
   * each hop of a redirect too, as curl and browsers send them, so a redirect to a host the file has cookies for
   * gets those (its own) cookies, and never another host's (R37). Default none.
   */
  readonly cookies?: readonly FileCookie[];
  /**
   * Addresses of host names at a port, used instead of the system's lookup to connect there (curl's `--resolve`):
   * for the origin's host and port, or the proxy's. Only where the connection goes changes: `Host`, SNI and the
   * certificate's check stay the URL's host name. An address that is not an IP, or a host that is one, is refused
   * when the transport is made (`ERR_INVALID_INPUT`). Default none.
   */
  readonly resolve?: readonly ResolvedHost[];
  /**
   * Connect over IPv4 (4) or IPv6 (6) only (curl's `-4`, `-6`): names resolved to addresses of that family, and a
   * URL or proxy whose host is an address of the other one fails as a `NetworkError`. Default: either.
   */
  readonly ipFamily?: IpFamily;
}

/**
 * `HttpPort` on `node:net` and `node:tls`: HTTP/1.1 spoken by hand (`http1/`), each read landing in a slot that
 * the body then hands out as views, without a copy (see `Connection`); chunks given back through `recycle` let
 * their slot serve again (`SlotPool`), so a download that writes and gives back keeps a few MiB of slots in all.
 * Redirects are followed by `followRedirects` (R17, R37); bodies are passed on undecoded, and no `Accept-Encoding`
 * is added (R5). An answer whose head breaks HTTP/1.1 (a malformed status line or field, obs-fold, a control
 * character, a status outside 100 to 599, a field of one value sent twice with two values (`headerMapOf`), an invalid
 * Content-Length, a Transfer-Encoding other than one `chunked`, a head over 64 KiB) is
 * `Left(BadResponse)` with the reason, which core does not retry (R36); a Content-Length beside a Transfer-Encoding
 * is not passed on.
 *
 * Keep-alive: a connection whose response was read to its framed end goes back to a small pool per origin, so a
 * probe and the GET after it share one. A request sent on a kept-alive connection that fails before any byte of
 * answer (the server had closed it meanwhile) is sent once more on a new one: GET and HEAD are idempotent. Idle
 * sockets never keep the process alive; `close()` drops them.
 */
export class NodeHttp implements HttpPort {
  readonly #settings: ConnectionSettings;
  readonly #pool: ConnectionPool;
  readonly #recycle: (chunk: Uint8Array) => void;
  readonly #redirects: RedirectPolicy;
  readonly #proxies: ProxyRoutes;
  readonly #userAgent: string | null;
  readonly #cookies: CookieJar | null;
  /** Connections open per origin (busy or idle), and the requests waiting for one past the cap, in order. */
  readonly #open = new Map<string, number>();
  readonly #line = new WaitLine();
  readonly #hooks = {
    idle: (connection: Connection) => {
      this.#pool.put(connection);
      this.#line.wakeOne(connection.origin.key);
    },
    closed: (connection: Connection) => {
      this.#pool.remove(connection);
      this.#release(connection.origin.key);
    },
  };
  readonly maxConnectionsPerOrigin: number;

  constructor(options: NodeHttpOptions = {}) {
    const slotBytes = positive(options.slotBytes, 256 * 1024, 'slotBytes');
    const slots = new SlotPool(slotBytes);
    if (options.tls !== undefined) checkTls(options.tls);
    let tlsOptions: TlsOptions | null = null;
    this.#recycle = (chunk) => slots.giveBack(chunk);
    this.#settings = {
      slotBytes,
      maxQueuedBytes: positive(options.maxQueuedBytes, 4 * MiB, 'maxQueuedBytes'),
      tls: () => {
        tlsOptions ??= tlsOptionsOf(options.tls ?? {}, options.extraCaFile);
        return tlsOptions;
      },
      slots,
      tlsSessions: new Map(),
      budget: new ReadBudget(positive(options.maxBufferedBytes, 4 * MiB, 'maxBufferedBytes')),
      connectTimeoutMs:
        options.connectTimeoutMs === undefined
          ? null
          : positive(options.connectTimeoutMs, 0, 'connectTimeoutMs'),
      hosts: hostLookupOf(options.resolve ?? [], options.ipFamily ?? null),
    };
    this.#pool = new ConnectionPool(positive(options.idleTimeoutMs, 5_000, 'idleTimeoutMs'));
    this.maxConnectionsPerOrigin = positive(options.maxConnectionsPerOrigin, 16, 'maxConnectionsPerOrigin');
    this.#redirects = { allowHttpsDowngrade: options.allowHttpsDowngrade ?? false };
    const proxies: ProxySettings = { proxy: options.proxy, noProxy: options.noProxy };
    this.#proxies = new ProxyRoutes(proxies);
    this.#userAgent = userAgentOf(options.userAgent);
    this.#cookies = options.cookies === undefined ? null : new CookieJar(options.cookies);
  }

  request(request: HttpRequest): TaskEither<HttpFailure, HttpResponse> {
    return () =>
      followRedirects(request, (url, headers) => this.#hop(url, headers, request), this.#redirects).catch(
        (error: unknown): E.Either<HttpFailure, HttpResponse> =>
          E.left({ _tag: 'NetworkError', message: error instanceof Error ? error.message : String(error) }),
      );
  }

  /** Bytes of bodies received and not yet taken by their readers, over every connection (`maxBufferedBytes`). */
  get bufferedBytes(): number {
    return this.#settings.budget.queued;
  }

  /** Closes the idle keep-alive sockets. Requests in flight go on. */
  close(): void {
    this.#pool.close();
  }

  async #hop(
    url: string,
    headers: HeaderMap,
    request: HttpRequest,
  ): Promise<E.Either<HttpFailure, HopAnswer>> {
    const parsed = URL.canParse(url) ? new URL(url) : null;
    if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      return networkError(`not an http(s) URL: ${url}`);
    const proxy = this.#proxies.routeFor(parsed);
    if (E.isLeft(proxy)) return proxy;
    const origin = originOf(parsed, proxy.right);
    const proxyOfRequest = origin.secure ? null : origin.proxy;
    const fromFile = this.#cookies?.headerFor(parsed, Date.now()) ?? null;
    const sent = fromFile === null ? headers : withCookies(headers, fromFile);
    const head = requestHeadOf(request.method, parsed, sent, proxyOfRequest, this.#userAgent);
    if (head._tag === 'Invalid') return networkError(head.message);
    if (request.signal.aborted) return E.left({ _tag: 'Aborted' });
    const answer = await this.#send(origin, head.bytes, request.method, request.signal, request.onQueued);
    if (answer._tag === 'Failed') return E.left(answer.failure);
    const { head: response, body } = answer;
    if (response.status === 407 && origin.proxy !== null) {
      // 407 is a proxy's answer alone (RFC 9110 §15.5.8): to an absolute-form request, the proxy refused it.
      void body.return();
      const refused = `answered HTTP 407 to ${request.method} ${withoutQuery(parsed)}`;
      return E.left(proxyRefusal(origin.proxy, refused, 407));
    }
    return E.right({
      status: response.status,
      headers: withoutOverriddenLength(response.headers),
      body: () => body,
      // A redirect's body already whole leaves its connection in the pool; one still coming closes it.
      discard: () => void body.return(),
      recycle: this.#recycle,
    });
  }

  async #send(
    origin: Origin,
    head: Buffer,
    method: 'GET' | 'HEAD',
    signal: AbortSignalLike,
    onQueued: HttpRequest['onQueued'],
  ): Promise<Answer> {
    // A kept-alive connection the server had closed meanwhile fails before any byte of answer; one whose last answer
    // had no body may give bytes that are no answer (a naive server writing a HEAD's body after its head, which the
    // next request then reads first) and fail before any head. Either way the request goes once more, on a new
    // connection (GET and HEAD are idempotent), where a malformed answer is the server's own, final (R36).
    let reuse = true;
    let woken = false;
    for (;;) {
      const idle = reuse ? this.#pool.take(origin.key) : null;
      if (idle !== null) {
        const afterBodyless = idle.afterBodyless;
        const answer = await idle.send(head, method, signal);
        const stale =
          answer._tag === 'Failed' &&
          ((answer.failure._tag === 'NetworkError' && !answer.replied) ||
            (answer.failure._tag === 'BadResponse' && afterBodyless));
        if (!stale) return answer;
        reuse = false;
        continue;
      }
      const open = this.#open.get(origin.key) ?? 0;
      if (open < this.maxConnectionsPerOrigin) {
        this.#open.set(origin.key, open + 1);
        return this.#connect(origin, signal).then((connection) =>
          E.isLeft(connection) ? failedAnswer(connection.left) : connection.right.send(head, method, signal),
        );
      }
      // Told that it waits (its caller's stall timer is no measure of the server meanwhile, R25), and, woken once
      // and beaten to the connection by a request that came without waiting, first in line the next time.
      onQueued?.(true);
      const turn = await this.#line.wait(origin.key, signal, woken);
      onQueued?.(false);
      if (!turn) return { _tag: 'Failed', failure: { _tag: 'Aborted' }, replied: false };
      woken = true;
    }
  }

  /**
   * A new connection to `origin`, counted in `#open` already: for https through a proxy, once its tunnel is open
   * (a tunnel that fails gives its place back, as a closed connection does).
   */
  async #connect(origin: Origin, signal: AbortSignalLike): Promise<E.Either<HttpFailure, Connection>> {
    let tunnel: Socket | null = null;
    const { hosts } = this.#settings;
    // The peer connected to: the proxy's host, whose own address the proxy finds for the origin, or the origin's.
    const familyProblem = hosts.familyProblem((origin.proxy ?? origin).host);
    if (familyProblem !== null) {
      this.#release(origin.key);
      return networkError(familyProblem);
    }
    if (origin.secure && origin.proxy !== null) {
      const { connectTimeoutMs } = this.#settings;
      const { host, port } = origin;
      const proxy = origin.proxy;
      const dial = hosts.dialOptions(proxy.host, proxy.port);
      const opened = await openTunnel(proxy, host, port, signal, connectTimeoutMs, this.#userAgent, dial);
      if (E.isLeft(opened)) {
        this.#release(origin.key);
        return opened;
      }
      tunnel = opened.right;
    }
    try {
      return E.right(new Connection(origin, this.#settings, this.#hooks, tunnel));
    } catch (error) {
      // `tls.connect` throws at once for options it refuses (those `checkTls` could not see): no socket was made, so
      // none will close to give the place back, and asking again throws the same.
      tunnel?.destroy();
      this.#release(origin.key);
      const message = error instanceof Error ? error.message : String(error);
      return E.left(
        origin.secure
          ? { _tag: 'TlsError', message: `the tls options were refused: ${message}` }
          : { _tag: 'NetworkError', message },
      );
    }
  }

  /** A connection to `key` closed (or never opened): its place goes to the first request waiting for one. */
  #release(key: string): void {
    const open = (this.#open.get(key) ?? 1) - 1;
    if (open > 0) this.#open.set(key, open);
    else this.#open.delete(key);
    this.#line.wakeOne(key);
  }
}

const tlsModule = lazyBuiltin<typeof import('node:tls')>('node:tls');

/** `tls` with the CAs of `extraCaFile` added to Node's roots, when there is one and `tls` names no CA itself. */
const tlsOptionsOf = (tls: TlsOptions, extraCaFile: string | undefined): TlsOptions => {
  if (extraCaFile === undefined || extraCaFile === '' || tls.ca !== undefined) return tls;
  const ignored = (why: string): TlsOptions => {
    process.emitWarning(`Ignoring extra certs from \`${extraCaFile}\`, load failed: ${why}`);
    return tls;
  };
  let pem: string;
  try {
    pem = readFileSync(extraCaFile, 'utf8');
  } catch (error) {
    return ignored(error instanceof Error ? error.message : String(error));
  }
  const problem = caCertificatesProblem(pem);
  return problem === null
    ? { ...tls, ca: [...tlsModule().rootCertificates, pem] }
    : ignored(`the file ${problem}`);
};

/**
 * Refuses, before any request, `tls` options Node cannot make a TLS context of (R30): they would fail every
 * connection. Loads `node:tls` only when there are some.
 */
const checkTls = (tls: TlsOptions): void => {
  if (Object.keys(tls).length === 0) return;
  try {
    tlsModule().createSecureContext(tls);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DownloadError({ _tag: 'InvalidInput', field: 'tls', message }, { cause: error });
  }
  // A CA Node cannot read it skips without a word: it would trust nothing.
  const cas = tls.ca === undefined ? [] : Array.isArray(tls.ca) ? tls.ca : [tls.ca];
  for (const [index, ca] of cas.entries()) {
    const problem = caCertificatesProblem(String(ca));
    const name = Array.isArray(tls.ca) ? `ca[${index}]` : 'ca';
    if (problem !== null)
      throw new DownloadError({ _tag: 'InvalidInput', field: 'tls', message: `${name} ${problem}` });
  }
};

const originOf = (url: URL, proxy: ProxyEndpoint | null): Origin => {
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  // `hostname` keeps an IPv6 literal's brackets, which `net.connect` does not want.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const server = `${url.protocol}//${host}:${port}`;
  return { secure, host, port, proxy, server, key: proxy === null ? server : `${server} via ${proxy.shown}` };
};

const proxyRefusal = (proxy: ProxyEndpoint, message: string, status: number): HttpFailure => ({
  _tag: 'ProxyRefused',
  proxy: proxy.shown,
  reason: 'refused',
  status,
  message: `${message}${refusalHint(status, proxy)}`,
});

/** The URL without its query, which may hold a signature (a bearer secret). */
const withoutQuery = (url: URL): string => `${url.protocol}//${url.host}${url.pathname}`;

/** `headers` with `cookies` after the `Cookie` they hold, in whatever letter case, or as a `cookie` of their own. */
const withCookies = (headers: HeaderMap, cookies: string): HeaderMap => {
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'cookie');
  return name === undefined
    ? { ...headers, cookie: cookies }
    : { ...headers, [name]: `${headers[name]}; ${cookies}` };
};

const failedAnswer = (failure: HttpFailure): Answer => ({ _tag: 'Failed', failure, replied: false });

const networkError = (message: string): E.Either<HttpFailure, never> =>
  E.left({ _tag: 'NetworkError', message });

/** `userAgent`: the default's, or a value a request head can carry (no CR, LF or other control character). */
const userAgentOf = (value: string | null | undefined): string | null => {
  if (value === undefined) return DEFAULT_USER_AGENT;
  if (value === null || /^[\t\x20-\x7e]*$/.test(value)) return value;
  throw new DownloadError({
    _tag: 'InvalidInput',
    field: 'userAgent',
    message: 'holds a control or non-ASCII character',
  });
};

/** `resolve` and `ipFamily` checked (R30): a name and a port each, IP addresses only, a family of 4 or 6. */
const hostLookupOf = (resolve: readonly ResolvedHost[], family: IpFamily | null): HostLookup => {
  const refuse = (message: string): never => {
    throw new DownloadError({ _tag: 'InvalidInput', field: 'resolve', message });
  };
  if (family !== null && family !== 4 && family !== 6) refuse('ipFamily must be 4 or 6');
  for (const entry of resolve) {
    if (isIP(entry.host) !== 0 || !/^[A-Za-z0-9._-]+$/.test(entry.host))
      refuse(`${JSON.stringify(entry.host)} is not a host name`);
    if (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535)
      refuse(`${entry.port} is not a port (1 to 65535)`);
    if (entry.addresses.length === 0) refuse(`no address for ${entry.host}:${entry.port}`);
    for (const address of entry.addresses)
      if (isIP(address) === 0) refuse(`${JSON.stringify(address)} is not an IP address`);
  }
  return new HostLookup(resolve, family);
};

const positive = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`NodeHttp: ${name} must be positive`);
  if (value > MAX_TIMER_MS) throw new RangeError(`NodeHttp: ${name} must be at most ${MAX_TIMER_MS} ms`);
  return value;
};
