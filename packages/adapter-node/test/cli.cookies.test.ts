import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resumeCommand } from '../src/cli/resumeCommand.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { FaultServer, generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { oneLine } from './support/refusal.js';
import { listDir, useTempDir } from './support/tempDir.js';

const body = generateBytes(300_000, 14);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-cookies-');
server.serve('/file.bin', body);
server.serve('/docs/file.bin', body);

/** One failure line on stderr, no stack trace (R29). */

const FUTURE = Math.floor(Date.now() / 1000) + 24 * 3600;
const PAST = Math.floor(Date.now() / 1000) - 60;

/** A cookie file of `lines`, each a list of its seven fields, in the test's folder. */
const cookieFile = async (
  name: string,
  lines: readonly (readonly (string | number)[])[],
): Promise<string> => {
  const text = ['# Netscape HTTP Cookie File', '', ...lines.map((fields) => fields.join('\t'))].join('\n');
  await writeFile(join(dir(), name), `${text}\n`);
  return name;
};

/** Every byte of every file under `folder`, as text: where a cookie must not be. */
const everythingIn = async (folder: string): Promise<string> => {
  const names = await readdir(folder, { recursive: true });
  const texts = await Promise.all(
    names.map((name) => readFile(join(folder, name), 'latin1').catch(() => '')),
  );
  return texts.join('\n');
};

beforeEach(() => {
  server.requests.length = 0;
});

