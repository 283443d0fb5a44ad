import { stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { RawServer } from './support/rawServer.js';
import { listDir, useTempDir } from './support/tempDir.js';

/** `--max-filesize`, as curl's: a file larger than the limit is refused, announced or not, and no byte past it lands. */

const body = generateBytes(300_000, 47);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-max-filesize-');

let raw: RawServer | null = null;
afterEach(async () => {
  await raw?.close();
  raw = null;
});

/** Writes 16 KiB chunks to `socket` until it closes: a body with no end, as a hostile server sends one. */
const endlessChunks = (socket: Socket): void => {
  const chunk = Buffer.concat([Buffer.from('4000\r\n'), Buffer.alloc(0x4000, 0x61), Buffer.from('\r\n')]);
  const pump = (): void => {
    while (!socket.destroyed && socket.write(chunk)) {
      // Until the socket's buffer is full.
    }
    if (!socket.destroyed) socket.once('drain', pump);
  };
  pump();
};

describe('rdl --max-filesize', () => {
  it('R40: a HEAD announcing more than --max-filesize fails ERR_TOO_LARGE with no data request, no file', async () => {
    server.serve('/big.bin', body);
    const run = await runCliInProcess([server.url('/big.bin'), '--max-filesize', '100K'], dir());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'rdl: the file is 300000 bytes, over the limit of 102400 bytes (ERR_TOO_LARGE)\n',
    );
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD']);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R40: a file within --max-filesize is downloaded as usual', async () => {
    server.serve('/fits.bin', body);
    const run = await runCliInProcess([server.url('/fits.bin'), '--max-filesize', '300000'], dir());
    expect(run.code, run.stderr).toBe(0);
    expect(await fileSha256(`${dir()}/fits.bin`)).toBe(sha256(body));
  });

  it('R40, R15: a chunked body of no announced length is cut at --max-filesize; no file appears, no byte past it', async () => {
    server.serve('/stream.bin', body, { chunked: true });
    const run = await runCliInProcess([server.url('/stream.bin'), '--max-filesize', '100K'], dir());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /\nrdl: the body ran past the limit of 102400 bytes with no length announced \(ERR_TOO_LARGE\)\n$/,
    );
    // As after any failure, the part file and its checkpoint stay; the file never appears.
    expect(await listDir(dir())).toEqual(['stream.bin.part', 'stream.bin.rdl.json']);
    expect((await stat(`${dir()}/stream.bin.part`)).size).toBeLessThanOrEqual(102_400);
  });

  it('R40: a server that sends a chunked body with no end is stopped at --max-filesize, not at a full disk', async () => {
    raw = await RawServer.start((request, socket) => {
      const head =
        'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
      if (request.head.startsWith('HEAD')) {
        socket.write(head);
        return;
      }
      socket.write(head);
      endlessChunks(socket);
    });
    const run = await runCliInProcess([raw.url('/endless'), '-o', 'endless', '--max-filesize', '1M'], dir());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('(ERR_TOO_LARGE)');
    expect(await listDir(dir())).not.toContain('endless');
    const part = await stat(`${dir()}/endless.part`).catch(() => null);
    expect(part?.size ?? 0).toBeLessThanOrEqual(1024 * 1024);
  });

  it('R40: in a list, the file over --max-filesize fails and the others are downloaded; exit 1', async () => {
    server.serve('/list/big.bin', body);
    const small = generateBytes(50_000, 48);
    server.serve('/list/small.bin', small);
    const run = await runCliInProcess(
      [server.url('/list/big.bin'), server.url('/list/small.bin'), '--max-filesize', '100K', '-q'],
      dir(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ERR_TOO_LARGE');
    expect(await listDir(dir())).toContain('small.bin');
    expect(await listDir(dir())).not.toContain('big.bin');
    expect(await fileSha256(`${dir()}/small.bin`)).toBe(sha256(small));
  });
});
