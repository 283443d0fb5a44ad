import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath, URL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseBody } from '../src/http1/ResponseBody.js';
import { NodeHttp } from '../src/NodeHttp.js';
import { FaultServer } from './support/faultServer.js';
import { requestWith, right } from './support/httpContract.js';
import { RawServer } from './support/rawServer.js';

const MiB = 1024 * 1024;

/** Lets one whole turn of the event loop pass, its poll for I/O included: a socket that reads would read there. */
const oneTurn = async (): Promise<void> => {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
};

/**
 * Bytes the kernel holds for the loopback socket bound to `localPort` (talking to `remotePort`) that its process
 * has not read: `rx_queue` in /proc/net/tcp (Linux).
 */
const kernelQueued = (localPort: number, remotePort: number): number => {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, remote, , queues] = line.trim().split(/\s+/);
    if (local === `0100007F:${hex(localPort)}` && remote === `0100007F:${hex(remotePort)}`)
      return Number.parseInt(queues?.split(':')[1] ?? '0', 16);
  }
  throw new Error(`no loopback socket from port ${localPort} to ${remotePort}`);
};

describe('NodeHttp flow control', () => {
  const size = 256 * MiB;
  const block = Buffer.alloc(MiB, 0x5a);
  let server: RawServer;
  /** The server's end of the connection. */
  let serverSide: Socket | null = null;
  /** Body bytes the server's socket took (the kernel has them, or the client). */
  let accepted = 0;

  beforeAll(async () => {
    server = await RawServer.start((_request, socket) => {
      serverSide = socket;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += block.length;
          const more = socket.write(block, () => {
            accepted += block.length;
          });
          if (!more) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
  afterAll(() => server.close());

  it('a reader that stops pauses the socket: the queue stays under maxQueuedBytes plus one read, the server blocks', async () => {
    const maxQueuedBytes = 2 * MiB;
    const slotBytes = 256 * 1024;
    const bound = maxQueuedBytes + slotBytes;
    const http = new NodeHttp({ maxQueuedBytes, slotBytes });
    const response = right((await requestWith(http, server.url())).result);
    const body = response.body;
    if (!(body instanceof ResponseBody)) throw new Error('NodeHttp bodies are ResponseBody');
    const iterator = body[Symbol.asyncIterator]();
    let received = (await iterator.next()).value?.byteLength ?? 0;
    const socket = serverSide as Socket | null;
    if (socket === null || socket.remotePort === undefined || socket.localPort === undefined)
      throw new Error('the server has no connection');
    const waiting = (): number => kernelQueued(socket.remotePort ?? 0, socket.localPort ?? 0);

    // The reader stops. Once the queue is full, bytes pile up in the kernel for the client while the server still
    // has more to write: the client has stopped reading (a queue past the bound would say it never did).
    while (!(body.queued >= maxQueuedBytes && waiting() > 0 && socket.writableLength > 0)) {
      if (body.queued > bound) break;
      await oneTurn();
    }
    expect(body.queued).toBeLessThanOrEqual(bound);
    // A turn of the event loop with bytes waiting in the kernel: a socket still reading would have taken some.
    const queued = body.queued;
    const pending = waiting();
    await oneTurn();
    expect(body.queued).toBe(queued);
    expect(waiting()).toBeGreaterThanOrEqual(pending);
    // So the server is blocked: what it took is what the kernel buffers, far from the whole body.
    expect(socket.writableLength).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(size / 2);

    // It reads on: the socket resumes, and every byte comes, once.
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      received += next.value.byteLength;
      expect(body.queued).toBeLessThanOrEqual(bound);
    }
    expect(received).toBe(size);
    http.close();
  });
});

describe('NodeHttp: one read budget for all connections', () => {
  let files: FaultServer;
  const size = 16 * MiB;
  const content = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) content[i] = (i / 4096) & 0xff;
  beforeAll(async () => {
    files = await FaultServer.start();
    files.serve('/big', content);
  });
  afterAll(() => files.close());

  it('readers that stop hold no more than maxBufferedBytes plus one read a connection, whatever the count; each body is whole', async () => {
    const connections = 6;
    const maxBufferedBytes = MiB;
    const slotBytes = 64 * 1024;
    const http = new NodeHttp({ maxBufferedBytes, slotBytes, maxQueuedBytes: 4 * MiB });
    const bound = maxBufferedBytes + connections * slotBytes;
    const responses = await Promise.all(
      Array.from({ length: connections }, async () =>
        right((await requestWith(http, files.url('/big'))).result),
      ),
    );
    // No one reads. Each connection reads until the budget is spent and it has bytes queued: then it stops.
    let most = 0;
    for (let turn = 0; turn < 10_000 && http.bufferedBytes < maxBufferedBytes; turn += 1) {
      most = Math.max(most, http.bufferedBytes);
      await oneTurn();
    }
    expect(http.bufferedBytes).toBeGreaterThanOrEqual(maxBufferedBytes);
    for (let turn = 0; turn < 20; turn += 1) {
      most = Math.max(most, http.bufferedBytes);
      await oneTurn();
    }
    expect(most).toBeLessThanOrEqual(bound);
    // Each reader in turn reads its body to the end; the others wait, and the budget still holds.
    for (const response of responses) {
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) {
        chunks.push(Buffer.from(chunk));
        response.recycle?.(chunk);
        expect(http.bufferedBytes).toBeLessThanOrEqual(bound);
      }
      expect(Buffer.concat(chunks).equals(content)).toBe(true);
    }
    expect(http.bufferedBytes).toBe(0);
    http.close();
  });
});

describe('NodeHttp idle sockets', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  let files: FaultServer;
  beforeAll(async () => {
    files = await FaultServer.start();
    files.serve('/small', Buffer.from('small body'));
  });
  afterAll(() => files.close());

  it('an idle kept-alive socket does not keep the process alive (run `pnpm build` first)', async () => {
    expect(existsSync(dist)).toBe(true);
    const script = `
      const { NodeHttp } = await import(${JSON.stringify(dist)});
      const http = new NodeHttp();
      const signal = new AbortController().signal;
      const result = await http.request({ method: 'GET', url: ${JSON.stringify(files.url('/small'))}, headers: {}, signal })();
      for await (const _ of result.right.body);
      console.log(result.right.status, JSON.stringify(process.getActiveResourcesInfo()));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Once the body is read, nothing keeps the event loop alive: neither the pooled socket nor its idle timer
    // (5 s by default), so the process ends by itself at once.
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: '200 []' });
    expect(files.requests.length).toBe(1);
  });
});
