import { watch } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, releaseLock } from '../src/fileLock.js';
import { runCliInProcess } from './support/cliInProcess.js';
import { spawnRdl } from './support/cliProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { deadPid } from './support/processes.js';
import { listDir, useTempDir } from './support/tempDir.js';

const body = generateBytes(600_000, 71);
const server = useFaultServer();
const temp = useTempDir('rdl-cli-j-');

/** What a terminal acts on (R38): C0 but the newline that ends each line, DEL, C1, the bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: those are exactly what must not be printed
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The folder rdl runs in, inside the test's: a name that escaped it would show beside it. */
const cwd = async (): Promise<string> => {
  const work = join(temp(), 'work');
  await mkdir(work, { recursive: true });
  return work;
};

const serveNamed = (path: string, disposition: string | null): void => {
  server.serve(path, body, disposition === null ? {} : { headers: { 'content-disposition': disposition } });
};

describe('rdl -J names the file from Content-Disposition (RFC 6266, 8187)', () => {
  it('filename: saved under that name in the current folder', async () => {
    serveNamed('/dl/get', 'attachment; filename="report 2024.pdf"');
    const work = await cwd();
    const run = await runCliInProcess([server.url('/dl/get'), '-J'], work);
    expect(run.code).toBe(0);
    expect(await listDir(work)).toEqual(['report 2024.pdf']);
    expect(await fileSha256(join(work, 'report 2024.pdf'))).toBe(sha256(body));
  });

  it('filename* comes before filename, in either order, UTF-8 percent-decoded', async () => {
    for (const disposition of [
      `attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt`,
      `attachment; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt; filename="fallback.txt"`,
    ]) {
      serveNamed('/dl/get', disposition);
      const work = await cwd();
      const run = await runCliInProcess([server.url('/dl/get'), '-J', '-q'], work);
      expect(run.code).toBe(0);
      expect(await listDir(work)).toEqual(['naïve résumé.txt']);
      await writeFile(join(work, 'naïve résumé.txt'), '');
      const again = await runCliInProcess([server.url('/dl/get'), '-J', '-q'], work);
      expect(again.code).toBe(0);
      await import('node:fs/promises').then(({ rm }) => rm(work, { recursive: true }));
    }
  });

  it('R38: a plain filename of raw UTF-8 bytes is read as UTF-8, as browsers do, not as C1 controls; bytes that are no UTF-8 stay Latin-1', async () => {
    /** The header as a server writes it: these bytes, which the head carries one a character. */
    const raw = (text: string, encoding: BufferEncoding) => Buffer.from(text, encoding).toString('latin1');
    for (const [disposition, name] of [
      [raw('attachment; filename="résumé.pdf"', 'utf8'), 'résumé.pdf'],
      [raw('attachment; filename="отчёт.pdf"', 'utf8'), 'отчёт.pdf'],
      [raw('attachment; filename="café.txt"', 'latin1'), 'café.txt'],
      // A filename* is what it says: its UTF-8 is no Latin-1 reading of a head, nothing to read again.
      [`attachment; filename="x.txt"; filename*=UTF-8''%C3%83%C2%A9.txt`, 'Ã©.txt'],
    ] as const) {
      serveNamed('/dl/get', disposition);
      const work = await cwd();
      const run = await runCliInProcess([server.url('/dl/get'), '-J', '-q'], work);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await listDir(work)).toEqual([name]);
      await import('node:fs/promises').then(({ rm }) => rm(work, { recursive: true }));
    }
  });

  it('R16: a server that refuses HEAD gives the name in its answer to GET bytes=0-0, whose body is never written', async () => {
    server.serve('/dl/nohead', body, {
      headStatus: 405,
      headers: { 'content-disposition': 'attachment; filename="from-get.bin"' },
    });
    const work = await cwd();
    const run = await runCliInProcess([server.url('/dl/nohead'), '-J', '-q'], work);
    expect(run.code).toBe(0);
    expect(await listDir(work)).toEqual(['from-get.bin']);
    expect(await fileSha256(join(work, 'from-get.bin'))).toBe(sha256(body));
    expect(server.requests.filter((request) => request.method === 'GET')[0]?.headers.range).toBe('bytes=0-0');
  });

  it('no Content-Disposition: the last segment of the URL the probe was redirected to', async () => {
    serveNamed('/real/image-1.2.iso', null);
    server.redirect('/latest', 302, '/real/image-1.2.iso');
    const work = await cwd();
    const run = await runCliInProcess([server.url('/latest'), '-J'], work);
    expect(run.code).toBe(0);
    expect(await listDir(work)).toEqual(['image-1.2.iso']);
  });

  it('no Content-Disposition and no redirect: the URL’s own name, as without -J', async () => {
    serveNamed('/dl/plain.bin', null);
    const work = await cwd();
    const run = await runCliInProcess([server.url('/dl/plain.bin'), '-J'], work);
    expect(run.code).toBe(0);
    expect(await listDir(work)).toEqual(['plain.bin']);
  });

  it('R30: a URL’s name of 300 bytes is cut to 220, as a server’s name, so that its numbered names fit: run twice, both are saved', async () => {
    const long = `${'a'.repeat(300)}.bin`;
    serveNamed(`/dl/${long}`, null);
    const work = await cwd();
    for (const _ of [1, 2]) {
      const run = await runCliInProcess([server.url(`/dl/${long}`), '-J', '-q'], work);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    expect(await listDir(work)).toEqual(['a'.repeat(220), `${'a'.repeat(220)} (1)`]);
  });

  it('R28: with --json the start event names the file -J chose, a numbered one too', async () => {
    serveNamed('/dl/get', 'attachment; filename="report.pdf"');
    const work = await cwd();
    await writeFile(join(work, 'report.pdf'), 'mine');
    const run = await runCliInProcess([server.url('/dl/get'), '-J', '--json'], work);
    expect(run.code).toBe(0);
    expect(run.events[0]).toEqual({
      event: 'start',
      target: join(work, 'report (1).pdf'),
      resumedFrom: 0,
      total: body.length,
    });
  });

  it('-o wins over -J: no name probe, the file goes where -o says', async () => {
    serveNamed('/dl/get', 'attachment; filename="named.bin"');
    const work = await cwd();
    const run = await runCliInProcess([server.url('/dl/get'), '-J', '-o', 'mine.bin'], work);
    expect(run.code).toBe(0);
    expect(await listDir(work)).toEqual(['mine.bin']);
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD', 'GET']);
  });

  it('R25: the name probe is retried as the download’s requests are: a 503 (Retry-After: 0), then the name', async () => {
    serveNamed('/dl/busy', 'attachment; filename="named.bin"');
    server.fail({ kind: 'status', status: 503, retryAfter: '0' }, { method: 'HEAD' });
    server.fail({ kind: 'status', status: 503, retryAfter: '0' }, { method: 'HEAD' });
    const work = await cwd();
    const run = await runCliInProcess([server.url('/dl/busy'), '-J', '-q'], work);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await listDir(work)).toEqual(['named.bin']);
    expect(server.requests.map((request) => request.method)).toEqual(['HEAD', 'HEAD', 'HEAD', 'HEAD', 'GET']);
  });

  it('R25, R28: a retry of the name probe prints the line a retry of the download prints', async () => {
    serveNamed('/dl/busy', 'attachment; filename="named.bin"');
    const retryLine = new RegExp(
      `^rdl: server answered HTTP 503 for ${server.url('/dl/busy').replace(/[.?]/g, '\\$&')}; retry 1 in \\d+\\.\\d s$`,
    );
    // The download itself, one HEAD answered 503: the line it prints.
    server.fail({ kind: 'status', status: 503, retryAfter: '0' }, { method: 'HEAD' });
    const work = await cwd();
    const plain = await runCliInProcess([server.url('/dl/busy'), '-o', 'plain.bin'], work);
    expect(plain.code).toBe(0);
    expect(plain.stderr.split('\n').filter((line) => retryLine.test(line))).toHaveLength(1);
    // -J, the name probe's HEAD answered 503: the same line, before anything else.
    server.fail({ kind: 'status', status: 503, retryAfter: '0' }, { method: 'HEAD' });
    const run = await runCliInProcess([server.url('/dl/busy'), '-J'], work);
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')[0]).toMatch(retryLine);
    expect(run.stderr.split('\n').filter((line) => retryLine.test(line))).toHaveLength(1);
    expect(await listDir(work)).toEqual(['named.bin', 'plain.bin']);
  });

  it('R25: the name probe gives up where the download would: --retries 0, one attempt', async () => {
    serveNamed('/dl/busy', 'attachment; filename="named.bin"');
    server.fail({ kind: 'status', status: 503, retryAfter: '0' }, { method: 'HEAD' });
    const work = await cwd();
    const run = await runCliInProcess([server.url('/dl/busy'), '-J', '--retries', '0'], work);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `rdl: gave up after 1 attempt: server answered HTTP 503 for ${server.url('/dl/busy')} (ERR_RETRIES_EXHAUSTED)\n`,
    );
    expect(await listDir(work)).toEqual([]);
  });

  it('R29: a name probe the server refuses fails as the download would: one line, exit 1, no file', async () => {
    const work = await cwd();
    const run = await runCliInProcess([server.url('/nothing-here'), '-J'], work);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `rdl: server answered HTTP 404 for ${server.url('/nothing-here')} (ERR_HTTP_STATUS)\n`,
    );
    expect(await listDir(work)).toEqual([]);
  });
});

