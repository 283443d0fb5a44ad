import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseBody } from '../src/http1/ResponseBody.js';
import { NodeHttp } from '../src/NodeHttp.js';
import { FaultServer } from './support/faultServer.js';
import { requestWith, right } from './support/httpContract.js';
import { RawServer } from './support/rawServer.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('NodeHttp flow control', () => {
  const size = 256 * MiB;
  const block = Buffer.alloc(MiB, 0x5a);
  let server: RawServer;
  /** Body bytes the server's socket took (the kernel has them, or the client). */
  let accepted = 0;

  beforeAll(async () => {
    server = await RawServer.start((_request, socket) => {
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
    const http = new NodeHttp({ maxQueuedBytes, slotBytes });
    const response = right((await requestWith(http, server.url())).result);
    const body = response.body;
    if (!(body instanceof ResponseBody)) throw new Error('NodeHttp bodies are ResponseBody');
    const iterator = body[Symbol.asyncIterator]();
    let received = (await iterator.next()).value?.byteLength ?? 0;

    // The reader sleeps: whatever the kernel buffers, the server must end up blocked, and the client's queue bounded.
    await sleep(300);
    const stalledAt = accepted;
    await sleep(300);
    expect(accepted).toBe(stalledAt);
    expect(accepted).toBeLessThan(size / 2);
    expect(body.queued).toBeLessThanOrEqual(maxQueuedBytes + slotBytes);

    // It reads on: the socket resumes, and every byte comes, once.
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      received += next.value.byteLength;
      expect(body.queued).toBeLessThanOrEqual(maxQueuedBytes + slotBytes);
    }
    expect(received).toBe(size);
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
      console.log(result.right.status);
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: '200' });
    // The default idle timeout is 5 s: a referenced socket would hold the process that long.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(files.requests.length).toBe(1);
  });
});
