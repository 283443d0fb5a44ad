import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { URL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseRangeHeader } from '@rdl/core/memory';

/** What one scripted request gets instead of a correct answer. */
export type Fault =
  /** The headers and `at` body bytes, then the socket is destroyed. */
  | { readonly kind: 'cut'; readonly at: number }
  /**
   * The headers and `at` body bytes, then nothing: the socket stays open and silent, for ever or until `until`
   * settles; then the rest of the answer, as if the network had only paused.
   */
  | { readonly kind: 'stall'; readonly at: number; readonly until?: Promise<unknown> }
  /** This status, with a `Retry-After`, a `Content-Range` and a body when given (empty by default). */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly retryAfter?: string;
      readonly contentRange?: string;
      readonly body?: string;
    }
  /** A correct answer, but carrying another ETag than the resource's (a server that ignored If-Range, R13). */
  | { readonly kind: 'foreignEtag' }
  /** Range ignored: 200 with the whole body. */
  | { readonly kind: 'ignoreRange' }
  /** A 206 whose Content-Range (and body) start `by` bytes away from the range asked. */
  | { readonly kind: 'shiftStart'; readonly by: number }
  /** A 206 whose Content-Range announces another total. */
  | { readonly kind: 'wrongTotal'; readonly total: number }
  /** A 206 without Content-Range. */
  | { readonly kind: 'noContentRange' }
  /** A `multipart/byteranges` 206 for a single range. */
  | { readonly kind: 'multipart' }
  /**
   * A 206 whose Content-Range is right but whose body is `by` bytes short. `framing: 'length'` sends a matching
   * (lying) Content-Length; `'chunked'` sends none, so only the body's end tells.
   */
  | { readonly kind: 'shortBody'; readonly by: number; readonly framing: 'length' | 'chunked' }
  /** A 206 whose Content-Range is right but whose body has `by` bytes of junk more (framing as for `shortBody`). */
  | { readonly kind: 'longBody'; readonly by: number; readonly framing: 'length' | 'chunked' }
  /** The whole body gzipped, `Content-Encoding: gzip`, status 200. */
  | { readonly kind: 'gzip' }
  /** A 200 of the first `length` bytes only, correctly framed (a matching Content-Length), same ETag (R35). */
  | { readonly kind: 'truncatedFull'; readonly length: number }
  /**
   * This status and reason phrase with these headers (over the resource's), and no body: strings a hostile server
   * puts before a terminal (R38). node:http sends latin1 bytes, so C1 controls (U+0080–U+009F) pass, C0 do not.
   */
  | {
      readonly kind: 'head';
      readonly status: number;
      readonly reason: string;
      readonly headers: Readonly<Record<string, string>>;
    };

/** A file the server serves. */
export interface Resource {
  body: Buffer;
  /** The strong (or weak) ETag, quotes included; `null` sends none. */
  etag: string | null;
  /** `null` sends none. */
  lastModified: string | null;
  /** Answer HEAD with this status (405: refused, R16) instead of the headers. */
  headStatus: number | null;
  /** No Content-Length and no ranges: a chunked 200 every time (R15). */
  chunked: boolean;
  /** When set, the query `token` must be one of these, else 403 (presigned URL, R18). */
  tokens: Set<string> | null;
  /** Response headers sent with every answer of this resource (`content-disposition`…). Default none. */
  headers: Readonly<Record<string, string>>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Which connection it came on: 1 for the server's first, 2 for the second… (keep-alive shows as a repeat). */
  readonly connection: number;
}

/** Bytes per chunk of a chunked answer: odd, so that chunk boundaries fall anywhere in a client's reads. */
const CHUNK_BYTES = 16_381;

interface ScriptedFault {
  readonly method: 'GET' | 'HEAD' | undefined;
  readonly fault: Fault;
  readonly after: (() => void) | undefined;
}

interface Redirect {
  readonly status: number;
  readonly location: string;
}

/** Deterministic pseudo-random bytes, the same for the same seed. */
export const generateBytes = (size: number, seed = 1): Buffer => {
  const out = Buffer.allocUnsafe(size);
  let block = createHash('sha256').update(`seed:${seed}`).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
};

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const longAgo = new Date(Date.UTC(2020, 0, 1)).toUTCString();

/**
 * A fault-injecting HTTP/1.1 server on 127.0.0.1: serves files with ETag, Last-Modified and Accept-Ranges,
 * honours Range, If-Range and If-Match as RFC 9110 says, and answers scripted requests wrongly on purpose. Every
 * request is recorded.
 */