describe('rdl -J never takes a hostile name from the server (R38)', () => {
  const hostile: ReadonlyArray<readonly [string, string, string]> = [
    ['a path up the tree', 'attachment; filename="../../etc/passwd"', 'it is a path'],
    ['an encoded ../', "attachment; filename*=UTF-8''%2e%2e%2f", 'it is a path'],
    ['an encoded ../ with a name', "attachment; filename*=UTF-8''%2e%2e%2fevil.sh", 'it is a path'],
    ['an absolute path', 'attachment; filename="/etc/cron.d/x"', 'it is a path'],
    ['a Windows path', 'attachment; filename="..\\\\..\\\\boot.ini"', 'it is a path'],
    ['a NUL', "attachment; filename*=UTF-8''a%00b.txt", 'it holds a control character'],
    ['a newline', "attachment; filename*=UTF-8''a%0Ab.txt", 'it holds a control character'],
    ['an ESC sequence', "attachment; filename*=UTF-8''%1B%5B2Jx.txt", 'it holds a control character'],
    ['a C1 CSI', "attachment; filename*=UTF-8''%C2%9Bx.txt", 'it holds a control character'],
    ['a bidi override', "attachment; filename*=UTF-8''%E2%80%AEtxt.exe", 'it holds a control character'],
    ['a 10 KB name', `attachment; filename="${'a'.repeat(10_240)}.bin"`, 'it is longer than 220 bytes'],
    // Its length is looked at before the patterns for device names: 16 KiB of `. ` took 4.9 s to read there.
    [
      '16 KiB of dots and spaces',
      `attachment; filename="x${'. '.repeat(8192)}y"`,
      'it is longer than 220 bytes',
    ],
    ['..', 'attachment; filename=".."', 'it is a dot file'],
    ['.', 'attachment; filename="."', 'it is a dot file'],
    ['a dot file', 'attachment; filename=".bashrc"', 'it is a dot file'],
    ['a part file name', 'attachment; filename="safe.bin.part"', 'it ends in .part, the name of a part file'],
    ['CON', 'attachment; filename="CON"', 'it is a device name Windows reserves'],
    ['nul.txt', 'attachment; filename="nul.txt"', 'it is a device name Windows reserves'],
    ['COM1', 'attachment; filename=com1', 'it is a device name Windows reserves'],
    ['LPT9 with dots after', 'attachment; filename="LPT9.tar.gz"', 'it is a device name Windows reserves'],
    ['an empty name', 'attachment; filename=""', 'it is empty'],
    [
      'a checkpoint name',
      'attachment; filename="safe.bin.rdl.json"',
      "it is the name of another download's checkpoint or lock",
    ],
    [
      'a checkpoint temp name',
      'attachment; filename="safe.bin.rdl.json.0123456789abcdef.tmp"',
      "it is the name of another download's checkpoint or lock",
    ],
  ];

  it.each(hostile)(
    '%s: not used, said so in visible text, the URL’s name instead, nothing outside the folder',
    async (_, disposition, why) => {
      serveNamed('/dl/safe.bin', disposition);
      const work = await cwd();
      for (const json of [false, true]) {
        const run = await runCliInProcess(
          [server.url('/dl/safe.bin'), '-J', ...(json ? ['--json'] : [])],
          work,
        );
        expect(run.code).toBe(0);
        expect(run.stderr).toMatch(
          new RegExp(`^rdl: the Content-Disposition file name "[^\\n]*" is not used: ${why}\\n`),
        );
        expect(run.stderr).not.toMatch(RAW_CONTROL);
        expect(run.stdout).not.toMatch(RAW_CONTROL);
        expect(run.stderr.split('\n')[0]!.length).toBeLessThan(200);
        expect(await listDir(temp())).toEqual(['work']);
        expect(await fileSha256(join(work, json ? 'safe (1).bin' : 'safe.bin'))).toBe(sha256(body));
      }
    },
  );

  it('characters Windows refuses in names become _, as in the URL’s default name', async () => {
    serveNamed('/dl/get', 'attachment; filename="a:b*c?.txt"');
    const work = await cwd();
    expect((await runCliInProcess([server.url('/dl/get'), '-J', '-q'], work)).code).toBe(0);
    expect(await listDir(work)).toEqual(['a_b_c_.txt']);
  });

  it('the name from a redirect follows the same rules: an encoded ../ or a dot file is not used', async () => {
    for (const location of ['/x/%2e%2e%2fevil', '/x/.profile', '/x/NUL']) {
      serveNamed(new URL(location, server.origin).pathname, null);
      server.redirect('/go', 302, location);
      const work = await cwd();
      const run = await runCliInProcess([server.url('/go'), '-J'], work);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        /^rdl: the redirected URL file name "[^\n]*" is not used: it is (a path|a dot file|a device name Windows reserves)\n/,
      );
      expect(await listDir(temp())).toEqual(['work']);
      expect(await listDir(work)).toEqual(['go']);
      await import('node:fs/promises').then(({ rm }) => rm(work, { recursive: true }));
    }
  });
});

