import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { type RawRequest, RawServer } from './rawServer.js';

/**
 * One answer of a hostile server, put on the socket byte for byte: what the fault server (node:http) cannot send,
 * because node:http frames every answer correctly and refuses control characters in a head.
 */
export type Lie =
  /** `HTTP/1.0 200` with the resource's ETag and no length: the first `at` bytes, then the connection is closed. */
  | { readonly kind: 'http10UntilClose'; readonly at: number }
  /** `Content-Length: length` beside `Transfer-Encoding: chunked`, the whole body chunked (R36). */
  | { readonly kind: 'lengthBesideChunked'; readonly length: number }
  /** A correctly chunked 200 of the first `at` bytes only, with its last chunk: a clean end, too early (R35). */
  | { readonly kind: 'chunkedShort'; readonly at: number }
  /** `Transfer-Encoding: value`, the body chunked; gzipped first when `value` names gzip (R36). */
  | { readonly kind: 'transferEncoding'; readonly value: string }
  /** A 200 with no length whose body never ends: the resource, then 0xEE for as long as the client reads (R35). */
  | { readonly kind: 'endless' }
  /** `text` (latin1) as the whole answer, then the connection is closed. */
  | { readonly kind: 'raw'; readonly text: string }
  /**
   * A right 200, its body one byte every `everyMs` (a slow-loris: never silent long enough to trip a stall timer).
   * Each byte sent is counted in `trickled`.
   */
  | { readonly kind: 'trickle'; readonly everyMs: number };

/** The resource a hostile server serves honestly when no lie is queued. */
export interface HostileResource {
  readonly body: Buffer;
  /** The ETag, quotes included, sent as latin1 bytes (so it may hold C1 bytes, R38). */
  readonly etag: string;
}

const longAgo = new Date(Date.UTC(2020, 0, 1)).toUTCString();

const chunked = (body: Buffer): Buffer => {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 16_381) {
    const chunk = body.subarray(at, at + 16_381);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
};

/**
 * A hostile HTTP server on 127.0.0.1 (built on `RawServer`): it serves one resource honestly (HEAD with its length,
 * ETag and `Accept-Ranges`, 200 or a right 206 to GET, `If-Range` honoured), except to the requests it was told to
 * lie to (`lie`), which get the raw bytes of a `Lie`. Every request is recorded (`requests`).
 */
export class HostileServer {
  private readonly lies: { readonly method: 'GET' | 'HEAD'; readonly lie: Lie }[] = [];
  /** Body bytes written by `endless` answers so far. */
  endlessBytes = 0;
  /** Body bytes written by `trickle` answers so far. */
  trickled = 0;

  private constructor(
    private readonly raw: RawServer,
    readonly resource: HostileResource,
  ) {}

  static async start(resource: HostileResource): Promise<HostileServer> {
    let server: HostileServer | null = null;
    const raw = await RawServer.start((request, socket) => server?.answer(request, socket));
    server = new HostileServer(raw, resource);
    return server;
  }

  url(path = '/file.bin'): string {
    return this.raw.url(path);
  }

  get requests(): readonly RawRequest[] {
    return this.raw.requests;
  }

  /** The GET requests' heads. */
  gets(): string[] {
    return this.raw.requests.filter((r) => r.head.startsWith('GET ')).map((r) => r.head);
  }

  /** The next request with `method` (GET by default) gets `lie`; lies are taken in the order given. */
  lie(lie: Lie, method: 'GET' | 'HEAD' = 'GET'): void {
    this.lies.push({ method, lie });
  }

  close(): Promise<void> {
    return this.raw.close();
  }

  private answer(request: RawRequest, socket: Socket): void {
    const method = request.head.startsWith('HEAD ') ? 'HEAD' : 'GET';
    const index = this.lies.findIndex((entry) => entry.method === method);
    const entry = index < 0 ? undefined : this.lies.splice(index, 1)[0];
    if (entry !== undefined) {
      this.tell(entry.lie, method, socket);
      return;
    }
    this.honest(request, method, socket);
  }

  private honest(request: RawRequest, method: 'GET' | 'HEAD', socket: Socket): void {
    const { body, etag } = this.resource;
    const range = /\r\nrange: bytes=(\d+)-\r\n/i.exec(request.head);
    const ifRange = /\r\nif-range: ([^\r\n]*)\r\n/i.exec(request.head)?.[1];
    const from = range !== null && (ifRange === undefined || ifRange === etag) ? Number(range[1]) : null;
    const served = from === null ? body : body.subarray(from);
    const status = from === null ? '200 OK' : '206 Partial Content';
    const contentRange =
      from === null ? '' : `content-range: bytes ${from}-${body.length - 1}/${body.length}\r\n`;
    const head =
      `HTTP/1.1 ${status}\r\netag: ${etag}\r\nlast-modified: ${longAgo}\r\ndate: ${new Date().toUTCString()}\r\n` +
      `accept-ranges: bytes\r\n${contentRange}content-length: ${served.length}\r\n\r\n`;
    socket.write(Buffer.from(head, 'latin1'));
    if (method === 'GET') socket.write(served);
  }

  private tell(lie: Lie, method: 'GET' | 'HEAD', socket: Socket): void {
    const { body, etag } = this.resource;
    const base = `etag: ${etag}\r\nlast-modified: ${longAgo}\r\ndate: ${new Date().toUTCString()}\r\n`;
    const send = (head: string, payload: Buffer | null): void => {
      socket.write(Buffer.from(head, 'latin1'));
      if (payload !== null && method === 'GET') socket.write(payload);
    };
    switch (lie.kind) {
      case 'http10UntilClose':
        send(`HTTP/1.0 200 OK\r\n${base}\r\n`, body.subarray(0, lie.at));
        socket.end();
        return;
      case 'lengthBesideChunked':
        send(
          `HTTP/1.1 200 OK\r\n${base}content-length: ${lie.length}\r\ntransfer-encoding: chunked\r\n\r\n`,
          chunked(body),
        );
        return;
      case 'chunkedShort':
        send(
          `HTTP/1.1 200 OK\r\n${base}transfer-encoding: chunked\r\n\r\n`,
          chunked(body.subarray(0, lie.at)),
        );
        return;
      case 'transferEncoding': {
        const payload = lie.value.includes('gzip') ? gzipSync(body) : body;
        send(`HTTP/1.1 200 OK\r\n${base}transfer-encoding: ${lie.value}\r\n\r\n`, chunked(payload));
        return;
      }
      case 'endless':
        send(`HTTP/1.1 200 OK\r\n${base}connection: close\r\n\r\n`, null);
        this.pour(socket, body);
        return;
      case 'raw':
        socket.end(Buffer.from(lie.text, 'latin1'));
        return;
      case 'trickle': {
        send(`HTTP/1.1 200 OK\r\n${base}content-length: ${body.length}\r\n\r\n`, null);
        let at = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || at >= body.length) {
            clearInterval(timer);
            return;
          }
          socket.write(body.subarray(at, at + 1));
          at += 1;
          this.trickled += 1;
        }, lie.everyMs);
        socket.on('close', () => clearInterval(timer));
        return;
      }
    }
  }

  /** Writes `body`, then junk, as fast as the client reads, until it closes the connection. */
  private pour(socket: Socket, body: Buffer): void {
    const junk = Buffer.alloc(64 * 1024, 0xee);
    let first: Buffer | null = body;
    const more = (): void => {
      while (!socket.destroyed) {
        const chunk: Buffer = first ?? junk;
        first = null;
        this.endlessBytes += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', more);
          return;
        }
      }
    };
    more();
  }
}
