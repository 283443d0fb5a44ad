import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAbortHandle } from '@rdl/core/adapter';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
import { NodeFetchHttp } from '../src/NodeFetchHttp.js';
import { NodeHttp } from '../src/NodeHttp.js';
import { FaultServer, generateBytes } from './support/faultServer.js';
import { readAll, requestWith, right } from './support/httpContract.js';
import { type Refusal, useRefusingTlsServers } from './support/refusingTlsServers.js';
import { selfSigned, selfSignedSubject } from './support/selfSigned.js';
import { makeTempDir } from './support/tempDir.js';

/**
 * https through `tls.connect` with the `onread` slots: a local node:https server whose self-signed certificate
 * (CN and subjectAltName localhost and 127.0.0.1) is made by /usr/bin/openssl in a temporary folder.
 */
describe('NodeHttp over https', () => {
  const body = generateBytes(3 * 1024 * 1024 + 17, 11);
  let server: Server;
  let origin: (host: string) => string;
  let ca: Buffer;
  let certFile: string;
  let tempDir: string;
  let cleanup: () => Promise<void>;
  /** The SNI name of each TLS connection the server accepted (`false` when none was sent). */
  const servernames: (string | false)[] = [];
  /** Whether each TLS connection the server accepted resumed a session (no certificate exchange). */
  const resumed: boolean[] = [];

  beforeAll(async () => {
    const temp = await makeTempDir('rdl-tls-');
    cleanup = temp.cleanup;
    tempDir = temp.dir;
    const certificate = await selfSigned(temp.dir);
    certFile = certificate.certFile;
    ca = certificate.cert;
    server = createServer({ key: certificate.key, cert: ca }, (request, response) => {
      response.writeHead(200, { 'content-length': String(body.length) });
      response.end(request.method === 'HEAD' ? undefined : body);
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      servernames.push((socket as TLSSocket & { servername: string | false }).servername);
      resumed.push(socket.isSessionReused());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    origin = (host) => `https://${host}:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await cleanup();
  });

  it('reads the body through the TLS socket’s slots, and a HEAD then a GET share one connection', async () => {
    const http = new NodeHttp({ tls: { ca } });
    const before = servernames.length;
    const head = right((await requestWith(http, `${origin('localhost')}/f`, {}, 'HEAD')).result);
    expect(head.headers['content-length']).toBe(String(body.length));
    await readAll(head);
    const get = right((await requestWith(http, `${origin('localhost')}/f`)).result);
    const chunks: Uint8Array[] = [];
    for await (const chunk of get.body) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    // The decrypted bytes land in the slots too: consecutive chunks share them.
    expect(chunks.some((chunk, i) => i > 0 && chunk.buffer === chunks[i - 1]?.buffer)).toBe(true);
    expect(servernames.slice(before)).toEqual(['localhost']);
    http.close();
  });

  it('the connections of one origin resume its TLS session: one full handshake for a probe and four segments; another origin gets none of it', async () => {
    const http = new NodeHttp({ tls: { ca } });
    const before = resumed.length;
    await readAll(right((await requestWith(http, `${origin('localhost')}/f`, {}, 'HEAD')).result));
    // Four at once: the probe's connection serves one, three are new.
    const answers = await Promise.all(
      [0, 1, 2, 3].map(async () => right((await requestWith(http, `${origin('localhost')}/f`)).result)),
    );
    for (const answer of answers) expect((await readAll(answer)).equals(body)).toBe(true);
    expect(resumed.slice(before)).toEqual([false, true, true, true]);
    // The same server under another name is another origin: its session is not offered there.
    await readAll(right((await requestWith(http, `${origin('127.0.0.1')}/f`)).result));
    expect(resumed.at(-1)).toBe(false);
    http.close();
  });

  it('bodies read one after another while the read budget is spent all end: a TLS socket that hands on records after it was stopped starts again', async () => {
    for (const maxBufferedBytes of [256 * 1024, 4 * 1024 * 1024]) {
      const http = new NodeHttp({ tls: { ca }, maxBufferedBytes });
      const answers = await Promise.all(
        [0, 1, 2, 3].map(async () => right((await requestWith(http, `${origin('localhost')}/f`)).result)),
      );
      // The first is read while the others fill the budget and stop; each is read to its end in turn.
      for (const answer of answers) expect((await readAll(answer)).equals(body)).toBe(true);
      expect(http.bufferedBytes).toBe(0);
      http.close();
    }
  }, 20_000);

  it('sends no SNI for an IP address, and checks the certificate against it', async () => {
    const http = new NodeHttp({ tls: { ca } });
    const before = servernames.length;
    const response = right((await requestWith(http, `${origin('127.0.0.1')}/f`)).result);
    expect((await readAll(response)).equals(body)).toBe(true);
    expect(servernames.slice(before)).toEqual([false]);
    http.close();
  });

  it('R25: verifies the certificate by default: a self-signed one without its CA is Left(TlsError), not retried', async () => {
    const http = new NodeHttp();
    const { result } = await requestWith(http, `${origin('localhost')}/f`);
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'TlsError',
      message: expect.stringMatching(/self[- ]signed/),
    });
    http.close();
  });

  it('R25: node-fetch’s refusal of the certificate is a TlsError too', async () => {
    const http = new NodeFetchHttp();
    const { result } = await requestWith(http, `${origin('localhost')}/f`);
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'TlsError',
      message: expect.stringMatching(/self[- ]signed/),
    });
    http.close();
  });

  it('R37: node-fetch’s refusal of the certificate is its reason alone, without the URL and its signature', async () => {
    const http = new NodeFetchHttp();
    const { result } = await requestWith(http, `${origin('localhost')}/f?X-Amz-Signature=TOPSECRET`);
    expect(E.isLeft(result) && result.left).toEqual({ _tag: 'TlsError', message: 'self-signed certificate' });
    http.close();
  });

  it('R29, R38: a certificate refused for a name of a newline and an ESC is a TlsError of one line, those escaped, in NodeHttp and NodeFetchHttp', async () => {
    const hostile = await selfSignedSubject(tempDir, 'hostile', '/CN=evil\nrdl: saved x \u001b[31mX');
    const other = createServer({ key: hostile.key, cert: hostile.cert }, (_request, response) =>
      response.end(),
    );
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    try {
      for (const http of [
        new NodeHttp({ tls: { ca: hostile.cert } }),
        new NodeFetchHttp({ tls: { ca: hostile.cert } }),
      ]) {
        const { result } = await requestWith(http, `https://localhost:${port}/f`);
        expect(E.isLeft(result) && result.left).toEqual({
          _tag: 'TlsError',
          message:
            "Hostname/IP does not match certificate's altnames: Host: localhost. is not cert's CN: evil\\u000ardl: saved x \\u001b[31mX",
        });
        http.close();
      }
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('R30: tls options Node cannot make a TLS context of are refused when the transport is made, ERR_INVALID_INPUT', () => {
    for (const tls of [
      { ciphers: 'NOPE-NOT-A-CIPHER' },
      { cert: 'garbage', key: 'garbage' },
      { minVersion: 'TLSv9' as never },
    ]) {
      expect(() => new NodeHttp({ tls })).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_INPUT',
          message: expect.stringMatching(/^invalid tls: /),
        }),
      );
    }
    new NodeHttp({ tls: {} }).close();
  });

  it('R30: a tls.ca whose certificate does not parse (garbage in a PEM block, a PEM cut short) is refused when the transport is made, ERR_INVALID_INPUT, where Node would skip it unsaid', () => {
    const cut = ca.toString().slice(0, 300);
    for (const [tls, message] of [
      [{ ca: GARBAGE_PEM }, 'invalid tls: ca holds no valid certificate'],
      [{ ca: cut }, 'invalid tls: ca holds no valid certificate'],
      [
        { ca: [ca, `${ca}${GARBAGE_PEM}`] },
        'invalid tls: ca[1] holds a certificate that does not parse (2 of 2)',
      ],
      [{ ca: 'garbage' }, 'invalid tls: ca holds no PEM certificate'],
    ] satisfies [ConnectionOptions, string][]) {
      expect(() => new NodeHttp({ tls })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_INPUT', message }),
      );
    }
    new NodeHttp({ tls: { ca: [ca, ca.toString()] } }).close();
  });

  it('R30: a ca of OpenSSL’s TRUSTED CERTIFICATE (openssl x509 -trustout) or X509 CERTIFICATE blocks is trusted, as Node reads it, in tls.ca and --cacert; garbage in such a block is still refused', async () => {
    const trustedFile = join(tempDir, 'trusted.pem');
    await promisify(execFile)('/usr/bin/openssl', [
      'x509',
      '-in',
      certFile,
      '-trustout',
      '-addtrust',
      'serverAuth',
      '-out',
      trustedFile,
    ]);
    const trusted = await readFile(trustedFile, 'utf8');
    expect(trusted).toMatch(/^-----BEGIN TRUSTED CERTIFICATE-----\n/);
    const x509 = ca.toString().replace(/(BEGIN|END) CERTIFICATE/g, '$1 X509 CERTIFICATE');
    for (const pem of [trusted, x509, `${ca}${trusted}`]) {
      const http = new NodeHttp({ tls: { ca: pem } });
      const { result } = await requestWith(http, `${origin('localhost')}/f`, {}, 'HEAD');
      expect(right(result).status).toBe(200);
      http.close();
    }
    const garbage = GARBAGE_PEM.replace(/CERTIFICATE/g, 'TRUSTED CERTIFICATE');
    expect(() => new NodeHttp({ tls: { ca: garbage } })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_INPUT',
        message: 'invalid tls: ca holds no valid certificate',
      }),
    );
    const target = join(tempDir, 'trusted.bin');
    const viaFlag = await runLauncher(
      launcher,
      [`${origin('localhost')}/f`, '-o', target, '--quiet', '--cacert', trustedFile],
      {},
    );
    expect(viaFlag.code).toBe(0);
    expect((await readFile(target)).equals(body)).toBe(true);
  });

  it('R25: tls options Node refuses only as it connects are a TlsError at each request, not retried, and give the connection’s place back: no request past maxConnectionsPerOrigin waits', async () => {
    // `ALPNProtocols` is checked by `tls.connect`, not by `createSecureContext`: the connection throws when made.
    const http = new NodeHttp({ maxConnectionsPerOrigin: 2, tls: { ca, ALPNProtocols: 5 as never } });
    const accepted = resumed.length;
    const failures = [];
    for (let i = 0; i < 4; i += 1) {
      const handle = createAbortHandle();
      const result = await http.request({
        method: 'GET',
        url: `${origin('localhost')}/f`,
        headers: {},
        signal: handle.signal,
        // A request that waits for a place never gets one: aborted at once, it shows as Aborted.
        onQueued: (queued) => queued && handle.abort(),
      })();
      failures.push(E.isLeft(result) ? result.left : result.right.status);
    }
    expect(failures).toEqual(
      Array(4).fill({ _tag: 'TlsError', message: expect.stringMatching(/^the tls options were refused: /) }),
    );
    expect(resumed.length).toBe(accepted);
    const target = join(tempDir, 'alpn.bin');
    const download = createDownload(
      { url: `${origin('localhost')}/f`, target, retry: { retries: 8, minDelayMs: 1, maxDelayMs: 2 } },
      { http },
    );
    await expect(download.start()).rejects.toMatchObject({ code: 'ERR_TLS' });
    http.close();
  });

  it('trusts the CAs of extraCaFile on top of Node’s roots, read at the first https connection', async () => {
    const http = new NodeHttp({ extraCaFile: certFile });
    const response = right((await requestWith(http, `${origin('localhost')}/f`)).result);
    expect((await readAll(response)).equals(body)).toBe(true);
    http.close();
  });

  /** The process warnings a request to `/f` through a `NodeHttp` of `extraCaFile` raises; it is refused, TlsError. */
  const warningsOfExtraCa = async (extraCaFile: string): Promise<string[]> => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      const http = new NodeHttp({ extraCaFile });
      const { result } = await requestWith(http, `${origin('localhost')}/f`);
      expect(E.isLeft(result) && result.left._tag).toBe('TlsError');
      await new Promise((resolve) => setImmediate(resolve));
      http.close();
      return warnings;
    } finally {
      process.off('warning', onWarning);
    }
  };

  it('ignores an extraCaFile it cannot read, with a warning, as Node does: certificates are still checked', async () => {
    const warnings = await warningsOfExtraCa(join(tempDir, 'missing.pem'));
    expect(warnings.some((w) => w.includes('missing.pem') && w.includes('load failed'))).toBe(true);
  });

  it('R30: ignores an extraCaFile whose certificate does not parse, with a warning, as one it cannot read', async () => {
    const garbage = join(tempDir, 'garbage-extra.pem');
    await writeFile(garbage, GARBAGE_PEM);
    expect(await warningsOfExtraCa(garbage)).toContain(
      `Ignoring extra certs from \`${garbage}\`, load failed: the file holds no valid certificate`,
    );
  });

  it('the rdl command trusts NODE_EXTRA_CA_CERTS as Node does, and --cacert alone as curl does; a refused certificate is ERR_TLS at once', async () => {
    const target = join(tempDir, 'out.bin');
    const ok = await runLauncher(launcher, [`${origin('localhost')}/f`, '-o', target, '--quiet'], {
      NODE_EXTRA_CA_CERTS: certFile,
    });
    expect(ok.code).toBe(0);
    expect((await readFile(target)).equals(body)).toBe(true);
    const flagged = join(tempDir, 'flagged.bin');
    const viaFlag = await runLauncher(
      launcher,
      [`${origin('localhost')}/f`, '-o', flagged, '--cacert', certFile],
      {},
    );
    expect(viaFlag.code).toBe(0);
    expect((await readFile(flagged)).equals(body)).toBe(true);
    // Without the CA the certificate is refused: ERR_TLS, with no retry (asking again gets the same answer).
    const refused = await runLauncher(
      launcher,
      [`${origin('localhost')}/f`, '-o', join(tempDir, 'no.bin')],
      {},
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/self[- ]signed.*\(ERR_TLS\)/);
    expect(refused.stderr).not.toMatch(/retry/);
  });

  it('R30: a --cacert that cannot be read, or holds no certificate, is refused before any request (exit 2)', async () => {
    const missing = await runLauncher(
      launcher,
      [`${origin('localhost')}/f`, '--cacert', join(tempDir, 'nope.pem')],
      {},
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/invalid --cacert: cannot read .*nope\.pem \(ENOENT\)/);
    const notPem = join(tempDir, 'not.pem');
    await writeFile(notPem, 'hello');
    const empty = await runLauncher(launcher, [`${origin('localhost')}/f`, '--cacert', notPem], {});
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/holds no PEM certificate/);
  });
  it('R30: a --cacert whose certificate does not parse (garbage in a PEM block, a PEM cut short) is refused before any request (exit 2)', async () => {
    const before = servernames.length;
    const garbage = join(tempDir, 'garbage.pem');
    await writeFile(garbage, GARBAGE_PEM);
    const cut = join(tempDir, 'cut.pem');
    await writeFile(cut, ca.subarray(0, 300));
    for (const file of [garbage, cut]) {
      const run = await runLauncher(launcher, [`${origin('localhost')}/f`, '--cacert', file], {});
      expect(run).toEqual({
        code: 2,
        stderr: `rdl: invalid --cacert: ${file} holds no valid certificate (ERR_INVALID_INPUT)\n`,
      });
    }
    expect(servernames.length).toBe(before);
  });
});

