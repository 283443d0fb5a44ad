import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { FaultServer, generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { expectRefusedBeforeAnyRequest, oneLine } from './support/refusal.js';
import { selfSigned } from './support/selfSigned.js';
import { makeTempDir, useTempDir } from './support/tempDir.js';

const body = generateBytes(300_000, 16);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-resolve-');
server.serve('/file.bin', body);

/** One failure line on stderr, no stack trace (R29). */
const portOf = (origin: string): number => Number(new URL(origin).port);

beforeEach(() => {
  server.requests.length = 0;
});

describe('rdl --resolve <host:port:addr[,addr…]>, as curl’s', () => {
  it('downloads from a name only --resolve makes reachable: Host is that name, the file named from the URL', async () => {
    const port = portOf(server.url('/'));
    const run = await runCliInProcess(
      [`http://download.example:${port}/file.bin`, '--resolve', `download.example:${port}:127.0.0.1`, '-q'],
      dir(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await fileSha256(join(dir(), 'file.bin'))).toBe(sha256(body));
    expect(server.requests.map((r) => r.headers.host)).toEqual([
      `download.example:${port}`,
      `download.example:${port}`,
    ]);
  });

  it('https: the certificate is checked against the URL’s name, SNI is that name, the connection goes to the address', async () => {
    const temp = await makeTempDir('rdl-cli-resolve-cert-');
    const certificate = await selfSigned(temp.dir, 'download.example');
    const secure = await FaultServer.start({ tls: certificate });
    try {
      secure.serve('/file.bin', body);
      const port = portOf(secure.origin);
      const args = [
        '--resolve',
        `download.example:${port}:127.0.0.1`,
        '--cacert',
        certificate.certFile,
        '-q',
      ];
      const run = await runCliInProcess(
        [`https://download.example:${port}/file.bin`, ...args, '-o', 'a.bin'],
        dir(),
      );
      expect(run.code, run.stderr).toBe(0);
      expect(await fileSha256(join(dir(), 'a.bin'))).toBe(sha256(body));
      expect(new Set(secure.serverNames)).toEqual(new Set(['download.example']));
      // The address is not the certificate's name: without --resolve's name there is no match.
      const byAddress = await runCliInProcess([`${secure.origin}/file.bin`, ...args, '-o', 'b.bin'], dir());
      expect(byAddress.code).toBe(1);
      expect(byAddress.stderr).toMatch(/\(ERR_TLS\)\n$/);
    } finally {
      await secure.close();
      await temp.cleanup();
    }
  });
});

describe('rdl -4, -6 (::1 listens here: checked on the wire)', () => {
  let v6: FaultServer;
  let v4: FaultServer;
  beforeAll(async () => {
    v6 = await FaultServer.start({ host: '::1' });
    v4 = await FaultServer.start({ host: '127.0.0.1', port: portOf(v6.origin) });
    for (const each of [v6, v4]) each.serve('/file.bin', body);
  });
  afterAll(async () => {
    await v6.close();
    await v4.close();
  });

  it('-6 connects to the IPv6 address of a name, -4 to its IPv4 one', async () => {
    const port = portOf(v6.origin);
    const url = `http://dual.example:${port}/file.bin`;
    const resolve = ['--resolve', `dual.example:${port}:127.0.0.1,[::1]`];
    const six = await runCliInProcess([url, ...resolve, '-6', '-q', '-o', 'six.bin'], dir());
    expect(six.code, six.stderr).toBe(0);
    expect([v6.requests.length, v4.requests.length]).toEqual([2, 0]);
    const four = await runCliInProcess([url, ...resolve, '--ipv4', '-q', '-o', 'four.bin'], dir());
    expect(four.code, four.stderr).toBe(0);
    expect([v6.requests.length, v4.requests.length]).toEqual([2, 2]);
    expect(await fileSha256(join(dir(), 'six.bin'))).toBe(sha256(body));
  });
});

describe('rdl --resolve, -4, -6: refused before any request, exit 2, one line (R30)', () => {
  const cases: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
    ['no address', ['--resolve', 'a.example:80'], /expected host:port:address/],
    [
      'an address that is no IP',
      ['--resolve', 'a.example:80:nope'],
      /an address is not an IPv4 or IPv6 address/,
    ],
    ['an empty address', ['--resolve', 'a.example:80:127.0.0.1,'], /an address is not/],
    ['port 0', ['--resolve', 'a.example:0:127.0.0.1'], /the port is not 1 to 65535/],
    ['port 70000', ['--resolve', 'a.example:70000:127.0.0.1'], /the port is not 1 to 65535/],
    ['a host that is an IP', ['--resolve', '10.0.0.1:80:127.0.0.1'], /the host is not a host name/],
    ['a * host', ['--resolve', '*:80:127.0.0.1'], /a \* host is not supported/],
    ["curl's -host:port", ['--resolve', '-a.example:80'], /rdl keeps none/],
    ['CR LF in the host', ['--resolve', 'a.example\r\nX: 1:80:127.0.0.1'], /the host is not a host name/],
    ['CR LF in an address', ['--resolve', 'a.example:80:127.0.0.1\r\nX'], /an address is not/],
    [
      'a huge entry',
      ['--resolve', `a.example:80:${'127.0.0.1,'.repeat(100_000)}127.0.0.1`],
      /longer than 8192/,
    ],
    [
      'a host:port given twice',
      ['--resolve', 'a.example:80:127.0.0.1', '--resolve', 'A.example:80:127.0.0.2'],
      /a\.example:80 is given twice/,
    ],
    ['-4 with -6', ['-4', '-6'], /--ipv4: and --ipv6 ask for one IP version each/],
    ['-6 with an entry of IPv4 only', ['-6', '--resolve', 'a.example:80:127.0.0.1'], /has no IPv6 address/],
  ];

  it.each(cases)('R30: %s', async (_name, flags, message) => {
    const run = await runCliInProcess([server.url('/file.bin'), '-o', 'out.bin', ...flags], dir());
    await expectRefusedBeforeAnyRequest(run, message, server, dir());
  });

  it('R30: -4 with a URL whose host is an IPv6 address, -6 with an IPv4 one', async () => {
    for (const [flag, url, message] of [
      ['-4', 'http://[::1]:9/x', /invalid --ipv4: ::1 is an IPv6 address: -4 uses IPv4 only/],
      ['-6', server.url('/file.bin'), /invalid --ipv6: 127\.0\.0\.1 is an IPv4 address: -6 uses IPv6 only/],
    ] as const) {
      const run = await runCliInProcess([url, flag, '-o', 'out.bin'], dir());
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect(server.requests).toEqual([]);
  });

  it('--help names them', async () => {
    const run = await runCliInProcess(['--help'], dir());
    expect(run.stdout).toMatch(
      /--resolve <host:port:addr\[,addr\.\.\.\]>\n.*as curl's, repeatable;.*\n.*\(default: DNS\)/,
    );
    expect(run.stdout).toMatch(/-4, --ipv4 {17}connect over IPv4 only, as curl's \(default: either\)/);
    expect(run.stdout).toMatch(/-6, --ipv6 {17}connect over IPv6 only, as curl's \(default: either\)/);
  });
});
