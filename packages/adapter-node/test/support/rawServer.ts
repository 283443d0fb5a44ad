import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

/** A request as a `RawServer` read it off the wire. */
export interface RawRequest {
  /** The request head, as sent (CRLFs included). */
  readonly head: string;
  /** 1 for the server's first connection, 2 for the second… */
  readonly connection: number;
  /** 0 for the first request on its connection, 1 for the next… */
  readonly onConnection: number;
}

/** Answers one request by writing to (or closing, resetting…) the socket itself. */
export type RawHandler = (request: RawRequest, socket: Socket) => void;

/**
 * A TCP server on 127.0.0.1 that speaks HTTP/1.1 by hand, so that a test can send what node:http never would:
 * malformed heads, interim answers, bytes past a body, a reset, a keep-alive socket closed at the wrong time.
 * Requests are GET or HEAD without a body: each ends at its blank line.
 */
export class RawServer {
  readonly requests: RawRequest[] = [];
  /** Connections accepted, and the ones since closed. */
  connections = 0;
  closed = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly waiters = new Set<{ readonly holds: () => boolean; readonly resolve: () => void }>();

  private constructor(private readonly handler: RawHandler) {
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(handler: RawHandler): Promise<RawServer> {
    const server = new RawServer(handler);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Resolves once `holds()` is true: at once, or at the connection, request or close that makes it so. */
  until(holds: () => boolean): Promise<void> {
    if (holds()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ holds, resolve }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.connections += 1;
    const connection = this.connections;
    this.sockets.add(socket);
    let pending = '';
    let onConnection = 0;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed += 1;
      this.sockets.delete(socket);
      this.changed();
    });
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const request = { head: pending.slice(0, end + 4), connection, onConnection };
        pending = pending.slice(end + 4);
        onConnection += 1;
        this.requests.push(request);
        this.handler(request, socket);
        this.changed();
      }
    });
    this.changed();
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.holds()) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

/** A complete answer with a Content-Length. */
export const answer = (body: string, status = 200, extra = ''): string =>
  `HTTP/1.1 ${status} X\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
