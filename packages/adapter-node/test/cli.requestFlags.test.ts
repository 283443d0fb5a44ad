import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeCommand } from '../src/cli/resumeCommand.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { FaultServer, generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { expectRefusedBeforeAnyRequest, oneLine } from './support/refusal.js';
import { useTempDir } from './support/tempDir.js';

const body = generateBytes(300_000, 12);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-flags-');
server.serve('/file.bin', body);

/** One failure line on stderr, no stack trace (R29). */

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('rdl -H, -u, -A: on every request to the URL’s origin', () => {
  it('-H headers (repeatable, "Name;" empty), -u as Basic and -A as User-Agent reach the probe and the GET', async () => {
    const run = await runCliInProcess(
      [
        server.url('/file.bin'),
        '-o',
        'out.bin',
        '-H',
        'X-Api-Key: k1',
        '--header=Accept: application/octet-stream',
        '-H',
        'X-Empty;',
        '-H',
        'Cookie: a=1',
        '-H',
        'cookie: b=2',
        '-u',
        'alice:pä:ss',
        '-A',
        'my-agent/1.0',
      ],
      dir(),
    );
    expect(run.code).toBe(0);
    expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
    for (const request of server.requests) {
      expect(request.headers).toMatchObject({
        'x-api-key': 'k1',
        accept: 'application/octet-stream',
        'x-empty': '',
        cookie: 'a=1; b=2',
        authorization: basic('alice:pä:ss'),
        'user-agent': 'my-agent/1.0',
      });
    }
    // R37: the password is never printed.
    expect(run.stderr).not.toContain('pä:ss');
  });

  it('-e, --referer sends Referer as given, to the probe and the GET, as curl’s', async () => {
    for (const flag of [['-e', 'https://ref.example/page?q=1'], ['--referer=https://ref.example/page?q=1']]) {
      server.requests.length = 0;
      const run = await runCliInProcess([server.url('/file.bin'), '-o', 'out.bin', '-q', ...flag], dir());
      expect(run.code).toBe(0);
      expect(server.requests.map((r) => r.headers.referer)).toEqual([
        'https://ref.example/page?q=1',
        'https://ref.example/page?q=1',
      ]);
    }
  });

  it('without -A the User-Agent stays rdl’s own', async () => {
    const run = await runCliInProcess([server.url('/file.bin'), '-o', 'out.bin', '-q'], dir());
    expect(run.code).toBe(0);
    expect(server.requests.map((r) => r.headers['user-agent'])).toEqual(['rdl', 'rdl']);
  });

  it("-A '' sends no User-Agent at all, as curl's: not rdl's, not an empty one; -H 'User-Agent;' sends it empty", async () => {
    const none = await runCliInProcess([server.url('/file.bin'), '-o', 'none.bin', '-q', '-A', ''], dir());
    expect(none.code).toBe(0);
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
    for (const request of server.requests) expect(Object.keys(request.headers)).not.toContain('user-agent');
    server.requests.length = 0;
    const empty = await runCliInProcess(
      [server.url('/file.bin'), '-o', 'empty.bin', '-q', '-H', 'User-Agent;'],
      dir(),
    );
    expect(empty.code).toBe(0);
    expect(server.requests.map((r) => r.headers['user-agent'])).toEqual(['', '']);
  });

  it('-u replaces a user and password in the URL, as curl’s does', async () => {
    const withPassword = server.url('/file.bin').replace('http://', 'http://bob:old@');
    const run = await runCliInProcess([withPassword, '-o', 'out.bin', '-u', 'carol:new', '-q'], dir());
    expect(run.code).toBe(0);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      basic('carol:new'),
      basic('carol:new'),
    ]);
  });
});

