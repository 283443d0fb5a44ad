import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the demo narrates it. */
export interface RequestLine {
  readonly method: string;
  readonly range: string | null;
  readonly ifRange: string | null;
  readonly status: number;
  /** Body bytes written to the socket so far: what the server served for this request. */
  readonly sent: number;
  /** Bodies being sent when this one began, its own included: the connections the client was using then. */
  readonly atOnce: number;
  /** When it came, in `performance.now()` ms of this process. */
  readonly at: number;
}

/** A request while its body is sent: the server counts its bytes. */
type Served = { -readonly [K in keyof RequestLine]: RequestLine[K] };

/**
 * The demo's HTTP server on 127.0.0.1: one file at `/<name>`, with a strong ETag, `Accept-Ranges`, single ranges,
 * `If-Range` and `If-Match` (RFC 9110). Each response is paced to `bytesPerSecond` on its own, so that a download
 * lasts long enough to watch; a connection carries one response at a time, so that is a limit a connection, as
 * nginx's `limit_rate` is, and more connections are more speed. `cutAt(offset)` makes it drop the connection once,
 * when a response reaches that offset of the file.
 */
export class DemoServer {
  private readonly server: Server;
  private version = 1;
  private size = 0;
  private mtime = new Date();
  private cutOffset: number | null = null;
  /** The furthest offset of the file any response has reached: the demo watches it to choose its moments. */
  position = 0;
  private readonly served: Served[] = [];
  /** Bodies being sent now. */
  private sending = 0;

  constructor(
    private readonly path: string,
    private readonly name: string,
    private readonly bytesPerSecond: number,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
    // Keep-alive sockets must not keep the demo alive.
    this.server.keepAliveTimeout = 1000;
  }

  async start(): Promise<string> {
    await this.refresh();
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/${this.name}`;
  }

  /** Reads the file's size again after it was replaced on disk, and gives it a new version (a new ETag). */
  async replaced(): Promise<void> {
    this.version += 1;
    this.position = 0;
    await this.refresh();
  }

  /** Every request so far, in the order they came; `sent` grows while a body is sent. */
  get requests(): readonly RequestLine[] {
    return this.served;
  }

  cutAt(offset: number): void {
    this.cutOffset = offset;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private get etag(): string {
    return `"v${this.version}-${this.size.toString(16)}"`;
  }

  private async refresh(): Promise<void> {
    const s = await stat(this.path);
    this.size = s.size;
    // A date well in the past: Last-Modified is then a strong validator too (R3).
    this.mtime = new Date(Date.now() - 3_600_000);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const log = (status: number): Served => {
      const line: Served = {
        method: req.method ?? '?',
        range: req.headers.range ?? null,
        ifRange: (req.headers['if-range'] as string | undefined) ?? null,
        status,
        sent: 0,
        atOnce: this.sending,
        at: performance.now(),
      };
      this.served.push(line);
      return line;
    };
    if (req.url !== `/${this.name}` || (req.method !== 'GET' && req.method !== 'HEAD')) {
      log(404);
      res.writeHead(404).end();
      return;
    }
    const common = {
      etag: this.etag,
      'last-modified': this.mtime.toUTCString(),
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    };
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== this.etag && ifMatch !== '*') {
      log(412);
      res.writeHead(412, common).end();
      return;
    }
    let first = 0;
    let last = this.size - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    const rangeApplies = range !== null && (ifRange === undefined || ifRange === this.etag);
    if (rangeApplies && range !== null) {
      first = Number(range[1]);
      last = range[2] === '' ? this.size - 1 : Math.min(Number(range[2]), this.size - 1);
      if (first >= this.size || last < first) {
        log(416);
        res.writeHead(416, { ...common, 'content-range': `bytes */${this.size}` }).end();
        return;
      }
      status = 206;
    }
    const headers: Record<string, string | number> = { ...common, 'content-length': last - first + 1 };
    if (status === 206) headers['content-range'] = `bytes ${first}-${last}/${this.size}`;
    const sendsBody = req.method !== 'HEAD' && this.size !== 0;
    if (sendsBody) this.sending += 1;
    const line = log(status);
    res.writeHead(status, headers);
    if (!sendsBody) {
      res.end();
      return;
    }
    res.once('close', () => {
      this.sending -= 1;
    });
    this.send(res, first, last, line);
  }

  /** Streams `[first, last]` of the file at the set pace, counting into `line`; drops the socket once at `cutOffset`. */
  private send(res: ServerResponse, first: number, last: number, line: Served): void {
    const stream = createReadStream(this.path, { start: first, end: last, highWaterMark: 256 * 1024 });
    const startedAt = performance.now();
    let sent = 0;
    stream.on('data', (chunk) => {
      const bytes = chunk as Buffer;
      const offset = first + sent;
      const cut = this.cutOffset;
      if (cut !== null && cut >= offset && cut < offset + bytes.length) {
        this.cutOffset = null;
        res.write(bytes.subarray(0, cut - offset));
        line.sent += cut - offset;
        this.position = Math.max(this.position, cut);
        stream.destroy();
        res.socket?.destroy();
        return;
      }
      sent += bytes.length;
      line.sent += bytes.length;
      this.position = Math.max(this.position, first + sent);
      const ok = res.write(bytes);
      // Pace: never ahead of bytesPerSecond, and never ahead of the socket.
      const ahead = (sent / this.bytesPerSecond) * 1000 - (performance.now() - startedAt);
      if (ahead > 0 || !ok) {
        stream.pause();
        const resume = (): void => {
          if (!res.destroyed) stream.resume();
        };
        if (ok) setTimeout(resume, ahead);
        else res.once('drain', () => setTimeout(resume, Math.max(0, ahead)));
      }
    });
    stream.on('end', () => res.end());
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
  }
}