/** A PEM block whose text is no certificate: Node's createSecureContext takes it as a CA without a word. */
const GARBAGE_PEM = '-----BEGIN CERTIFICATE-----\nAAAAnotbase64der\n-----END CERTIFICATE-----\n';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The command as npm installs it: `bin/rdl.js`, run by its shebang. */
const launcher = join(packageDir, 'bin/rdl.js');

/** Runs the launcher as a user's shell does, with `extra` over an environment without NODE_EXTRA_CA_CERTS. */
const runLauncher = (
  launcher: string,
  args: readonly string[],
  extra: Readonly<Record<string, string>>,
): Promise<{ code: number | null; stderr: string }> => {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(launcher, [...args], { env: { ...env, ...extra } }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr });
    });
  });
};

describe('TLS refusals that asking again gets again', () => {
  const servers = useRefusingTlsServers();
  const transports = [
    ['NodeHttp', () => new NodeHttp({ tls: { ca: servers.ca() } })],
    ['NodeFetchHttp', () => new NodeFetchHttp({ tls: { ca: servers.ca() } })],
  ] as const;

  const failureOf = async (make: () => NodeHttp | NodeFetchHttp, refusal: Refusal) => {
    const http = make();
    const { result } = await requestWith(http, servers.url(refusal));
    http.close();
    return E.isLeft(result) ? result.left : result.right.status;
  };

  for (const [name, make] of transports) {
    it(`R25: ${name}: a certificate that verification refuses under a result Node has no name for (SHA-1, a 768-bit key) is a TlsError, not retried`, async () => {
      expect(await failureOf(make, 'sha1')).toEqual({
        _tag: 'TlsError',
        message: expect.stringMatching(/CA signature digest algorithm too weak$/),
      });
      expect(await failureOf(make, 'weakKey')).toEqual({
        _tag: 'TlsError',
        message: expect.stringMatching(/EE certificate key too weak$/),
      });
    });

    it(`R25: ${name}: a handshake OpenSSL fails (an http port, TLS 1.0 only, a client certificate asked after the handshake) is a TlsError of one line, OpenSSL's reason`, async () => {
      expect(await failureOf(make, 'plain')).toEqual({
        _tag: 'TlsError',
        message: 'wrong version number (is this an http:// port?)',
      });
      expect(await failureOf(make, 'tls10')).toEqual({
        _tag: 'TlsError',
        message: 'tlsv1 alert protocol version (the server speaks no TLS version Node accepts)',
      });
      expect(await failureOf(make, 'clientCert')).toEqual({
        _tag: 'TlsError',
        message: 'tlsv13 alert certificate required (the server asks for a client certificate)',
      });
    });

    it(`R25: ${name}: a reset or a close in the middle of the handshake is still a NetworkError (retried)`, async () => {
      for (const refusal of ['reset', 'closed'] as const)
        expect(await failureOf(make, refusal)).toMatchObject({ _tag: 'NetworkError' });
    });
  }
});

