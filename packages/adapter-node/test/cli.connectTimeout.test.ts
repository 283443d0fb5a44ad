import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useHttpsFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { useTempDir } from './support/tempDir.js';

const body = generateBytes(200_000, 41);
const dir = useTempDir('rdl-cli-connect-');

/**
 * A listener whose accept queue is full: a child process listens with a backlog of 1 and then blocks its thread for
 * good (Atomics.wait), so it never accepts; once two connections fill its queue, Linux drops every later SYN, and a
 * connect to it neither succeeds nor fails.
 */
const fullBacklog = async (): Promise<{ port: number; stop: () => Promise<void> }> => {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:net').createServer();
       s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         process.stdout.write(s.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = Number(
    await new Promise<string>((resolve) => child.stdout?.once('data', (d) => resolve(String(d)))),
  );
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i += 1) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    fillers.push(socket);
  }
  return {
    port,
    stop: async () => {
      for (const socket of fillers) socket.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
};

describe('rdl --connect-timeout bounds the TCP connect', () => {
  let listener: { port: number; stop: () => Promise<void> };
  beforeAll(async () => {
    listener = await fullBacklog();
  });
  afterAll(() => listener.stop());

  it('R25: a listener that never accepts: a network error, retried as any other, then given up (exit 1, one line)', async () => {
    const url = `http://127.0.0.1:${listener.port}/file.bin`;
    const run = await runCliInProcess(
      [url, '-o', 'out.bin', '--connect-timeout', '0.2', '--retries', '1'],
      dir(),
    );
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    const why = `network error: TCP connect to 127.0.0.1:${listener.port} not done within 0.2 s (connect timeout)`;
    expect(lines).toContain(`rdl: ${why}; retry 1 in ${/retry 1 in ([\d.]+) s/.exec(run.stderr)?.[1]} s`);
    expect(lines.at(-1)).toBe(`rdl: gave up after 2 attempts: ${why} (ERR_RETRIES_EXHAUSTED)`);
  });

  it.each([
    ['an https proxy', 'https://origin.test:8443/f.bin'],
    ['http through a proxy', 'http://origin.test:8080/f.bin'],
  ])(
    'R25: %s that never accepts: ERR_PROXY naming the proxy’s address (not the origin’s) and the time, retried as an unreachable proxy is, then given up',
    async (_kind, url) => {
      const proxy = `http://127.0.0.1:${listener.port}`;
      const run = await runCliInProcess(
        [url, '-o', 'p.bin', '--proxy', proxy, '--connect-timeout', '0.2', '--retries', '1'],
        dir(),
      );
      expect(run.code).toBe(1);
      const why = `proxy ${proxy}: cannot be reached: TCP connect to 127.0.0.1:${listener.port} not done within 0.2 s (connect timeout)`;
      expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
        `rdl: gave up after 2 attempts: ${why} (ERR_RETRIES_EXHAUSTED)`,
      );
    },
  );

  it('R30: a --connect-timeout that is not a number of seconds above 0 is refused, exit 2', async () => {
    for (const value of ['0', '-1', 'soon', '']) {
      const run = await runCliInProcess(['http://127.0.0.1:1/f', `--connect-timeout=${value}`], dir());
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^rdl: invalid --connect-timeout: expected a number of seconds above 0[^\n]*\(ERR_INVALID_INPUT\)\n$/,
      );
    }
  });
});

describe('rdl --connect-timeout bounds the TLS handshake', () => {
  const https = useHttpsFaultServer(body);
  let blackhole: Server;
  const held: Socket[] = [];

  beforeAll(async () => {
    const originPort = Number(new URL(https.server().origin).port);
    // Its first two connections (the HEAD, then the GET probe R16 sends when a HEAD fails on the network) are accepted
    // and never hear a byte of TLS; the next ones reach the https server.
    let accepted = 0;
    blackhole = createServer((socket) => {
      accepted += 1;
      socket.on('error', () => undefined);
      if (accepted <= 2) {
        held.push(socket);
        return;
      }
      const upstream = connect(originPort, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => blackhole.close(resolve));
  });

  it('R25: a server that accepts and never finishes TLS is cut and retried; the next connection downloads the file', async () => {
    const url = `https://127.0.0.1:${(blackhole.address() as AddressInfo).port}/file.bin`;
    const run = await runCliInProcess(
      [url, '-o', 'out.bin', '--cacert', https.certFile(), '--connect-timeout', '0.3'],
      dir(),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `rdl: network error: TCP connect and TLS handshake to 127.0.0.1:${(blackhole.address() as AddressInfo).port} not done within 0.3 s (connect timeout); retry 1 in`,
    );
    expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
    expect(held).toHaveLength(2);
  });
});
