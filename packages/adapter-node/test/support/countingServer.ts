import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRangeHeader } from '@rdl/core/memory';

/** One request as a `CountingServer` saw it. */
export interface CountedRequest {
  readonly method: string;
  readonly path: string;
  /** The `Range` header, `''` for none. */
  readonly range: string;
  /** Body bytes sent (or handed to the socket before it closed). */
  sent: number;
}

/** How a paced body goes out: `chunkBytes` every `everyMs`, and no faster than the socket drains. */
export interface Pace {
  readonly chunkBytes: number;
  readonly everyMs: number;
}

const longAgo = new Date(Date.UTC(2020, 0, 1)).toUTCString();

/**
 * An HTTP/1.1 server on 127.0.0.1 serving files from memory (a strong ETag, Last-Modified, ranges honoured) whose
 * bodies go out at a `Pace` while `paced`, so that a list's downloads overlap; what the list tests measure at the
 * server it counts: TCP connections accepted, requests, bytes sent, and the most files in transfer at once.
 */
export class CountingServer {
  readonly requests: CountedRequest[] = [];
  /** TCP connections accepted so far. */
  connections = 0;
  /** The most distinct files with a request in progress at one instant. */
  mostFilesAtOnce = 0;
  /** Requests in progress now, and the most at one instant since `takeMostBodiesAtOnce` (a file's segments count). */
  #bodies = 0;
  #mostBodies = 0;
  /** Whether bodies keep the pace (for the requests from now on). */
  paced = true;
  readonly #files = new Map<
    string,
    { readonly body: Buffer; readonly etag: string; readonly headers: Record<string, string> }
  >();
  readonly #open = new Map<string, number>();
  readonly #server: Server;

  private constructor(readonly pace: Pace) {
    this.#server = createServer((request, response) => this.#handle(request, response));
    this.#server.keepAliveTimeout = 5_000;
    this.#server.on('connection', () => {
      this.connections += 1;
    });
  }

  static async start(pace: Pace): Promise<CountingServer> {
    const server = new CountingServer(pace);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** Serves `body` at `path`, with `headers` added to its answers (a Content-Disposition…). */
  serve(path: string, body: Buffer, headers: Record<string, string> = {}): void {
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    this.#files.set(path, { body, etag, headers });
  }

  /** The most requests in progress at one instant since the last call, which starts the count again. */
  takeMostBodiesAtOnce(): number {
    const most = this.#mostBodies;
    this.#mostBodies = this.#bodies;
    return most;
  }

  /** Body bytes sent for the requests of `path` (every one when not given). */
  sentFor(path?: string): number {
    return this.requests
      .filter((r) => path === undefined || r.path === path)
      .reduce((sum, r) => sum + r.sent, 0);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const record: CountedRequest = { method, path, range: request.headers.range ?? '', sent: 0 };
    this.requests.push(record);
    const file = this.#files.get(path);
    if (file === undefined) {
      response.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    this.#opened(path, response);
    const { body, etag } = file;
    const extra = file.headers;
    const ifMatch = request.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== etag && ifMatch !== '*') {
      response.writeHead(412, { 'content-length': '0' }).end();
      return;
    }
    const ifRange = request.headers['if-range'];
    const range =
      ifRange === undefined || ifRange === etag || ifRange === longAgo
        ? parseRangeHeader(request.headers.range, body.length)
        : ({ _tag: 'None' } as const);
    const headers = { ...extra, etag, 'last-modified': longAgo, 'accept-ranges': 'bytes' };
    if (range._tag === 'Unsatisfiable') {
      response.writeHead(416, {
        ...headers,
        'content-range': `bytes */${body.length}`,
        'content-length': '0',
      });
      response.end();
      return;
    }
    const [first, last] = range._tag === 'Single' ? [range.first, range.last] : [0, body.length - 1];
    const payload = body.subarray(first, last + 1);
    response.writeHead(range._tag === 'Single' ? 206 : 200, {
      ...headers,
      'content-length': String(payload.length),
      ...(range._tag === 'Single' ? { 'content-range': `bytes ${first}-${last}/${body.length}` } : {}),
    });
    if (method === 'HEAD') response.end();
    else if (this.paced) this.#trickle(response, payload, record);
    else {
      record.sent = payload.length;
      response.end(payload);
    }
  }

  /** Counts `path` as in transfer until `response` has finished or closed. */
  #opened(path: string, response: ServerResponse): void {
    this.#open.set(path, (this.#open.get(path) ?? 0) + 1);
    this.mostFilesAtOnce = Math.max(this.mostFilesAtOnce, this.#open.size);
    this.#bodies += 1;
    this.#mostBodies = Math.max(this.#mostBodies, this.#bodies);
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      this.#bodies -= 1;
      const left = (this.#open.get(path) ?? 1) - 1;
      if (left === 0) this.#open.delete(path);
      else this.#open.set(path, left);
    };
    response.once('finish', done);
    response.once('close', done);
  }

  #trickle(response: ServerResponse, payload: Buffer, record: CountedRequest): void {
    let at = 0;
    const next = (): void => {
      if (response.destroyed) return;
      const chunk = payload.subarray(at, at + this.pace.chunkBytes);
      at += chunk.length;
      record.sent += chunk.length;
      if (at >= payload.length) {
        response.end(chunk);
        return;
      }
      const wait = (): void => {
        setTimeout(next, this.pace.everyMs);
      };
      if (response.write(chunk)) wait();
      else response.once('drain', wait);
    };
    next();
  }
}
