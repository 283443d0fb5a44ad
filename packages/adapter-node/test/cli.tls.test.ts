import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { insecureWarning } from '../src/cli/main.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { runRdl } from './support/cliProcess.js';
import { type FaultServer, generateBytes, sha256 } from './support/faultServer.js';
import { useHttpsFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { type Refusal, useRefusingTlsServers } from './support/refusingTlsServers.js';
import { listDir, useTempDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
const body = generateBytes(8 * MiB + 5, 31);
const dir = useTempDir('rdl-cli-tls-');

/**
 * `-k` against an https server whose certificate is self-signed (made by openssl in a temporary folder), and the TLS
 * sessions its connections share.
 */
describe('rdl -k, --insecure', () => {
  const https = useHttpsFaultServer(body);
  let server: FaultServer;
  let certFile: string;
  beforeEach(() => {
    server = https.server();
    certFile = https.certFile();
    server.requests.length = 0;
  });

  it('without -k a self-signed certificate fails at once: ERR_TLS, one line, no request answered, no file', async () => {
    const run = await runCliInProcess([server.url('/file.bin'), '-o', 'out.bin'], dir());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^rdl: [^\n]*self[- ]signed certificate[^\n]* \(ERR_TLS\)\n$/);
    expect(server.requests).toEqual([]);
    expect(await listDir(dir())).toEqual([]);
  });

  it('with -k it downloads, and says on stderr that certificates are not checked, even with -q and --json', async () => {
    for (const extra of [[], ['-q'], ['--json']]) {
      const run = await runRdl([server.url('/file.bin'), '-o', 'out.bin', '-k', ...extra], dir());
      expect(run.code).toBe(0);
      expect(run.stderr.split('\n')[0]).toBe(insecureWarning);
      expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
    }
  });

  it('the warning comes on a run that fails too', async () => {
    const run = await runCliInProcess([server.url('/missing.bin'), '-o', 'out.bin', '-k', '-q'], dir());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `${insecureWarning}\nrdl: server answered HTTP 404 for ${server.url('/missing.bin')} (ERR_HTTP_STATUS)\n`,
    );
  });

  it('-k and --cacert keep one TLS session for the origin: one full handshake, then every segment’s connection resumes it', async () => {
    for (const flags of [['-k'], ['--cacert', certFile], ['-k', '--cacert', certFile]]) {
      server.resumedSessions.length = 0;
      server.requests.length = 0;
      const run = await runCliInProcess(
        [server.url('/file.bin'), '-o', 'out.bin', '-x', '4', '--min-split-size', '1M', '-q', ...flags],
        dir(),
      );
      expect(run.code).toBe(0);
      expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
      const connections = new Set(server.requests.map((request) => request.connection));
      expect(connections.size).toBeGreaterThan(1);
      expect(server.resumedSessions[0]).toBe(false);
      expect(server.resumedSessions.slice(1)).toEqual(server.resumedSessions.slice(1).map(() => true));
      expect(server.resumedSessions.length).toBe(connections.size);
    }
  });
});

describe('rdl on a TLS refusal that asking again gets again', () => {
  const servers = useRefusingTlsServers();

  const run = async (refusal: Refusal) => {
    const before = servers.connections(refusal);
    const cli = await runCliInProcess(
      ['--retries', '2', '--cacert', servers.caFile(), '-o', 'out.bin', servers.url(refusal)],
      dir(),
    );
    return { code: cli.code, stderr: cli.stderr, connections: servers.connections(refusal) - before };
  };

  it('R25: a certificate that verification refuses under a result Node has no name for (SHA-1) fails at once, ERR_TLS, as curl does', async () => {
    expect(await run('sha1')).toEqual({
      code: 1,
      stderr: 'rdl: TLS failure: CA signature digest algorithm too weak (ERR_TLS)\n',
      connections: 1,
    });
  });

  it('R25: an https:// URL to a plain-HTTP port, a TLS 1.0-only server and one asking for a client certificate fail at once, ERR_TLS, one line of OpenSSL’s reason, as curl does', async () => {
    expect(await run('plain')).toEqual({
      code: 1,
      stderr: 'rdl: TLS failure: wrong version number (is this an http:// port?) (ERR_TLS)\n',
      connections: 1,
    });
    expect(await run('tls10')).toEqual({
      code: 1,
      stderr:
        'rdl: TLS failure: tlsv1 alert protocol version (the server speaks no TLS version Node accepts) (ERR_TLS)\n',
      connections: 1,
    });
    expect(await run('clientCert')).toEqual({
      code: 1,
      stderr:
        'rdl: TLS failure: tlsv13 alert certificate required (the server asks for a client certificate) (ERR_TLS)\n',
      connections: 1,
    });
  });
});
