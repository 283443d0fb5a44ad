import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { runRdl } from './support/cliProcess.js';
import { isAlive } from './support/processes.js';
import { RawServer } from './support/rawServer.js';
import { useTempDir } from './support/tempDir.js';

/** What rdl says when a presigned URL expired, and whether `--refresh-command` had its say (R18, R29). */

const SIZE = 200_000;

const dir = useTempDir('rdl-cli-refresh-message-');
let raw: RawServer | null = null;
afterEach(async () => {
  await raw?.close();
  raw = null;
});

/** A store whose first GET is cut after half the body; every later GET of any URL is a 403 (an expired signature). */
const expiringStore = async (): Promise<RawServer> => {
  let gets = 0;
  return RawServer.start((request, socket) => {
    const head = `HTTP/1.1 200 OK\r\ncontent-length: ${SIZE}\r\netag: "v1"\r\naccept-ranges: bytes\r\n\r\n`;
    if (request.head.startsWith('HEAD')) {
      socket.write(head);
      return;
    }
    gets += 1;
    if (gets === 1) {
      socket.write(head);
      socket.end(Buffer.alloc(SIZE / 2, 0x61));
      return;
    }
    socket.write('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
};

/** `rdl` on the store with `--retries retries` and a refresh command that leaves a marker file when it runs. */
const expireWith = async (retries: number) => {
  raw = await expiringStore();
  const marker = join(dir(), 'ran');
  const run = await runCliInProcess(
    [
      raw.url('/k?X-Amz-Signature=s1'),
      '-o',
      'k.bin',
      '--retries',
      String(retries),
      '--refresh-command',
      `touch ${marker}; echo ${raw.url('/k?X-Amz-Signature=s2')}`,
    ],
    dir(),
  );
  return { run, ran: existsSync(marker) };
};

/**
 * A store whose first GET is cut after half the body and whose `s1` signature then expires (403); `s2` is valid
 * (HEAD, and GET with a range).
 */
const resigningStore = async (): Promise<RawServer> => {
  let gets = 0;
  const head = (status: string, length: number, extra = '') =>
    `HTTP/1.1 ${status}\r\ncontent-length: ${length}\r\netag: "v1"\r\naccept-ranges: bytes\r\n${extra}\r\n`;
  return RawServer.start((request, socket) => {
    const line = request.head.split('\r\n', 1)[0] ?? '';
    if (line.startsWith('HEAD')) {
      socket.write(head('200 OK', SIZE));
      return;
    }
    gets += 1;
    if (gets === 1) {
      socket.write(head('200 OK', SIZE));
      socket.end(Buffer.alloc(SIZE / 2, 0x61));
      return;
    }
    if (!line.includes('X-Amz-Signature=s2')) {
      socket.write('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const from = Number(/\r\nrange: bytes=(\d+)-/i.exec(request.head)?.[1] ?? 0);
    socket.write(
      head('206 Partial Content', SIZE - from, `content-range: bytes ${from}-${SIZE - 1}/${SIZE}\r\n`),
    );
    socket.end(Buffer.alloc(SIZE - from, 0x61));
  });
};

/**
 * What rdl prints when a `--refresh-command` fails after writing `said` on its stderr, in text and with `--json`:
 * the message (the last JSON line's, or stderr) and all it printed. The line goes through a file: a shell word could
 * not hold all those quotes as they are.
 */
const refreshFailures = async (said: string, name: string): Promise<{ printed: string; all: string }[]> => {
  const saidFile = join(dir(), `said-${name}.txt`);
  await writeFile(saidFile, `signer said: ${said}\n`);
  const runs: { printed: string; all: string }[] = [];
  for (const json of [false, true]) {
    await raw?.close();
    raw = await expiringStore();
    const run = await runCliInProcess(
      [
        raw.url('/k?X-Amz-Signature=s1'),
        '-o',
        `${name}${json}.bin`,
        '--refresh-command',
        `cat ${saidFile} >&2; exit 1`,
        ...(json ? ['--json'] : []),
      ],
      dir(),
    );
    expect(run.code).toBe(1);
    const printed = json ? JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '').message : run.stderr;
    runs.push({ printed, all: run.stdout + run.stderr });
  }
  return runs;
};

describe('rdl: an expired presigned URL', () => {
  it('R18: --stall-timeout does not bound --refresh-command: a command that signs in 2 s with --stall-timeout 1 is waited for', async () => {
    raw = await resigningStore();
    const run = await runCliInProcess(
      [
        raw.url('/k?X-Amz-Signature=s1'),
        '-o',
        'k.bin',
        '--stall-timeout',
        '1',
        '--refresh-command',
        `sleep 2; echo '${raw.url('/k?X-Amz-Signature=s2')}'`,
      ],
      dir(),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(join(dir(), 'k.bin'))).toEqual(Buffer.alloc(SIZE, 0x61));
  });

  it('R18, R29: when the retries ran out before --refresh-command was asked, the message says so, not that its URLs were refused', async () => {
    const { run, ran } = await expireWith(1);
    expect(run.code).toBe(1);
    expect(ran).toBe(false);
    expect(run.stderr).toContain('before --refresh-command was run: run the same command again');
    expect(run.stderr).not.toContain('were refused too');
    expect(run.stderr).toMatch(/\(ERR_URL_EXPIRED\)\n$/);
  });

  it('R18, R29: when the URLs --refresh-command printed were refused too, the message says that', async () => {
    const { run, ran } = await expireWith(3);
    expect(run.code).toBe(1);
    expect(ran).toBe(true);
    expect(run.stderr).toContain('the URLs --refresh-command printed were refused too');
    expect(run.stderr).toMatch(/\(ERR_URL_EXPIRED\)\n$/);
  });

  it('R37: a failing --refresh-command whose stderr quotes a URL with a password is printed without it, in text and --json', async () => {
    const said = 'https://bob:hunter2@signer.example/sign?X-Amz-Signature=abc';
    for (const json of [false, true]) {
      await raw?.close();
      raw = await expiringStore();
      const run = await runCliInProcess(
        [
          raw.url('/k?X-Amz-Signature=s1'),
          '-o',
          `k${json}.bin`,
          '--refresh-command',
          `echo "signer said: ${said}" >&2; exit 1`,
          ...(json ? ['--json'] : []),
        ],
        dir(),
      );
      expect(run.code).toBe(1);
      const printed = json ? run.stdout : run.stderr;
      expect(printed).toContain('signer said: https://signer.example/sign?X-Amz-Signature=REDACTED');
      expect(run.stdout + run.stderr).not.toContain('hunter2');
      expect(run.stdout + run.stderr).not.toContain('bob:');
    }
  });

  it('R37: a failing --refresh-command whose stderr quotes a password holding #, /, ?, @ or a quote is printed without it, in text and --json', async () => {
    const said = [
      'https://bob:hunter#2@signer.example/sign',
      'https://bob:hunter/2@signer.example/sign',
      'https://bob:hunter?2@signer.example/sign',
      "'https://bob:it's-hunter2@signer.example/sign'",
      'https://bob:hunter"2@signer.example/sign',
      'https://bob:hunter@2@signer.example/sign?X-Amz-Signature=abc',
    ].join(' ');
    for (const { printed, all } of await refreshFailures(said, 'k')) {
      expect(printed).toContain(
        "signer said: https://…@signer.example/sign https://…@signer.example/sign https://…@signer.example/sign 'https://signer.example/sign' https://signer.example/sign https://signer.example/sign?X-Amz-Signature=REDACTED",
      );
      expect(all).not.toContain('hunter');
      expect(all).not.toContain('bob');
    }
  });

  it('R37: a failing --refresh-command whose stderr quotes a token as the user name, holding a quote, < or >, is printed without it, in text and --json', async () => {
    const said = [
      "https://ghp_ab'cd@signer.example/sign",
      'https://ghp_ab"cd@signer.example/sign',
      'https://ghp<ab>cd@signer.example/sign?X-Amz-Signature=abc',
      '{"url":"https://ghp_ab\\"cd@signer.example/sign","to":"ops@example.com"}',
    ].join(' ');
    for (const { printed, all } of await refreshFailures(said, 't')) {
      expect(printed).toContain(
        'signer said: https://signer.example/sign https://signer.example/sign https://signer.example/sign?X-Amz-Signature=REDACTED {"url":"https://…@signer.example/sign","to":"ops@example.com"}',
      );
      expect(all).not.toMatch(/ghp|ab'cd|ab"cd|ab\\"cd/);
    }
  });

  it('R18: a --refresh-command still running when --max-time ends the run is killed with it, not left behind', async () => {
    raw = await expiringStore();
    const pidFile = join(dir(), 'pid');
    const run = await runRdl(
      [
        raw.url('/k?X-Amz-Signature=s1'),
        '-o',
        'k.bin',
        '-m',
        '1',
        '--refresh-command',
        `echo $$ > ${pidFile}; exec sleep 60`,
      ],
      dir(),
    );
    expect(run.code).toBe(28);
    const pid = Number(await readFile(pidFile, 'utf8'));
    // The group was sent SIGKILL at the exit: the sleep ends as soon as the kernel has delivered it.
    while (await isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await isAlive(pid)).toBe(false);
  });
});
