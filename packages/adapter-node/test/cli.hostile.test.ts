import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CheckpointStore } from '@rdl/core';
import { escapeControls } from '@rdl/core/rules';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usage } from '../src/cli/args.js';
import { queueFileName } from '../src/cli/runList.js';
import { checkpointPathOf, FileCheckpointStore } from '../src/FileCheckpointStore.js';
import { type CliRun, runCliInProcess } from './support/cliInProcess.js';
import { FaultServer, generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { HostileServer } from './support/hostileServer.js';
import { selfSigned } from './support/selfSigned.js';
import { listDir, makeTempDir, useTempDir } from './support/tempDir.js';

const body = generateBytes(200_000, 5);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-hostile-');

/** What a terminal acts on (R38): C0 but the newline that ends each line, DEL, C1, the bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: those are exactly what must not be printed
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** U+009B (a CSI), and U+202E (RIGHT-TO-LEFT OVERRIDE) as its UTF-8 bytes read as latin1, as a head is read. */
const CSI = '\u009b';
const RLO_BYTES = '\u00e2\u0080\u00ae';

/** Runs `rdl args…` in the test's folder, in text mode and with --json; both must print nothing raw. */
const bothModes = async (args: readonly string[]): Promise<{ text: CliRun; json: CliRun }> => {
  const text = await runCliInProcess(args, dir());
  const json = await runCliInProcess([...args, '--json'], dir());
  for (const run of [text, json]) {
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
  }
  return { text, json };
};

/**
 * The failure line holds `escaped`, what the server sent as visible text; the `--json` error event's message, once
 * parsed, is what the server sent, byte for byte, and the same message as the text line's once escaped.
 */
const expectEscapedFailure = (runs: { text: CliRun; json: CliRun }, code: string, escaped: string): void => {
  expect(runs.text.code).toBe(1);
  const failure = runs.text.stderr.split('\n').at(-2) ?? '';
  expect(failure).toMatch(new RegExp(`^rdl: .+ \\(${code}\\)$`));
  expect(failure).toContain(escaped);
  const error = runs.json.events.find((e) => e.event === 'error');
  expect(error).toMatchObject({ code });
  expect(failure).toBe(`rdl: ${escapeControls(String(error?.message))} (${code})`);
};

describe('rdl prints what a hostile server sends as visible text (R38)', () => {
  it('R38: an ETag holding U+009B and the bytes of U+202E, in a failure message, text and --json', async () => {
    const etag = `"${CSI}[2J${RLO_BYTES}"`;
    server.serve('/etag.bin', body, { etag });
    server.fail({ kind: 'truncatedFull', length: 1000 }, { method: 'GET' });
    server.fail({ kind: 'truncatedFull', length: 1000 }, { method: 'GET' });
    const runs = await bothModes([server.url('/etag.bin'), '-o', 'out.bin']);
    expectEscapedFailure(runs, 'ERR_BAD_RESPONSE', '"\\u009b[2Jâ\\u0080®"');
  });

  it('R38: a Location holding U+009B, in the refused redirect', async () => {
    server.redirect('/moved.bin', 302, `ftp://h/${CSI}6n${RLO_BYTES}`);
    const runs = await bothModes([server.url('/moved.bin'), '-o', 'out.bin']);
    expectEscapedFailure(runs, 'ERR_REDIRECT_REFUSED', 'ftp://h/\\u009b6nâ\\u0080®');
  });

  it('R38: a Content-Range holding U+009B, in the refused probe', async () => {
    server.serve('/range.bin', body, { headStatus: 405 });
    const head = {
      kind: 'head',
      status: 206,
      reason: `Partial ${CSI}`,
      headers: { 'content-range': `bytes ${CSI}0-0/9${RLO_BYTES}` },
    } as const;
    server.fail(head, { method: 'GET' });
    server.fail(head, { method: 'GET' });
    const runs = await bothModes([server.url('/range.bin'), '-o', 'out.bin']);
    expectEscapedFailure(runs, 'ERR_BAD_RESPONSE', 'bytes \\u009b0-0/9â\\u0080®');
  });

  it('R38: a status line holding ESC and U+009B, in the BadResponse built from it', async () => {
    const hostile = await HostileServer.start({ body, etag: '"h"' });
    try {
      const line = `HTTP/1.1 2OO \u001b]0;owned\u0007${CSI}31m`;
      hostile.lie({ kind: 'raw', text: `${line}\r\n\r\n` }, 'HEAD');
      hostile.lie({ kind: 'raw', text: `${line}\r\n\r\n` }, 'HEAD');
      const runs = await bothModes([hostile.url(), '-o', 'out.bin']);
      // The reason quotes the line as JSON does (ESC already as \u001b); the C1 control is escaped at the edge.
      expectEscapedFailure(runs, 'ERR_BAD_RESPONSE', '2OO \\u001b]0;owned\\u0007\\u009b31m');
    } finally {
      await hostile.close();
    }
  });

  it('R37, R38: a header line quoting a query and a Location ending in a quote: every --json line parses, the URL redacted', async () => {
    const hostile = await HostileServer.start({ body, etag: '"h"' });
    try {
      const heads = [
        // No URL: what the server sent, quoted as it is (a file name could read so too).
        ['HTTP/1.1 200 OK\r\nbad line?sig=abc\r\nContent-Length: 3\r\n\r\nabc', 'field: "bad line?sig=abc"'],
        [
          'HTTP/1.1 302 Found\r\nLocation: ftp://evil/?sig=abc"x\r\nContent-Length: 0\r\n\r\n',
          'ftp://evil/?sig=REDACTED"x',
        ],
      ] as const;
      for (const [text, quoted] of heads) {
        hostile.lie({ kind: 'raw', text }, 'HEAD');
        const run = await runCliInProcess([hostile.url(), '-o', 'out.bin', '--json'], dir());
        expect(run.code).toBe(1);
        const lines = run.stdout.split('\n').filter((line) => line !== '');
        // Each line is one JSON object (runCliInProcess parses them too): none cut short by a redaction.
        expect(lines.map((line) => JSON.parse(line) as unknown)).toHaveLength(run.events.length);
        expect(String(run.events.find((e) => e.event === 'error')?.message)).toContain(quoted);
      }
    } finally {
      await hostile.close();
    }
  });

  it('R38: a file name holding U+202E, ESC and U+009B is printed escaped on every line', async () => {
    server.serve('/name.bin', body);
    const name = `invoice\u202egnp${CSI}\u001b[8m.exe`;
    const { text, json } = await bothModes([server.url('/name.bin'), '-o', name]);
    expect(text.code).toBe(0);
    expect(json.code).toBe(0);
    expect(text.stderr).toContain('invoice\\u202egnp\\u009b\\u001b[8m.exe');
    expect(text.stderr.split('\n').filter((l) => l.includes('invoice'))).toHaveLength(2);
    expect(await fileSha256(join(dir(), name))).toBe(sha256(body));
  });
});

describe('rdl and a password in the URL (R37)', () => {
  const withPassword = (url: string): string => url.replace('http://', 'http://alice:s3cr%3At@');
  /** base64("alice:s3cr:t") */
  const basic = 'Basic YWxpY2U6czNjcjp0';

  /** A checkpoint store that reads back the file each save wrote to disk. */
  const watched = (onDisk: string[]): CheckpointStore => {
    const files = new FileCheckpointStore();
    return {
      load: (target) => files.load(target),
      remove: (target) => files.remove(target),
      save: (target, text) => async () => {
        const saved = await files.save(target, text)();
        onDisk.push(await readFile(checkpointPathOf(target), 'utf8'));
        return saved;
      },
    };
  };

  it('R37: is sent as Basic, to that origin only, and never printed nor written to the checkpoint', async () => {
    server.serve('/secret.bin', body);
    server.fail({ kind: 'cut', at: 100_000 }, { method: 'GET' });
    const onDisk: string[] = [];
    for (const mode of [[], ['--json']]) {
      server.fail({ kind: 'cut', at: 100_000 }, { method: 'GET' });
      const run = await runCliInProcess(
        [withPassword(server.url('/secret.bin')), '-o', 'out.bin', '--retries', '2', ...mode],
        dir(),
        { checkpoints: watched(onDisk) },
      );
      expect(run.code).toBe(0);
      for (const printed of [run.stdout, run.stderr]) {
        expect(printed).not.toContain('s3cr');
        expect(printed).not.toContain('alice');
        expect(printed).not.toContain(basic.slice(6));
      }
      if (mode.length === 0) expect(run.stderr).toContain(`downloading ${server.url('/secret.bin')} to `);
    }
    expect(onDisk.length).toBeGreaterThan(1);
    for (const text of onDisk) {
      expect(text).not.toContain('s3cr');
      expect(text).not.toContain(basic.slice(6));
      expect(JSON.parse(text).url).toBe(server.url('/secret.bin'));
    }
    expect(server.requests.length).toBeGreaterThan(2);
    for (const request of server.requests) {
      expect(request.headers.authorization).toBe(basic);
      expect(request.url).toBe(server.url('/secret.bin'));
    }
    expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
  });

  it('R37: a redirect to a Location that does not parse is refused without its password, in text, --json and a list’s queue', async () => {
    const locations = [
      '//bob:s3cret@[::1%25eth0]:1/x.bin',
      'http://bob:s3#ss@[::1%25eth0]/x',
      'https://bob:s3/ss@127.0.0.1:1/x',
    ];
    for (const [i, location] of locations.entries()) server.redirect(`/moved${i}`, 302, location);
    const printed: string[] = [];
    for (const i of locations.keys()) {
      const runs = await bothModes([server.url(`/moved${i}`), '-o', 'out.bin', '--retries', '0']);
      expect(runs.text.stderr).toMatch(/^rdl: refused redirect to [^\n]+ \(ERR_REDIRECT_REFUSED\)\n$/);
      printed.push(runs.text.stderr, runs.json.stdout, runs.json.stderr);
    }
    await writeFile(
      join(dir(), 'list.txt'),
      locations.map((_, i) => `${server.url(`/moved${i}`)}\n`).join(''),
    );
    const list = await runCliInProcess(['-i', 'list.txt', '-q', '--retries', '0'], dir());
    expect(list.code).toBe(1);
    printed.push(list.stdout, list.stderr, await readFile(join(dir(), queueFileName), 'utf8'));
    for (const text of printed) {
      expect(text).not.toContain('s3');
      expect(text).not.toContain('bob');
    }
    expect(printed[0]).toBe(
      'rdl: refused redirect to //[::1%25eth0]:1/x.bin: Location is not a valid URL (ERR_REDIRECT_REFUSED)\n',
    );
  });

  it('R37: a failure names the URL without it', async () => {
    const run = await runCliInProcess([withPassword(server.url('/missing.bin')), '-o', 'out.bin'], dir());
    expect(run.stderr).toBe(
      `rdl: server answered HTTP 404 for ${server.url('/missing.bin')} (ERR_HTTP_STATUS)\n`,
    );
  });
});

describe('rdl over https never goes on over http (R37)', () => {
  let https: Server;
  let plain: FaultServer;
  let certFile: string;
  let cleanup: () => Promise<void>;
  let httpsUrl: string;

  beforeAll(async () => {
    const temp = await makeTempDir('rdl-cli-r37-');
    cleanup = temp.cleanup;
    const certificate = await selfSigned(temp.dir);
    certFile = certificate.certFile;
    plain = await FaultServer.start();
    plain.serve('/file.bin', body);
    https = createServer({ key: certificate.key, cert: certificate.cert }, (_request, response) => {
      response.writeHead(301, { location: plain.url('/file.bin'), 'content-length': '0' }).end();
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    httpsUrl = `https://localhost:${(https.address() as AddressInfo).port}/file.bin`;
  });
  afterAll(async () => {
    https.closeAllConnections();
    await new Promise((resolve) => https.close(resolve));
    await plain.close();
    await cleanup();
  });

  it('R37: a redirect from https to http fails at once as ERR_REDIRECT_REFUSED, with nothing sent over http', async () => {
    const run = await runCliInProcess([httpsUrl, '-o', 'out.bin', '--cacert', certFile], dir());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `rdl: refused redirect to ${plain.url('/file.bin')}: a redirect from https to http (allow it with allowHttpsDowngrade) (ERR_REDIRECT_REFUSED)\n`,
    );
    expect(plain.requests).toEqual([]);
    expect(await listDir(dir())).toEqual([]);
  });

  it('R37: --allow-https-downgrade follows it', async () => {
    const run = await runCliInProcess(
      [httpsUrl, '-o', 'out.bin', '--allow-https-downgrade', '--cacert', certFile],
      dir(),
    );
    expect(run.code).toBe(0);
    expect(await fileSha256(join(dir(), 'out.bin'))).toBe(sha256(body));
    expect(existsSync(join(dir(), 'out.bin.rdl.json'))).toBe(false);
  });

  it('R37: --help names the flag', async () => {
    const run = await runCliInProcess(['--help'], dir());
    expect(run.stdout).toMatch(/--allow-https-downgrade +follow a redirect from https to http/);
  });

  it("R38: --help is the command's own text, printed as written: the proxy's form keeps its [user:password@]", async () => {
    const run = await runCliInProcess(['--help'], dir());
    expect(run.stdout).toContain(
      "the proxy, http://[user:password@]host[:port] (port 1080 if left out), '' for none",
    );
    expect(run.stdout).toBe(`${usage.trimEnd()}\n`);
  });
});