describe('rdl -H, -u, -A: bad values are refused before any request, one line, exit 2 (R30)', () => {
  const cases: ReadonlyArray<readonly [string, readonly string[], RegExp]> = [
    ['a header without a colon', ['-H', 'X-Nope'], /expected "Name: value"/],
    [
      'a header name with a space',
      ['-H', 'X Bad: 1'],
      /invalid header name starting "X": a name is one token/,
    ],
    [
      'a header value with CR LF',
      ['-H', 'X-A: 1\r\nX-Injected: 2'],
      /holds a control or non-ASCII character/,
    ],
    ['a header value with NUL', ['-H', 'X-A: 1\u0000'], /holds a control or non-ASCII character/],
    ['a header value with ESC', ['-H', 'X-A: \u001b[2J'], /holds a control or non-ASCII character/],
    ['a header value with a C1 control', ['-H', 'X-A: \u009b'], /holds a control or non-ASCII character/],
    ['a header with an empty value', ['-H', 'X-A:'], /X-A has no value \(write "X-A;" to send it empty\)/],
    ['Range', ['-H', 'Range: bytes=0-10'], /rdl sets Range itself/],
    ['If-Range', ['-H', 'if-range: "x"'], /rdl sets if-range itself/],
    ['If-Match', ['-H', 'If-Match: *'], /rdl sets If-Match itself/],
    ['Accept-Encoding', ['-H', 'Accept-Encoding: gzip'], /rdl sets Accept-Encoding itself.*R5/],
    ['Host', ['-H', 'Host: other.test'], /rdl sets Host itself: it comes from the URL/],
    ['Content-Length', ['-H', 'Content-Length: 5'], /rdl sets Content-Length itself/],
    ['Transfer-Encoding', ['-H', 'Transfer-Encoding: chunked'], /rdl sets Transfer-Encoding itself/],
    ['Connection', ['-H', 'Connection: close'], /rdl sets Connection itself/],
    ['Proxy-Authorization', ['-H', 'Proxy-Authorization: Basic eA=='], /it would go to the origin server/],
    ['-u without a password', ['-u', 'alice'], /has no password .*rdl asks for none/],
    ['-u with a newline', ['-u', 'alice:pw\nX: 1'], /--user: holds a control character/],
    [
      '-u with -H Authorization',
      ['-u', 'a:b', '-H', 'Authorization: Bearer t'],
      /given with -H Authorization too/,
    ],
    ['-A with a newline', ['-A', 'agent\r\nX: 1'], /--user-agent: holds a control/],
    ['-A with -H User-Agent', ['-A', 'a', '-H', 'User-Agent: b'], /given with -H User-Agent too/],
    ['-e with CR LF', ['-e', 'http://ref.test/\r\nX-Injected: 1'], /--referer: holds a control/],
    ['-e with a lone LF', ['--referer=http://ref.test/\nX: 1'], /--referer: holds a control/],
    ['-e with a non-ASCII character', ['-e', 'http://réf.test/'], /--referer: holds a control or non-ASCII/],
    ['-e empty', ['-e', ' '], /--referer: empty/],
    ['-e with -H Referer', ['-e', 'http://a/', '-H', 'Referer: http://b/'], /given with -H Referer too/],
    ["-e with curl's ;auto", ['-e', 'http://ref.test/;auto'], /curl's ;auto .* is not supported/],
    ["-e ';auto' alone", ['-e', ';auto'], /curl's ;auto .* is not supported/],
    [
      '-e of 40 KiB',
      ['-e', `http://ref.test/${'a'.repeat(40 * 1024)}`],
      /--header: \d+ characters of headers, more than/,
    ],
  ];

  it.each(cases)('R30: %s', async (_name, flags, message) => {
    const run = await runCliInProcess([server.url('/file.bin'), '-o', 'out.bin', ...flags], dir());
    await expectRefusedBeforeAnyRequest(run, message, server, dir());
  });

  it('R37: a -H without a colon, or whose name is no token, is refused without its value: its first word at most', async () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['Authorization Bearer S3CRET1', 'the -H starting "Authorization" has no colon'],
      ['S3CRET1', 'the -H has no colon'],
      ['Authorization Bearer S3CRET1:x', 'invalid header name starting "Authorization"'],
      ['X-Api-Key=S3CRET1 more: 1', 'invalid header name: a name is one token'],
    ];
    for (const [value, message] of cases) {
      for (const json of [[], ['--json']]) {
        const run = await runCliInProcess(
          [server.url('/file.bin'), '-o', 'out.bin', ...json, '-H', value],
          dir(),
        );
        expect(run.code).toBe(2);
        expect(`${run.stdout}${run.stderr}`).toContain(message);
        expect(`${run.stdout}${run.stderr}`).not.toContain('S3CRET1');
      }
    }
    expect(server.requests).toEqual([]);
  });

  it('R37: -u with a --head-url at another origin is refused: the credentials go to one origin only', async () => {
    const other = server.url('/file.bin').replace('127.0.0.1', 'localhost');
    const run = await runCliInProcess(
      [server.url('/file.bin'), '--head-url', other, '-u', 'a:secret', '-o', 'out.bin'],
      dir(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--head-url is at another one/);
    expect(run.stderr).not.toContain('secret');
    expect(server.requests).toEqual([]);
  });
});

describe('rdl -H Authorization / Cookie and -u never cross origins on a redirect (R37)', () => {
  let other: FaultServer;
  beforeAll(async () => {
    other = await FaultServer.start();
    other.serve('/file.bin', body);
  });
  afterAll(() => other.close());

  it('R37: a redirect to another origin carries no Authorization, Cookie or X-Api-Key; User-Agent and Accept go on', async () => {
    other.requests.length = 0;
    server.redirect('/away.bin', 302, other.url('/file.bin'));
    const run = await runCliInProcess(
      [
        server.url('/away.bin'),
        '-o',
        'out.bin',
        '-H',
        'Authorization: Bearer s3cret',
        '-H',
        'Cookie: session=s3cret',
        '-H',
        'X-Api-Key: s3cret',
        '-H',
        'Accept: */*',
        '-A',
        'agent/2',
      ],
      dir(),
    );
    expect(run.code).toBe(0);
    expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
    expect(server.requests[0]?.headers).toMatchObject({
      authorization: 'Bearer s3cret',
      cookie: 'session=s3cret',
      'x-api-key': 's3cret',
    });
    expect(other.requests.length).toBeGreaterThan(0);
    for (const request of other.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers.cookie).toBeUndefined();
      expect(request.headers['x-api-key']).toBeUndefined();
      expect(request.headers).toMatchObject({ 'user-agent': 'agent/2', accept: '*/*' });
    }
    expect(run.stderr).not.toContain('s3cret');
  });

  it('R37: -e goes to the URL’s origin only, as -H does: a redirect to another origin carries no Referer', async () => {
    other.requests.length = 0;
    server.redirect('/away.bin', 302, other.url('/file.bin'));
    const run = await runCliInProcess(
      [server.url('/away.bin'), '-o', 'out.bin', '-e', 'https://intranet.example/private?token=s3cret'],
      dir(),
    );
    expect(run.code).toBe(0);
    expect(server.requests[0]?.headers.referer).toBe('https://intranet.example/private?token=s3cret');
    expect(other.requests.length).toBeGreaterThan(0);
    expect(other.requests.every((request) => request.headers.referer === undefined)).toBe(true);
  });

  it('R37: -u goes to the URL’s origin only, never after a cross-origin redirect', async () => {
    other.requests.length = 0;
    server.redirect('/away.bin', 307, other.url('/file.bin'));
    const run = await runCliInProcess([server.url('/away.bin'), '-o', 'out.bin', '-u', 'al:pw'], dir());
    expect(run.code).toBe(0);
    expect(server.requests[0]?.headers.authorization).toBe(basic('al:pw'));
    expect(other.requests.length).toBeGreaterThan(0);
    expect(other.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
  });

  it('R37: a redirect within the origin keeps them', async () => {
    server.redirect('/here.bin', 302, '/file.bin');
    const run = await runCliInProcess(
      [server.url('/here.bin'), '-o', 'out.bin', '-u', 'al:pw', '-H', 'Cookie: c=1', '-e', 'http://r/'],
      dir(),
    );
    expect(run.code).toBe(0);
    const toFile = server.requests.filter((request) => request.url.endsWith('/file.bin'));
    expect(toFile.length).toBeGreaterThan(0);
    for (const request of toFile)
      expect(request.headers).toMatchObject({
        authorization: basic('al:pw'),
        cookie: 'c=1',
        referer: 'http://r/',
      });
  });
});

describe('rdl: the resume hint never prints a secret of -u or -H (R37)', () => {
  it('R37: the password of -u and the value of a -H are shown as …, but User-Agent, Accept and Accept-Language', () => {
    expect(
      resumeCommand([
        'https://h/f',
        '-u',
        'alice:pw',
        '--user=bob:pw2',
        '-kualice:pw3',
        '-H',
        'Authorization: Bearer tok',
        '--header=Cookie: c=1',
        '-HX-Key: k',
        '-H',
        'Accept: */*',
        '-A',
        'ua',
      ]),
    ).toBe(
      "rdl https://h/f -u 'alice:…' '--user=bob:…' '-kualice:…' -H 'Authorization: …' '--header=Cookie: …' " +
        "'-HX-Key: …' -H 'Accept: */*' -A ua  # the secrets were left out (…): put them back",
    );
  });

  it('R37: -e, --referer is shown without the user and password of its URL, in each of its spellings', () => {
    expect(
      resumeCommand([
        'https://h/f',
        '-e',
        'https://al:pw1@ref.example/a',
        '--referer=https://al:pw2@ref.example/b',
        '-qehttps://al:pw3@ref.example/c',
        '--referer',
        'https://ref.example/d',
      ]),
    ).toBe(
      'rdl https://h/f -e https://ref.example/a --referer=https://ref.example/b -qehttps://ref.example/c ' +
        '--referer https://ref.example/d  # the user and password were left out of the URL: put them back',
    );
  });

  it('R37: a command without secrets is printed as it was', () => {
    expect(resumeCommand(['https://h/f', '-H', 'Accept: x', '-A', 'ua'])).toBe(
      "rdl https://h/f -H 'Accept: x' -A ua",
    );
  });
});

describe('rdl --help names the flags with their defaults', () => {
  it('-H, -u, -A, -e, -k, --connect-timeout, -J, -R', async () => {
    const run = await runCliInProcess(['--help'], dir());
    expect(run.stdout).toMatch(/-H, --header <Name: value> .*\n.*default: none; rdl sends User-Agent: rdl/);
    expect(run.stdout).toMatch(/-u, --user <user:pass> .*default: none/);
    expect(run.stdout).toMatch(/-A, --user-agent <text> .*default: rdl/);
    expect(run.stdout).toMatch(/-e, --referer <url> .*;auto is\n.*refused \(default: none\)/);
    expect(run.stdout).toMatch(/-k, --insecure .*default: checked/);
    expect(run.stdout).toMatch(/--connect-timeout <s> .*\n.*none of its own/);
    expect(run.stdout).toMatch(/-J, --content-disposition .*\n(.*\n)*.*\(default: off\)/);
    expect(run.stdout).toMatch(/-R, --remote-time .*default: off/);
  });
});
