import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the front passed on (or refused), and what it sent back. */
export interface FrontRequest {
  readonly method: string;
  /** Path and query as asked. */
  readonly path: string;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  status: number;
  /** Body bytes sent back to the client. */
  bytes: number;
}

const signatureOf = (path: string): string | null =>
  new URL(path, 'http://front').searchParams.get('X-Amz-Signature');

/** A hold of the next GET's body: where it stops, and the stopped exchange once it is reached. */
interface Hold {
  readonly at: number;
  readonly reached: () => void;
}

/**
 * An HTTP front for the S3 server, on 127.0.0.1: it passes every request on and counts the body bytes each answer
 * sends, so a test proves what a resumed run fetched. It can stop the next GET's body after N bytes (a kill or a
 * cut then lands at a known byte, without timing), cut what it holds, revoke a signature after N bytes over every
 * connection (`revokeAfter`), answer 403 as S3 does to a signature it was
 * told is revoked (s3rver checks expiry, not signatures), and act as a hostile gateway: `route` chooses the
 * object from the query (`?file=a`), `headers` rewrites the answer's headers (a weak ETag, none, one date for all).
 */
export class S3Front {
  readonly requests: FrontRequest[] = [];
  /** Signatures (`X-Amz-Signature` values) answered 403 `AccessDenied`. */
  readonly revoked = new Set<string>();
  route: ((path: string) => string) | null = null;
  headers: ((headers: IncomingMessage['headers']) => IncomingMessage['headers']) | null = null;
  private hold: Hold | null = null;
  /** One upstream connection a request, so that closing s3rver waits for no idle keep-alive socket. */
  private readonly agent = new Agent({ keepAlive: false });
  private readonly held = new Set<{ client: ServerResponse; upstream: IncomingMessage }>();
  private readonly revokeAt = new Map<string, number>();
  private readonly sentFor = new Map<string, number>();
  private readonly live = new Set<{
    signature: string;
    client: ServerResponse;
    upstream: { destroy(): void };
  }>();

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly upstream: URL,
  ) {}

  static async start(upstream: string): Promise<S3Front> {
    let front: S3Front | null = null;
    const server = createServer((req, res) => front?.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    front = new S3Front(server, `http://127.0.0.1:${port}`, new URL(upstream));
    return front;
  }

  /** Resolves once the next GET's answer has sent `bytes` body bytes; the rest is held until `cutHeld`. */
  holdNextGet(bytes: number): Promise<void> {
    return new Promise((resolve) => {
      this.hold = { at: bytes, reached: resolve };
    });
  }

  /** Cuts every held answer: its connection is closed mid-body, as a network drop would. */
  cutHeld(): void {
    for (const { client, upstream } of this.held) {
      upstream.destroy();
      client.socket?.destroy();
    }
    this.held.clear();
  }

  /** Body bytes of the file sent to the requests from index `from` on: those of 200 and 206 answers. */
  bytesSince(from: number): number {
    return this.requests
      .slice(from)
      .filter((r) => r.status === 200 || r.status === 206)
      .reduce((sum, r) => sum + r.bytes, 0);
  }

  async close(): Promise<void> {
    this.cutHeld();
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const record: FrontRequest = {
      method: req.method ?? 'GET',
      path,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      status: 0,
      bytes: 0,
    };
    this.requests.push(record);
    const signature = signatureOf(path);
    if (signature !== null && this.revoked.has(signature)) {
      const body =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';
      record.status = 403;
      res
        .writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
        .end(body);
      return;
    }
    const headers = { ...req.headers, host: this.upstream.host };
    const forward = httpRequest(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: this.route?.(path) ?? path,
        headers,
        agent: this.agent,
      },
      (upstream) => this.relay(record, req, res, upstream),
    );
    forward.on('error', () => res.socket?.destroy());
    req.pipe(forward);
    if (signature !== null) {
      const exchange = { signature, client: res, upstream: forward };
      this.live.add(exchange);
      res.on('close', () => this.live.delete(exchange));
    }
  }

  /**
   * Revokes `signature` once the answers to it have sent `bytes` body bytes in all, over any number of
   * connections: every exchange with it is cut there and later requests with it get 403, as if it expired then.
   */
  revokeAfter(signature: string, bytes: number): void {
    this.revokeAt.set(signature, bytes);
  }

  /** Counts `n` more body bytes sent for `signature`, and revokes it when that reaches its `revokeAfter`. */
  private served(signature: string | null, n: number): void {
    if (signature === null) return;
    const total = (this.sentFor.get(signature) ?? 0) + n;
    this.sentFor.set(signature, total);
    const at = this.revokeAt.get(signature);
    if (at === undefined || total < at) return;
    this.revokeAt.delete(signature);
    this.revoked.add(signature);
    for (const exchange of this.live) {
      if (exchange.signature !== signature) continue;
      exchange.upstream.destroy();
      exchange.client.socket?.destroy();
    }
  }

  private relay(
    record: FrontRequest,
    req: IncomingMessage,
    res: ServerResponse,
    upstream: IncomingMessage,
  ): void {
    const headers = this.headers?.({ ...upstream.headers }) ?? upstream.headers;
    record.status = upstream.statusCode ?? 0;
    res.writeHead(record.status, headers);
    const hold = req.method === 'GET' ? this.hold : null;
    if (hold !== null) this.hold = null;
    res.on('close', () => upstream.destroy());
    upstream.on('data', (chunk: Buffer) => {
      if (hold !== null && record.bytes + chunk.length >= hold.at) {
        const part = chunk.subarray(0, hold.at - record.bytes);
        record.bytes += part.length;
        res.write(part);
        upstream.pause();
        upstream.removeAllListeners('data');
        this.held.add({ client: res, upstream });
        hold.reached();
        return;
      }
      record.bytes += chunk.length;
      const flowing = res.write(chunk);
      this.served(signatureOf(record.path), chunk.length);
      if (!flowing) {
        upstream.pause();
        res.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => res.end());
  }
}