describe('NodeHttp resolve over https (curl’s --resolve)', () => {
  it('reaches a name only resolve knows: SNI, Host and the certificate’s check are that name, the connection goes to the address given', async () => {
    const temp = await makeTempDir('rdl-tls-resolve-');
    const certificate = await selfSigned(temp.dir, 'download.example');
    const server = await FaultServer.start({ tls: { key: certificate.key, cert: certificate.cert } });
    const body = generateBytes(70_000, 3);
    server.serve('/file.bin', body);
    const port = Number(new URL(server.origin).port);
    const http = new NodeHttp({
      tls: { ca: certificate.cert },
      resolve: [{ host: 'Download.Example', port, addresses: ['127.0.0.1'] }],
    });
    try {
      const response = right((await requestWith(http, `https://download.example:${port}/file.bin`)).result);
      expect(await readAll(response)).toEqual(body);
      expect(server.serverNames).toEqual(['download.example']);
      expect(server.requests.map((request) => request.headers.host)).toEqual([`download.example:${port}`]);
      // The address itself is not the certificate's name: the check is against the URL's host, not where it went.
      const byAddress = await requestWith(http, `https://127.0.0.1:${port}/file.bin`);
      expect(E.isLeft(byAddress.result) && byAddress.result.left._tag).toBe('TlsError');
    } finally {
      http.close();
      await server.close();
      await temp.cleanup();
    }
  });
});
