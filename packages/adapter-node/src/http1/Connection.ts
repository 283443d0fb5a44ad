import { isIP, connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { AbortSignalLike, HttpFailure } from '@rdl/core';
import { badBodyError } from '@rdl/core/adapter';
import { lazyBuiltin } from '../lazyBuiltin.js';
import { tlsRefusalOf } from '../tlsRefusal.js';
import type { HostLookup } from './hostLookup.js';
import type { ProxyEndpoint } from './proxyRoute.js';
import { authorityOf } from './proxyTunnel.js';
import { ResponseBody } from './ResponseBody.js';
import type { ReadBudget } from './readBudget.js';
import type { ResponseHead } from './responseHead.js';
import { ResponseParser } from './responseParser.js';
import type { SlotPool } from './slotPool.js';

/** Where a connection goes. `host` is a name or a bare IP (no brackets). */
export interface Origin {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  /** The proxy it goes through (absolute-form requests for http, a CONNECT tunnel for https), `null` for none. */
  readonly proxy: ProxyEndpoint | null;
  /** `http://host:port` or `https://host:port`: the server, whose TLS sessions its connections share. */
  readonly server: string;
  /**
   * `server`, and ` via <proxy>` when there is one: connections of one key are interchangeable, and a proxied one
   * never serves a direct request (nor the reverse).
   */
  readonly key: string;
}

export interface ConnectionSettings {
  readonly slotBytes: number;
  readonly maxQueuedBytes: number;
  /** `tls.connect` options, made at the first https connection (they may read a CA file). */
  readonly tls: () => TlsOptions;
  /** Where slots come from and go back to. */
  readonly slots: SlotPool;
  /** The bytes queued for readers over every connection: over it, a connection reads on only once drained. */
  readonly budget: ReadBudget;
  /**
   * The last TLS session each origin's server gave (keyed by `Origin.key`): a new connection to it resumes that
   * session instead of a full handshake, so sixteen segments cost one certificate exchange, not sixteen.
   */
  readonly tlsSessions: Map<string, Buffer>;
  /** The most milliseconds from the start of a connection to its TCP connect (and TLS handshake); `null`: none. */
  readonly connectTimeoutMs: number | null;
  /** How the address of the peer (the origin, or the proxy of plain http) is found: `--resolve`, `-4`, `-6`. */
  readonly hosts: HostLookup;
}

/** How a request on a connection went: a response head, or why none came. */
export type Answer =
  | { readonly _tag: 'Answered'; readonly head: ResponseHead; readonly body: ResponseBody }
  /** `replied`: some byte of a response had arrived (a request that got none may be sent again elsewhere). */
  | { readonly _tag: 'Failed'; readonly failure: HttpFailure; readonly replied: boolean };

/** What the owner of a connection hears from it. */
export interface ConnectionHooks {
  /** The response was read to its framed end and the connection can take another request. */
  idle(connection: Connection): void;
  /** The socket closed. */
  closed(connection: Connection): void;
}

/** One request and its response on a connection. */
interface Exchange {
  readonly parser: ResponseParser;
  readonly method: 'GET' | 'HEAD';
  /** The status of the head once it came. */
  status: number | null;
  readonly signal: AbortSignalLike;
  readonly onAbort: () => void;
  /** Resolves `send` until the head arrives. */
  settle: ((answer: Answer) => void) | null;
  body: ResponseBody | null;
  replied: boolean;
}

const SLOT_FREE_BYTES = 64 * 1024;

/** Loaded for the first https connection only. */
const tls = lazyBuiltin<typeof import('node:tls')>('node:tls');

/**
 * One HTTP/1.1 connection over `node:net` or `node:tls`, reading with the `onread` option straight into slots: a
 * slot (`slotBytes`, from the `SlotPool`) is read into from its free tail, and retired for a new one when that
 * tail gets short. A slot's bytes are never written twice once they hold body, so the views handed to the reader
 * stay theirs until given back; a retired slot whose bytes all came back serves again.
 *
 * Node calls the `buffer` function for the next read right after each callback, even one that paused the socket,
 * so it always returns a free region. `onread` also works on a TLS socket (Node ≥ 20 reads the decrypted bytes
 * into it; the https tests prove it), so both schemes share this path.
 *
 * Backpressure: once `maxQueuedBytes` of body wait for the reader, or the budget of all connections is spent
 * (`ReadBudget`) and some of this one's wait, the callback returns false (the socket stops reading); the reader's
 * take that ends that resumes it.
 */
export class Connection {
  readonly #socket: Socket;
  readonly #settings: ConnectionSettings;
  readonly #hooks: ConnectionHooks;
  readonly #minFree: number;
  #slot: Buffer;
  #fill = 0;
  #exchange: Exchange | null = null;
  #afterBodyless = false;
  #paused = false;
  #closed = false;
  #error: Error | null = null;
  /** Why TLS refused this connection for good (`tlsRefusalOf`), told by the socket's first error; `null`: it did not. */
  #refusal: string | null = null;
  /** Whether the socket reached its peer: an error before that, through a proxy, is the proxy's (unreachable). */
  #connected: boolean;

  /**
   * `tunnel`: for https through a proxy, the socket of the CONNECT tunnel (`openTunnel`), inside which TLS goes to
   * the origin. Node ignores `onread` on a TLS socket made over a given socket, so there each read is copied into
   * the slot from a `data` event: one copy a read, on that path only.
   */
  constructor(
    readonly origin: Origin,
    settings: ConnectionSettings,
    hooks: ConnectionHooks,
    tunnel: Socket | null = null,
  ) {
    this.#settings = settings;
    this.#hooks = hooks;
    this.#minFree = Math.min(SLOT_FREE_BYTES, Math.floor(settings.slotBytes / 2));
    this.#slot = settings.slots.take();
    const onread = {
      buffer: () => this.#slot.subarray(this.#fill),
      callback: (bytes: number) => this.#guarded(bytes),
    };
    const { host, port } = origin;
    // `tls.connect` hands `onread` on to the socket it makes; its typings just do not list it.
    const secure: TlsOptions & { readonly onread?: typeof onread } = {
      // Over a tunnel `host` is not connected to, but it is the name the certificate is checked against (Node takes
      // `localhost` when it is left out).
      ...(tunnel === null
        ? { host, port, onread, ...settings.hosts.dialOptions(host, port) }
        : { socket: tunnel, host }),
      // SNI carries names only (RFC 6066 §3).
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...settings.tls(),
      ...sessionOf(settings.tlsSessions, origin.server),
    };
    // Plain http through a proxy: the connection is the proxy's, the requests in absolute form (`requestHeadOf`).
    const plain = origin.proxy ?? origin;
    try {
      this.#socket = origin.secure
        ? tls().connect(secure)
        : netConnect({
            host: plain.host,
            port: plain.port,
            onread,
            ...settings.hosts.dialOptions(plain.host, plain.port),
          });
    } catch (error) {
      // `tls.connect` throws at once for options it refuses: no socket will close to give the slot back.
      settings.slots.retire(this.#slot);
      throw error;
    }
    this.#connected = tunnel !== null;
    if (tunnel === null) this.#socket.once('connect', () => (this.#connected = true));
    else this.#socket.on('data', (chunk: Buffer) => this.#copied(chunk));
    if (origin.secure) {
      this.#socket.on('session', (session: Buffer) =>
        rememberSession(settings.tlsSessions, origin.server, session),
      );
    }
    this.#socket.setNoDelay(true);
    if (settings.connectTimeoutMs !== null) {
      // Named by what it connects to: the proxy for plain http through one; over a tunnel only TLS is left to do.
      const peer = authorityOf(origin.secure ? host : plain.host, origin.secure ? port : plain.port);
      this.#boundConnect(settings.connectTimeoutMs, peer, tunnel !== null);
    }
    // Node sets `authorizationError` when verification refused the certificate, and ends the handshake only if it
    // did not (or with -k): an error while it is set and no handshake ended is that refusal.
    let secured = false;
    if (origin.secure) this.#socket.once('secureConnect', () => (secured = true));
    this.#socket.on('error', (error) => {
      if (this.#error !== null) return;
      this.#error = error;
      if (!origin.secure) return;
      const unverified =
        !secured && (this.#socket as { authorizationError?: unknown }).authorizationError != null;
      this.#refusal = tlsRefusalOf(error, unverified);
    });
    this.#socket.on('close', () => this.#onClose());
  }

  /**
   * A connection not established within `ms` (a listener that never accepts, a server that never finishes TLS) is
   * closed as a network failure (a proxy's `unreachable` when it was the proxy not reached), which core retries as
   * any other (R25); the stall timeout bounds what follows. `peer` is the address connected to, shown.
   */
  #boundConnect(ms: number, peer: string, tunneled: boolean): void {
    const what = tunneled
      ? 'TLS handshake'
      : this.origin.secure
        ? 'TCP connect and TLS handshake'
        : 'TCP connect';
    const timer = setTimeout(() => {
      this.#error ??= new Error(`${what} to ${peer} not done within ${ms / 1000} s (connect timeout)`);
      this.destroy();
    }, ms);
    timer.unref();
    const done = (): void => clearTimeout(timer);
    this.#socket.once(this.origin.secure ? 'secureConnect' : 'connect', done);
    this.#socket.once('close', done);
  }

  /**
   * Whether the last response read here had no body by its framing (a HEAD's, a 204, a 304): a naive server may
   * still write one after it, which the next request on this connection would read first.
   */
  get afterBodyless(): boolean {
    return this.#afterBodyless;
  }

  /** The socket closed, or is closing: no request can go on it any more. */
  get closed(): boolean {
    return this.#closed || this.#socket.destroyed;
  }

  /**
   * Sends one request (its head, already serialized) and resolves when the response head arrives, or with why it
   * did not. Never rejects. One request at a time: the connection is busy until the body's end.
   */
  send(head: Buffer, method: 'GET' | 'HEAD', signal: AbortSignalLike): Promise<Answer> {
    if (this.closed) {
      return Promise.resolve(failed({ _tag: 'NetworkError', message: 'the connection was closed' }, false));
    }
    return new Promise((resolve) => {
      const exchange: Exchange = {
        parser: new ResponseParser(method),
        method,
        status: null,
        signal,
        onAbort: () => this.#aborted(exchange),
        settle: resolve,
        body: null,
        replied: false,
      };
      this.#exchange = exchange;
      signal.addEventListener('abort', exchange.onAbort, { once: true });
      this.#socket.ref();
      this.#socket.write(head);
      if (signal.aborted) this.#aborted(exchange);
    });
  }

  /** An idle connection does not keep the process alive. */
  unref(): void {
    this.#socket.unref();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** A read that came as a `data` event (a TLS tunnel): copied into the slot, as `onread` would have read it. */
  #copied(chunk: Buffer): void {
    let at = 0;
    let reading = true;
    while (at < chunk.length && !this.#socket.destroyed) {
      const count = Math.min(this.#slot.length - this.#fill, chunk.length - at);
      chunk.copy(this.#slot, this.#fill, at, at + count);
      at += count;
      reading = this.#guarded(count);
    }
    if (!reading) this.#socket.pause();
  }

  /** An exception thrown here would reach Node's read loop, uncaught: it ends this connection instead. */
  #guarded(count: number): boolean {
    try {
      return this.#received(count);
    } catch (error) {
      this.#error ??= error instanceof Error ? error : new Error(String(error));
      this.destroy();
      return false;
    }
  }

  #received(count: number): boolean {
    const exchange = this.#exchange;
    if (exchange === null) {
      // A server that speaks out of turn cannot be trusted with the next request.
      this.destroy();
      return false;
    }
    exchange.replied = true;
    const slot = this.#slot;
    const step = exchange.parser.receive(slot, this.#fill, this.#fill + count);
    this.#fill = step.keep;
    if (step.head !== null && step.failure === null) this.#answered(exchange, step.head);
    exchange.body?.push(slot, step.bodyFrom, step.bodyTo);
    if (step.failure !== null) this.#failed(exchange, step.failure);
    else if (step.complete) this.#completed(exchange, step.trailing);
    // After the push: a slot retired before its bytes are lent could serve again under them.
    if (slot.length - this.#fill < this.#minFree) {
      this.#settings.slots.retire(slot);
      this.#slot = this.#settings.slots.take();
      this.#fill = 0;
    }
    const queued = this.#exchange === exchange ? (exchange.body?.queued ?? 0) : 0;
    const hold = this.#holds(queued);
    if (hold) this.#paused = true;
    else if (this.#paused) {
      // A TLS socket hands on records it had already decrypted after the callback that stopped its reads: one that
      // finds nothing to hold must start them again itself, or the connection stays stopped with a reader waiting.
      this.#paused = false;
      this.#socket.resume();
    }
    return !hold;
  }

  #answered(exchange: Exchange, head: ResponseHead): void {
    const body = new ResponseBody(
      exchange.signal,
      {
        drained: (queued) => this.#drained(exchange, queued),
        cancel: () => this.#cancel(exchange),
      },
      this.#settings.slots,
      this.#settings.budget,
    );
    exchange.body = body;
    exchange.status = head.status;
    const settle = exchange.settle;
    exchange.settle = null;
    settle?.({ _tag: 'Answered', head, body });
  }

  #completed(exchange: Exchange, trailing: boolean): void {
    this.#afterBodyless = exchange.method === 'HEAD' || exchange.status === 204 || exchange.status === 304;
    exchange.body?.complete();
    this.#finish(exchange);
    if (trailing || !exchange.parser.reusable) this.destroy();
    else this.#hooks.idle(this);
  }

  #failed(exchange: Exchange, message: string): void {
    // Bytes that break HTTP/1.1 are the server's answer, and asking again gets the same ones: final (R36). Before the
    // head was handed out it is the request's failure; after, the body's (`badBodyError`).
    this.#finish(exchange);
    if (exchange.settle === null) exchange.body?.fail(badBodyError(message));
    else this.#fault(exchange, { _tag: 'BadResponse', reason: message });
    this.destroy();
  }

  #aborted(exchange: Exchange): void {
    if (this.#exchange !== exchange) return;
    this.#finish(exchange);
    // The body, if there is one, sees the abort on its own signal.
    this.#fault(exchange, { _tag: 'Aborted' });
    this.destroy();
  }

  #cancel(exchange: Exchange): void {
    if (this.#exchange !== exchange) return;
    this.#finish(exchange);
    this.destroy();
  }

  /**
   * Whether a connection whose reader has `queued` bytes to take stops reading: it holds its own limit, or the
   * budget of all is spent and its reader has something to take.
   */
  #holds(queued: number): boolean {
    return queued >= this.#settings.maxQueuedBytes || (queued > 0 && this.#settings.budget.spent);
  }

  #drained(exchange: Exchange, queued: number): void {
    if (this.#exchange !== exchange || !this.#paused || this.#holds(queued)) return;
    this.#paused = false;
    this.#socket.resume();
  }

  #onClose(): void {
    this.#closed = true;
    this.#settings.slots.retire(this.#slot);
    const exchange = this.#exchange;
    if (exchange !== null) {
      this.#finish(exchange);
      // A reset is a cut even for a body that runs until close.
      const cut = exchange.parser.end() ?? this.#error?.message ?? null;
      if (cut === null) exchange.body?.complete();
      else if (this.#refusal !== null) this.#fault(exchange, { _tag: 'TlsError', message: this.#refusal });
      else if (!this.#connected && this.origin.proxy !== null)
        this.#fault(exchange, {
          _tag: 'ProxyRefused',
          proxy: this.origin.proxy.shown,
          reason: 'unreachable',
          status: null,
          message: `cannot be reached: ${this.#error?.message ?? cut}`,
        });
      else this.#fault(exchange, { _tag: 'NetworkError', message: this.#error?.message ?? cut });
    }
    this.#hooks.closed(this);
  }

  /** Tells the waiting `send`, or the body once the head arrived, that the exchange failed. */
  #fault(exchange: Exchange, failure: HttpFailure): void {
    const settle = exchange.settle;
    exchange.settle = null;
    if (settle !== null) settle(failed(failure, exchange.replied));
    // A TLS alert after the head (TLS 1.3 refuses a client certificate after the client's handshake) cuts the body.
    else if (failure._tag === 'NetworkError' || failure._tag === 'TlsError')
      exchange.body?.fail(new Error(failure.message));
  }

  #finish(exchange: Exchange): void {
    exchange.signal.removeEventListener('abort', exchange.onAbort);
    if (this.#exchange === exchange) this.#exchange = null;
  }
}

const failed = (failure: HttpFailure, replied: boolean): Answer => ({ _tag: 'Failed', failure, replied });

/** Origins whose TLS session is kept: the ones a process talks to at once are few. */
const MAX_TLS_SESSIONS = 64;

const sessionOf = (sessions: Map<string, Buffer>, key: string): { readonly session?: Buffer } => {
  const session = sessions.get(key);
  return session === undefined ? {} : { session };
};

const rememberSession = (sessions: Map<string, Buffer>, key: string, session: Buffer): void => {
  sessions.delete(key);
  sessions.set(key, session);
  // The oldest origin goes first.
  if (sessions.size > MAX_TLS_SESSIONS) sessions.delete(sessions.keys().next().value as string);
};