export class FaultServer {
  readonly requests: RecordedRequest[] = [];
  private readonly resources = new Map<string, Resource>();
  private readonly redirects = new Map<string, Redirect>();
  private readonly script: ScriptedFault[] = [];
  /** `whenRequests` calls still waiting: each answers true once it has resolved. */
  private readonly arrivalWaiters = new Set<() => boolean>();
  private readonly server: Server | TlsServer;
  private readonly connectionIds = new WeakMap<Socket, number>();
  private port = 0;
  private host = '127.0.0.1';
  private readonly scheme: 'http' | 'https';
  /** Connections accepted so far. */
  connections = 0;

  /**
   * A server that does not listen yet: `listen()` before the first request, or use `FaultServer.start()`. With `tls`
   * (a key and its certificate) it speaks https.
   */
  constructor(tls?: { readonly key: Buffer; readonly cert: Buffer }) {
    const handler = (request: IncomingMessage, response: ServerResponse): void =>
      this.handle(request, response);
    this.scheme = tls === undefined ? 'http' : 'https';
    this.server = tls === undefined ? createServer(handler) : createTlsServer(tls, handler);
    this.server.keepAliveTimeout = 5_000;
    this.server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
      this.connections += 1;
      this.connectionIds.set(socket, this.connections);
      if (tls !== undefined) {
        this.resumedSessions.push((socket as TLSSocket).isSessionReused());
        this.serverNames.push((socket as TLSSocket & { servername?: string | false }).servername ?? false);
      }
    });
  }

  static async start(
    options: {
      readonly host?: string;
      /** The port to listen on (another server's on another address, say). Default: a free one. */
      readonly port?: number;
      readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
    } = {},
  ): Promise<FaultServer> {
    const instance = new FaultServer(options.tls);
    await instance.listen(options.host, options.port);
    return instance;
  }

  /** Whether each TLS connection accepted resumed a session (no certificate exchange); empty for http. */
  readonly resumedSessions: boolean[] = [];
  /** The SNI name of each TLS connection accepted (`false`: none sent); empty for http. */
  readonly serverNames: (string | false)[] = [];

  /** Listens on `port` (default: a free one) of `host` (an IP: `::1` for IPv6). Default 127.0.0.1. */
  async listen(host = '127.0.0.1', port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.host = host;
    this.port = (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `${this.scheme}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** Serves `body` at `path` with a fresh strong ETag and an old Last-Modified, unless `options` say otherwise. */
  serve(path: string, body: Buffer, options: Partial<Resource> = {}): Resource {
    const resource: Resource = {
      body,
      etag: `"${randomBytes(8).toString('hex')}"`,
      lastModified: longAgo,
      headStatus: null,
      chunked: false,
      tokens: null,
      headers: {},
      ...options,
    };
    this.resources.set(path, resource);
    return resource;
  }

  /** Replaces the file at `path` by a new version (a new body and a new ETag). */
  replace(path: string, body: Buffer): void {
    const resource = this.resource(path);
    resource.body = body;
    resource.etag = resource.etag === null ? null : `"${randomBytes(8).toString('hex')}"`;
    resource.lastModified = new Date(Date.UTC(2021, 0, 1)).toUTCString();
  }

  resource(path: string): Resource {
    const resource = this.resources.get(path);
    if (resource === undefined) throw new Error(`no resource at ${path}`);
    return resource;
  }

  redirect(path: string, status: number, location: string): void {
    this.redirects.set(path, { status, location });
  }

  /**
   * The next request with this method (any when not given) gets `fault`; faults are taken in the order given.
   * `after` runs once that answer is sent or cut.
   */
  fail(fault: Fault, options: { method?: 'GET' | 'HEAD'; after?: () => void } = {}): void {
    this.script.push({ method: options.method, fault, after: options.after });
  }

  /** Resolves once `count` requests with `method` (any when not given) have come, those before the call included. */
  whenRequests(count: number, method?: string): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => {
        if (this.requests.filter((r) => method === undefined || r.method === method).length < count)
          return false;
        resolve();
        return true;
      };
      if (!waiter()) this.arrivalWaiters.add(waiter);
    });
  }

  /** The recorded GET requests, the probes' ranged GETs included. */
  gets(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'GET');
  }

  /** The start of each data GET's Range, the probes' `bytes=0-0` left out (a GET without Range counts as 0). */
  dataRangeStarts(): number[] {
    return this.gets()
      .filter((request) => request.headers.range !== 'bytes=0-0')
      .map(rangeStart);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(method: string): ScriptedFault | null {
    const index = this.script.findIndex((entry) => entry.method === undefined || entry.method === method);
    if (index < 0) return null;
    const [entry] = this.script.splice(index, 1);
    return entry ?? null;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method ?? 'GET';
    const target = new URL(request.url ?? '/', this.origin);
    this.requests.push({
      method,
      url: target.href,
      headers: { ...request.headers },
      connection: this.connectionIds.get(request.socket) ?? 0,
    });
    for (const waiter of [...this.arrivalWaiters]) if (waiter()) this.arrivalWaiters.delete(waiter);
    response.setHeader('date', new Date().toUTCString());

    const redirect = this.redirects.get(target.pathname);
    if (redirect !== undefined) {
      response.writeHead(redirect.status, { location: redirect.location, 'content-length': '0' }).end();
      return;
    }
    const resource = this.resources.get(target.pathname);
    if (resource === undefined) {
      response.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    if (resource.tokens !== null && !resource.tokens.has(target.searchParams.get('token') ?? '')) {
      response.writeHead(403, { 'content-length': '0' }).end();
      return;
    }
    if (method === 'HEAD' && resource.headStatus !== null) {
      response.writeHead(resource.headStatus, { 'content-length': '0' }).end();
      return;
    }
    const scripted = this.takeFault(method);
    if (scripted?.after !== undefined) response.once('close', scripted.after);
    this.answer(method, request, response, resource, scripted?.fault ?? null);
  }

  private answer(
    method: string,
    request: IncomingMessage,
    response: ServerResponse,
    resource: Resource,
    fault: Fault | null,
  ): void {
    const body = resource.body;
    const total = body.length;
    const head = method === 'HEAD';
    if (fault?.kind === 'foreignEtag')
      response.setHeader('etag', `"foreign-${randomBytes(4).toString('hex')}"`);
    else if (resource.etag !== null) response.setHeader('etag', resource.etag);
    if (resource.lastModified !== null) response.setHeader('last-modified', resource.lastModified);
    response.setHeader('content-type', 'application/octet-stream');
    for (const [name, value] of Object.entries(resource.headers)) response.setHeader(name, value);

    if (fault?.kind === 'status') {
      if (fault.retryAfter !== undefined) response.setHeader('retry-after', fault.retryAfter);
      if (fault.contentRange !== undefined) response.setHeader('content-range', fault.contentRange);
      const payload = Buffer.from(fault.body ?? '');
      response.writeHead(fault.status, { 'content-length': String(payload.length) }).end(payload);
      return;
    }
    if (fault?.kind === 'head') {
      response.writeHead(fault.status, fault.reason, { ...fault.headers, 'content-length': '0' }).end();
      return;
    }
    if (fault?.kind === 'truncatedFull') {
      response.writeHead(200, { 'content-length': String(fault.length) });
      response.end(head ? undefined : body.subarray(0, fault.length));
      return;
    }
    if (fault?.kind === 'gzip') {
      const zipped = gzipSync(body);
      response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(zipped.length) });
      response.end(head ? undefined : zipped);
      return;
    }
    if (resource.chunked) {
      response.writeHead(200);
      this.send(response, head ? Buffer.alloc(0) : body, fault, true);
      return;
    }
    response.setHeader('accept-ranges', 'bytes');

    const ifMatch = headerText(request.headers['if-match']);
    if (ifMatch !== undefined && !matchesStrongly(ifMatch, resource.etag)) {
      response.writeHead(412, { 'content-length': '0' }).end();
      return;
    }
    const ifRange = headerText(request.headers['if-range']);
    const rangeHonoured =
      fault?.kind !== 'ignoreRange' && (ifRange === undefined || ifRangeHolds(ifRange, resource));
    const range = rangeHonoured ? parseRangeHeader(request.headers.range, total) : { _tag: 'None' as const };

    switch (range._tag) {
      case 'None':
        response.writeHead(200, { 'content-length': String(total) });
        this.send(response, head ? Buffer.alloc(0) : body, fault);
        return;
      case 'Unsatisfiable':
        response.writeHead(416, { 'content-range': `bytes */${total}`, 'content-length': '0' }).end();
        return;
      case 'Multiple':
        this.multipart(response, body, range.ranges, head);
        return;
      case 'Single':
        this.partial(response, body, range.first, range.last, head, fault);
        return;
    }
  }

  private partial(
    response: ServerResponse,
    body: Buffer,
    first: number,
    last: number,
    head: boolean,
    fault: Fault | null,
  ): void {
    const total = body.length;
    if (fault?.kind === 'multipart') {
      this.multipart(response, body, [{ first, last }], head);
      return;
    }
    let start = first;
    let end = last;
    let announcedTotal: number = total;
    let payload: Buffer;
    if (fault?.kind === 'shiftStart') {
      start = Math.max(0, first + fault.by);
      end = Math.max(start, last);
    }
    if (fault?.kind === 'wrongTotal') announcedTotal = fault.total;
    payload = body.subarray(start, end + 1);
    if (fault?.kind === 'shortBody') payload = payload.subarray(0, Math.max(0, payload.length - fault.by));
    if (fault?.kind === 'longBody') payload = Buffer.concat([payload, Buffer.alloc(fault.by, 0xee)]);
    const chunked =
      (fault?.kind === 'shortBody' || fault?.kind === 'longBody') && fault.framing === 'chunked';
    const headers: Record<string, string> = chunked ? {} : { 'content-length': String(payload.length) };
    if (fault?.kind !== 'noContentRange')
      headers['content-range'] = `bytes ${start}-${end}/${announcedTotal}`;
    response.writeHead(206, headers);
    this.send(response, head ? Buffer.alloc(0) : payload, fault, chunked);
  }

  private multipart(
    response: ServerResponse,
    body: Buffer,
    ranges: readonly { first: number; last: number }[],
    head: boolean,
  ): void {
    const boundary = 'rdl-fault-boundary';
    const parts: Buffer[] = [];
    for (const { first, last } of ranges) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\ncontent-type: application/octet-stream\r\n` +
            `content-range: bytes ${first}-${last}/${body.length}\r\n\r\n`,
        ),
        body.subarray(first, last + 1),
        Buffer.from('\r\n'),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    const payload = Buffer.concat(parts);
    response.writeHead(206, {
      'content-type': `multipart/byteranges; boundary=${boundary}`,
      'content-length': String(payload.length),
    });
    response.end(head ? undefined : payload);
  }

  /**
   * Sends `payload`, or the part of it a `cut` or `stall` fault lets through. `chunked`: no Content-Length (Node
   * would add one when the whole body goes with `end()` before the head is sent), and one chunk per `CHUNK_BYTES`.
   */
  private send(response: ServerResponse, payload: Buffer, fault: Fault | null, chunked = false): void {
    const write = (bytes: Buffer, then?: () => void): void => {
      // An empty write still sends the head, which a stall or a cut at 0 needs.
      if (!chunked || bytes.length === 0) {
        response.write(bytes, then);
        return;
      }
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
        const last = at + CHUNK_BYTES >= bytes.length;
        response.write(bytes.subarray(at, at + CHUNK_BYTES), last ? then : undefined);
      }
    };
    if (fault?.kind === 'cut') {
      write(payload.subarray(0, fault.at), () => response.socket?.destroy());
      return;
    }
    if (fault?.kind === 'stall') {
      write(payload.subarray(0, fault.at));
      void fault.until?.then(() => {
        if (response.destroyed) return;
        if (chunked) write(payload.subarray(fault.at));
        response.end(chunked ? undefined : payload.subarray(fault.at));
      });
      return;
    }
    if (chunked) write(payload);
    response.end(chunked ? undefined : payload);
  }
}

/** The start of `request`'s Range (0 for a GET without one, or no request). */
export const rangeStart = (request: RecordedRequest | undefined): number =>
  Number(/^bytes=(\d+)-/.exec(String(request?.headers.range ?? 'bytes=0-'))?.[1]);

const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;

/** Strong comparison (RFC 9110 §8.8.3.2): neither side weak, same opaque string; `*` matches any current ETag. */
const matchesStrongly = (header: string, etag: string | null): boolean => {
  if (etag === null || etag.startsWith('W/')) return false;
  return header
    .split(',')
    .map((candidate) => candidate.trim())
    .some((candidate) => candidate === '*' || candidate === etag);
};

/** If-Range holds with a strong ETag match, or an HTTP-date equal to Last-Modified (RFC 9110 §13.1.5). */
const ifRangeHolds = (header: string, resource: Resource): boolean => {
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    return resource.etag !== null && !value.startsWith('W/') && value === resource.etag;
  }
  return resource.lastModified !== null && value === resource.lastModified;
};