describe('rdl -J never replaces a file of another download', () => {
  it('an existing file keeps its bytes: the download goes to "name (1).ext", then "name (2).ext"', async () => {
    serveNamed('/dl/get', 'attachment; filename="report.pdf"');
    const work = await cwd();
    await writeFile(join(work, 'report.pdf'), 'mine');
    const first = await runCliInProcess([server.url('/dl/get'), '-J'], work);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(
      /^rdl: "report.pdf" is not used: it exists; kept, and the file saved as "report \(1\).pdf"\n/,
    );
    const second = await runCliInProcess([server.url('/dl/get'), '-J', '-q'], work);
    expect(second.code).toBe(0);
    expect(await listDir(work)).toEqual(['report (1).pdf', 'report (2).pdf', 'report.pdf']);
    expect(await readFile(join(work, 'report.pdf'), 'utf8')).toBe('mine');
    expect(await fileSha256(join(work, 'report (2).pdf'))).toBe(sha256(body));
  });

  it('R22: a checkpoint of another URL counts as taken too', async () => {
    serveNamed('/dl/get', 'attachment; filename="data.tar.gz"');
    const work = await cwd();
    await writeFile(join(work, 'data.tar.gz.rdl.json'), '{"not":"ours"}');
    const run = await runCliInProcess([server.url('/dl/get'), '-J'], work);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^rdl: "data.tar.gz" is not used: it holds another download's checkpoint; kept, and the file saved as "data.tar \(1\).gz"\n/,
    );
    expect(await listDir(work)).toEqual(['data.tar (1).gz', 'data.tar.gz.rdl.json']);
  });

  it('R19, R21: a part file and a dead lock with no checkpoint (a run killed before its first checkpoint) hold nothing to resume: -J takes the name again and starts over in it', async () => {
    serveNamed('/dl/get', 'attachment; filename="report.pdf"');
    const work = await cwd();
    await writeFile(join(work, 'report.pdf.part'), 'left by a killed run, longer than nothing');
    const owner = { pid: await deadPid(), startedAt: 1, hostname: hostname() };
    await writeFile(join(work, 'report.pdf.lock'), JSON.stringify(owner), { mode: 0o600 });
    server.requests.length = 0;
    const run = await runCliInProcess([server.url('/dl/get'), '-J'], work);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('report (1).pdf');
    expect(await listDir(work)).toEqual(['report.pdf']);
    expect(await fileSha256(join(work, 'report.pdf'))).toBe(sha256(body));
    expect(server.gets().map((request) => request.headers.range ?? null)).toEqual([null]);
  });

  it('R23: a name whose lock a live download holds is taken, said so', async () => {
    serveNamed('/dl/get', 'attachment; filename="report.pdf"');
    const work = await cwd();
    const lock = join(work, 'report.pdf.lock');
    expect(await acquireLock(lock)).toEqual({ _tag: 'Taken' });
    try {
      const run = await runCliInProcess([server.url('/dl/get'), '-J'], work);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        /^rdl: "report.pdf" is not used: another download is running there; kept, and the file saved as "report \(1\).pdf"\n/,
      );
      expect(await listDir(work)).toEqual(['report (1).pdf', 'report.pdf.lock']);
    } finally {
      await releaseLock(lock);
    }
  });

  it('R18, R22, R37: a presigned URL, as given or signed again, goes on in its own file, though its checkpoint keeps the URL redacted', async () => {
    serveNamed('/dl/signed', 'attachment; filename="report.pdf"');
    const work = await cwd();
    const signed = (signature: string, date: string) =>
      server.url(`/dl/signed?X-Amz-Date=${date}&X-Amz-Signature=${signature}`);
    const cut = async (url: string): Promise<void> => {
      let release: () => void = () => undefined;
      const stalled = new Promise<void>((resolve) => {
        release = resolve;
      });
      server.fail({ kind: 'stall', at: 200_000, until: stalled }, { method: 'GET' });
      const run = runCliInProcess([url, '-J', '-q', '-x', '1', '-m', '1'], work);
      expect((await run).code).toBe(28);
      release();
    };
    await cut(signed('abc', '20261207T000000Z'));
    expect(await listDir(work)).toEqual(['report.pdf.part', 'report.pdf.rdl.json']);
    // The same URL again: it goes on from the first 200 000 bytes (each cut stalls 200 000 bytes into its answer).
    await cut(signed('abc', '20261207T000000Z'));
    expect(await listDir(work)).toEqual(['report.pdf.part', 'report.pdf.rdl.json']);
    server.requests.length = 0;
    const again = await runCliInProcess([signed('def', '20261207T010000Z'), '-J'], work);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('report (1).pdf');
    expect(await listDir(work)).toEqual(['report.pdf']);
    expect(await fileSha256(join(work, 'report.pdf'))).toBe(sha256(body));
    expect(server.gets().map((request) => request.headers.range)).toEqual(['bytes=400000-']);
  });

  it('R19, R20: killed with SIGKILL mid-way, the same command finds its own numbered file and checkpoint and resumes there', async () => {
    serveNamed('/dl/big', 'attachment; filename="big.bin"');
    const work = await cwd();
    await writeFile(join(work, 'big.bin'), 'someone else’s');
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.fail({ kind: 'stall', at: 250_000, until: stalled }, { method: 'GET' });
    const args = [server.url('/dl/big'), '-J', '--json', '-x', '1'];
    const checkpoint = join(work, 'big (1).bin.rdl.json');
    // Event-driven: the checkpoint's rename into place is seen by a watch on the folder.
    const saved = new Promise<number>((resolve) => {
      const watcher = watch(work, () => {
        readFile(checkpoint, 'utf8').then(
          (text) => {
            const end = (JSON.parse(text) as { ranges: [number, number][] }).ranges[0]?.[1] ?? 0;
            if (end < 250_000) return;
            watcher.close();
            resolve(end);
          },
          () => undefined,
        );
      });
    });
    const killed = spawnRdl(args, work);
    const bytes = await saved;
    killed.child.kill('SIGKILL');
    expect((await killed.exit).signal).toBe('SIGKILL');
    release();
    server.requests.length = 0;

    const resumed = spawnRdl(args, work);
    const exit = await resumed.exit;
    expect(exit.code).toBe(0);
    expect(exit.events[0]).toEqual({
      event: 'start',
      target: join(work, 'big (1).bin'),
      resumedFrom: bytes,
      total: body.length,
    });
    expect(exit.stderr).toContain('rdl: going on with this URL\'s download in "big (1).bin"');
    expect(await listDir(work)).toEqual(['big (1).bin', 'big.bin']);
    expect(await readFile(join(work, 'big.bin'), 'utf8')).toBe('someone else’s');
    expect(await fileSha256(join(work, 'big (1).bin'))).toBe(sha256(body));
    const ranged = server.gets().map((request) => request.headers.range);
    expect(ranged).toEqual([`bytes=${bytes}-`]);
  });
});