describe('rdl -b, --cookie <data>: a cookie string, as curl’s', () => {
  it('-b "a=1; b=2" is sent as Cookie on the probe and the GET; after a -H Cookie, joined; repeatable', async () => {
    const run = await runCliInProcess(
      [
        server.url('/file.bin'),
        '-o',
        'out.bin',
        '-q',
        '-H',
        'Cookie: h=0',
        '-b',
        'a=1; b=2',
        '--cookie=c=3;',
      ],
      dir(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
    expect(server.requests.map((r) => r.headers.cookie)).toEqual([
      'h=0; a=1; b=2; c=3',
      'h=0; a=1; b=2; c=3',
    ]);
  });

  it('R37: the resume hint shows a cookie string as …, and a cookie file by its name', () => {
    expect(
      resumeCommand([
        'https://h/f',
        '-b',
        'session=s3cret',
        '--cookie=t=s3cret',
        '-qbk=s3cret',
        '-b',
        'jar.txt',
      ]),
    ).toBe(
      "rdl https://h/f -b '…' '--cookie=…' '-qb…' -b jar.txt  # the secrets were left out (…): put them back",
    );
  });
});

describe('rdl -b, --cookie <file>: a Netscape cookie file, as curl’s', () => {
  it('sends only the cookies whose domain, path and secure flag match and that have not expired; several files add up', async () => {
    const jar = await cookieFile('jar.txt', [
      ['127.0.0.1', 'FALSE', '/', 'FALSE', 0, 'session', 'one'],
      ['#HttpOnly_127.0.0.1', 'FALSE', '/docs', 'FALSE', FUTURE, 'docs', 'two'],
      ['127.0.0.1', 'FALSE', '/other', 'FALSE', 0, 'other', 'no'],
      ['127.0.0.1', 'FALSE', '/', 'TRUE', 0, 'secure', 'no'],
      ['127.0.0.1', 'FALSE', '/', 'FALSE', PAST, 'expired', 'no'],
      ['.example.com', 'TRUE', '/', 'FALSE', 0, 'elsewhere', 'no'],
    ]);
    const more = await cookieFile('more.txt', [['127.0.0.1', 'FALSE', '/', 'FALSE', 0, 'more', 'three']]);
    const run = await runCliInProcess(
      [server.url('/docs/file.bin'), '-o', 'out.bin', '-q', '-b', jar, '--cookie', more, '-b', 'x=1'],
      dir(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(server.requests.map((r) => r.headers.cookie)).toEqual([
      'x=1; docs=two; session=one; more=three',
      'x=1; docs=two; session=one; more=three',
    ]);
    server.requests.length = 0;
    const root = await runCliInProcess([server.url('/file.bin'), '-o', 'out.bin', '-q', '-b', jar], dir());
    expect(root.code, root.stderr).toBe(0);
    expect(server.requests.map((r) => r.headers.cookie)).toEqual(['session=one', 'session=one']);
  });

  it('R37: never printed, nor written to the checkpoint or the list’s journal', async () => {
    const jar = await cookieFile('jar.txt', [
      ['127.0.0.1', 'FALSE', '/', 'FALSE', 0, 'session', 'S3CRETFILE'],
    ]);
    const cut = await runCliInProcess(
      [
        server.url('/file.bin'),
        '-o',
        'cut.bin',
        '-b',
        jar,
        '-b',
        'k=S3CRETSTRING',
        '-m',
        '0.5',
        '--limit-rate',
        '100K',
      ],
      dir(),
    );
    expect(cut.code).toBe(28);
    expect(await listDir(dir())).toEqual(['cut.bin.part', 'cut.bin.rdl.json', 'jar.txt']);
    const missing = server.url('/missing.bin');
    const list = await runCliInProcess(
      [server.url('/file.bin'), missing, '-d', dir(), '-b', jar, '-b', 'k=S3CRETSTRING', '--json'],
      dir(),
    );
    expect(list.code).toBe(1);
    expect(await listDir(dir())).toContain('.rdl-queue');
    const printed = `${cut.stdout}${cut.stderr}${list.stdout}${list.stderr}`;
    expect(printed).not.toContain('S3CRET');
    const stored = (await everythingIn(dir())).replace(/session\tS3CRETFILE/, '');
    expect(stored).not.toContain('S3CRET');
    expect(
      server.requests
        .filter((r) => r.url === '/file.bin')
        .every((r) => r.headers.cookie === 'k=S3CRETSTRING; session=S3CRETFILE'),
    ).toBe(true);
  });

  it('R30: a missing, garbled, oversized, non-text or special file, or a string with CR LF, is refused before any request: exit 2, one line, no value shown', async () => {
    await writeFile(
      join(dir(), 'garbled.txt'),
      '# ok\n127.0.0.1\tFALSE\t/\tFALSE\t0\tn\tS3CRET\n127.0.0.1 FALSE / FALSE 0 n S3CRET\n',
    );
    await writeFile(join(dir(), 'big.txt'), `${'#'.repeat(1024 * 1024)}\n`);
    await writeFile(join(dir(), 'binary.txt'), Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    await writeFile(join(dir(), 'long.txt'), `127.0.0.1\tFALSE\t/\tFALSE\t0\tn\t${'v'.repeat(40 * 1024)}\n`);
    expect(spawnSync('mkfifo', [join(dir(), 'jar.fifo')]).status).toBe(0);
    const cases: ReadonlyArray<readonly [readonly string[], RegExp]> = [
      [['-b', 'nope.txt'], /--cookie: cannot read .*nope\.txt \(ENOENT\)/],
      [['-b', 'garbled.txt'], /garbled\.txt line 3: expected 7 fields separated by tabs/],
      [['-b', 'big.txt'], /big\.txt is 1048577 bytes, more than a cookie file is read \(1 MiB\)/],
      [['-b', 'binary.txt'], /binary\.txt is not text/],
      [['-b', 'jar.fifo'], /jar\.fifo is not a regular file/],
      [['-b', '/dev/zero'], /\/dev\/zero is not a regular file/],
      [['-b', '.'], /--cookie: .* is not a regular file/],
      [
        ['-b', 'long.txt'],
        /--cookie: the cookies of the file for 127\.0\.0\.1:\d+, with the headers: \d+ characters of headers, more than/,
      ],
      [
        ['-b', 'a=S3CRET\r\nX-Injected: 1'],
        /--cookie: a cookie string holds a control or non-ASCII character/,
      ],
      [['-b', 'a=S3CRET\n'], /--cookie: a cookie string holds a control/],
      [['-b', `a=${'v'.repeat(40 * 1024)}`], /--header: \d+ characters of headers, more than/],
      [['-b', ''], /--cookie: empty/],
    ];
    for (const [flags, message] of cases) {
      const run = await runCliInProcess([server.url('/file.bin'), '-o', 'out.bin', ...flags], dir());
      expect(run.code, flags.join(' ')).toBe(2);
      expect(run.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain('S3CRET');
    }
    expect(server.requests).toEqual([]);
    expect((await listDir(dir())).filter((name) => name.startsWith('out.bin'))).toEqual([]);
  });
});

describe('rdl -b with a list of several origins (R37)', () => {
  it('R37: a cookie string is refused, as a secret -H is; a cookie file’s cookies go to each host they are for', async () => {
    const there = server.url('/file.bin').replace('127.0.0.1', 'localhost');
    const urls = [server.url('/file.bin'), there];
    await mkdir(join(dir(), 'to'));
    await writeFile(join(dir(), 'list.txt'), `${urls[0]}\n  out=a.bin\n${urls[1]}\n  out=b.bin\n`);
    const refused = await runCliInProcess(['-i', 'list.txt', '-d', 'to', '-b', 'k=S3CRET'], dir());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /Cookie would go to 2 origins: with -u, -e, a -b cookie string or a secret -H/,
    );
    expect(refused.stderr).not.toContain('S3CRET');
    expect(server.requests).toEqual([]);
    const jar = await cookieFile('jar.txt', [
      ['127.0.0.1', 'FALSE', '/', 'FALSE', 0, 'here', '1'],
      ['localhost', 'FALSE', '/', 'FALSE', 0, 'there', '2'],
    ]);
    const run = await runCliInProcess(['-i', 'list.txt', '-d', 'to', '-b', jar, '-q'], dir());
    expect(run.code, run.stderr).toBe(0);
    const byHost = new Map(server.requests.map((r) => [r.headers.host, r.headers.cookie]));
    const port = new URL(urls[0] ?? '').port;
    expect(byHost).toEqual(
      new Map([
        [`127.0.0.1:${port}`, 'here=1'],
        [`localhost:${port}`, 'there=2'],
      ]),
    );
  });
});

describe('rdl -b on a redirect to another origin (R37)', () => {
  let other: FaultServer;
  beforeAll(async () => {
    other = await FaultServer.start();
    other.serve('/file.bin', body);
  });
  afterAll(() => other.close());

  it('R37: a cookie string never goes on; a file’s cookies go to the host they are for, as curl’s, never another host’s', async () => {
    other.requests.length = 0;
    const away = other.url('/file.bin').replace('127.0.0.1', 'localhost');
    server.redirect('/away.bin', 302, away);
    const jar = await cookieFile('jar.txt', [
      ['127.0.0.1', 'FALSE', '/', 'FALSE', 0, 'here', 'S3CRET1'],
      ['localhost', 'FALSE', '/', 'FALSE', 0, 'there', '2'],
    ]);
    const run = await runCliInProcess(
      [server.url('/away.bin'), '-o', 'out.bin', '-b', jar, '-b', 's=S3CRET2'],
      dir(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
    expect(server.requests[0]?.headers.cookie).toBe('s=S3CRET2; here=S3CRET1');
    expect(other.requests.length).toBeGreaterThan(0);
    for (const request of other.requests) expect(request.headers.cookie).toBe('there=2');
  });
});

describe('rdl --help names -b', () => {
  it('-b, --cookie <data|file>', async () => {
    const run = await runCliInProcess(['--help'], dir());
    expect(run.stdout).toMatch(/-b, --cookie <data\|file> .*\n(.*\n){2}.*never printed \(default: none\)/);
  });
});
