import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonEvent, type RdlProcess, runRdl, spawnRdl } from './support/cliProcess.js';
import { sha256 } from './support/faultServer.js';
import { sha256File } from './support/randomFile.js';
import { S3Front } from './support/s3Front.js';
import { BUCKET, credentialOf, S3Server, signatureOf } from './support/s3Server.js';
import { listDir, useTempDir } from './support/tempDir.js';

const MiB = 1024 * 1024;
const presignScript = join(dirname(fileURLToPath(import.meta.url)), 'support/presign.mjs');

let s3: S3Server;
let front: S3Front;
const dir = useTempDir('rdl-s3-');

beforeAll(async () => {
  s3 = await S3Server.start();
  front = await S3Front.start(s3.endpoint);
});

afterAll(async () => {
  await front?.close();
  await s3?.close();
});

/**
 * Resolves once the checkpoint in `folder` counts at least `bytes`: the kill or the cut then loses none of them.
 * Rejects when `run` ended first.
 */
const checkpointCounting = async (folder: string, bytes: number, run: RdlProcess): Promise<string> => {
  for (;;) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) {
      const exit = await run.exit;
      throw new Error(`rdl ended before its checkpoint counted ${bytes} bytes: ${exit.code} ${exit.stderr}`);
    }
    const text = await readFile(join(folder, 'out.bin.rdl.json'), 'utf8').catch(() => '');
    const decoded = decodeCheckpoint(text);
    if (decoded._tag === 'Right' && coveredBytes(decoded.right.ranges) >= bytes) return text;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** The refresh command: the AWS SDK signs the object again each time it runs, and logs the URL it printed. */
/**
 * The refresh command signing `key` again. Its default expiry is not the 900 s the tests' first URLs have: SigV4
 * signed in the same second with the same expiry gives the very URL that was revoked (a fast run refreshed three
 * times into the same revoked URL before the clock turned).
 */
const refreshCommand = (key: string, log: string, expiresIn = 1200): string =>
  [process.execPath, presignScript, s3.endpoint, front.origin, BUCKET, key, String(expiresIn), log].join(' ');

const signedUrls = async (log: string): Promise<string[]> =>
  (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');

const restarts = (events: readonly JsonEvent[]) => events.filter((e) => e.event === 'restart');
const SINGLE = ['-x', '1'];

/**
 * Starts `rdl --json` on `url`, holds the first GET at `at` bytes and waits until the checkpoint counts them: the
 * run then holds exactly `at` bytes, whatever the machine's speed.
 */
const runHeldAt = async (url: string, at: number, extra: readonly string[] = []) => {
  const held = front.holdNextGet(at);
  const run = spawnRdl([url, '-o', 'out.bin', '--json', ...SINGLE, ...extra], dir());
  // The hold comes before the checkpoint; a run that ends first fails the test with what it printed.
  const checkpoint = await checkpointCounting(dir(), at, run);
  await held;
  return { run, checkpoint };
};

describe('presigned URLs of a real S3 server (s3rver), signed by the AWS SDK', () => {
  it('R22, R6, R13, R37: killed at 3 MiB, signed again, the same command resumes from the bytes: the second run fetches only the rest; the checkpoint holds no signature', async () => {
    const size = 8 * MiB;
    const body = await s3.putRandom('kill.bin', size);
    const first = await s3.sign('kill.bin', { expiresIn: 900, origin: front.origin });
    const { run, checkpoint } = await runHeldAt(first, 3 * MiB);
    // R37: the checkpoint on disk keeps the URL with its secrets redacted.
    expect(checkpoint).toContain('X-Amz-Signature=REDACTED');
    expect(checkpoint).toContain('X-Amz-Credential=REDACTED');
    expect(checkpoint).not.toContain(signatureOf(first));
    expect(checkpoint).not.toContain(encodeURIComponent(credentialOf(first)));
    run.child.kill('SIGKILL');
    expect((await run.exit).signal).toBe('SIGKILL');
    front.cutHeld();

    const again = await s3.sign('kill.bin', { expiresIn: 1800, origin: front.origin });
    expect(signatureOf(again)).not.toBe(signatureOf(first));
    const from = front.requests.length;
    const second = await runRdl([again, '-o', 'out.bin', '--json', ...SINGLE], dir());
    expect(second.code, second.stderr).toBe(0);
    expect(restarts(second.events)).toEqual([]);
    expect(second.events.find((e) => e.event === 'start')).toEqual({
      event: 'start',
      resumedFrom: 3 * MiB,
      total: size,
    });
    const gets = front.requests.slice(from).filter((r) => r.method === 'GET');
    const etag = (await fetch(again, { method: 'HEAD' })).headers.get('etag');
    expect(gets.map((r) => [r.range, r.ifRange, r.status])).toEqual([[`bytes=${3 * MiB}-`, etag, 206]]);
    expect(front.bytesSince(from)).toBe(size - 3 * MiB);
    expect(await sha256File(join(dir(), 'out.bin'))).toBe(sha256(body));
    expect(await listDir(dir())).toEqual(['out.bin']);
  });

  it('R18, R37: the signature revoked mid-download (403 after bytes): --refresh-command signs again and the download goes on from its bytes; nothing printed holds a signature', async () => {
    const size = 6 * MiB;
    const body = await s3.putRandom('refresh.bin', size);
    const first = await s3.sign('refresh.bin', { expiresIn: 900, origin: front.origin });
    const log = join(dir(), 'signed.log');
    const from = front.requests.length;
    const { run } = await runHeldAt(first, 2 * MiB, [
      '--refresh-command',
      refreshCommand('refresh.bin', log),
    ]);
    front.revoked.add(signatureOf(first));
    front.cutHeld();
    const exit = await run.exit;
    expect(exit.code, exit.stderr).toBe(0);
    expect(restarts(exit.events)).toEqual([]);
    expect(exit.events.at(-1)).toMatchObject({ event: 'done', bytes: size, sha256: sha256(body) });

    const fresh = await signedUrls(log);
    expect(fresh).toHaveLength(1);
    const served = front.requests.slice(from);
    expect(
      served.filter((r) => r.status === 403).map((r) => signatureOf(`${front.origin}${r.path}`)),
    ).toEqual([signatureOf(first)]);
    const renewed = served.filter((r) => r.method === 'GET' && r.path.includes(signatureOf(fresh[0]!)));
    expect(renewed.map((r) => r.range)).toEqual([`bytes=${2 * MiB}-`]);
    expect(front.bytesSince(from)).toBe(size);
    expect(await sha256File(join(dir(), 'out.bin'))).toBe(sha256(body));
    for (const secret of [signatureOf(first), signatureOf(fresh[0]!)]) {
      expect(exit.stdout).not.toContain(secret);
      expect(exit.stderr).not.toContain(secret);
    }
  });

  it('R18, R41, R42: on several connections, the signature revoked after 6 MiB over all of them: one --refresh-command, and the run goes on from the ranges it holds', async () => {
    const size = 24 * MiB;
    const body = await s3.putRandom('segments.bin', size);
    const first = await s3.sign('segments.bin', { expiresIn: 900, origin: front.origin });
    const log = join(dir(), 'signed.log');
    front.revokeAfter(signatureOf(first), 6 * MiB);
    const from = front.requests.length;
    const exit = await runRdl(
      [
        first,
        '-o',
        'out.bin',
        '--json',
        '-x',
        '4',
        '--min-split-size',
        '1M',
        '--refresh-command',
        refreshCommand('segments.bin', log),
      ],
      dir(),
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(restarts(exit.events)).toEqual([]);
    expect(await signedUrls(log)).toHaveLength(1);
    // Every start after the first (the retry after the cut, the run on the new URL) keeps the ranges held.
    const starts = exit.events.filter((e) => e.event === 'start').slice(1);
    expect(starts.length).toBeGreaterThan(0);
    for (const start of starts) expect(Number(start.resumedFrom)).toBeGreaterThan(0);
    const served = front.requests.slice(from);
    expect(served.some((r) => r.status === 403)).toBe(true);
    // After the refresh, only the new signature is used, and never for byte 0 again.
    const fresh = signatureOf((await signedUrls(log))[0]!);
    const after = served.slice(served.findIndex((r) => r.path.includes(fresh)));
    expect(after.every((r) => r.path.includes(fresh))).toBe(true);
    expect(
      after
        .filter((r) => r.method === 'GET')
        .every((r) => r.range !== undefined && !r.range.startsWith('bytes=0-')),
    ).toBe(true);
    expect(await sha256File(join(dir(), 'out.bin'))).toBe(sha256(body));
  });

  it("R18: a URL that expires at s3rver itself (X-Amz-Expires) mid-download: s3rver's 403 makes --refresh-command sign again, and the download goes on", async () => {
    const size = 4 * MiB;
    const body = await s3.putRandom('expires.bin', size);
    const log = join(dir(), 'signed.log');
    const first = await s3.sign('expires.bin', { expiresIn: 8, origin: front.origin });
    const from = front.requests.length;
    const { run } = await runHeldAt(first, 1 * MiB, [
      '--refresh-command',
      refreshCommand('expires.bin', log),
    ]);
    // Held at 1 MiB until s3rver itself refuses the URL: its own expiry, not the front's.
    const direct = first.replace(front.origin, s3.endpoint);
    while ((await fetch(direct, { headers: { range: 'bytes=0-0' } })).status !== 403) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    front.cutHeld();
    const exit = await run.exit;
    expect(exit.code, exit.stderr).toBe(0);
    expect(front.revoked.has(signatureOf(first))).toBe(false);
    const served = front.requests.slice(from);
    expect(served.some((r) => r.status === 403 && r.path.includes(signatureOf(first)))).toBe(true);
    expect(await signedUrls(log)).toHaveLength(1);
    expect(front.bytesSince(from)).toBe(size);
    expect(await sha256File(join(dir(), 'out.bin'))).toBe(sha256(body));
  });

  it('R18, R29, R37: a 403 after bytes with no --refresh-command is ERR_URL_EXPIRED, one line saying to run the same command with the URL signed again, signature redacted; doing so resumes', async () => {
    const size = 4 * MiB;
    const body = await s3.putRandom('expired.bin', size);
    const first = await s3.sign('expired.bin', { expiresIn: 900, origin: front.origin });
    const { run } = await runHeldAt(first, 1 * MiB);
    front.revoked.add(signatureOf(first));
    front.cutHeld();
    const exit = await run.exit;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(
      /^rdl: the signed URL expired \(HTTP 403 after bytes were saved\): run the same command with the URL signed again, and it resumes from those bytes \(or give --refresh-command\): http:\/\/127\.0\.0\.1:\d+\/rdl-test\/expired\.bin\?[^\n]*X-Amz-Signature=REDACTED[^\n]* \(ERR_URL_EXPIRED\)\n$/,
    );
    const error = exit.events.at(-1);
    expect(error).toMatchObject({ event: 'error', code: 'ERR_URL_EXPIRED' });
    expect(String(error?.message)).toContain('X-Amz-Credential=REDACTED');
    for (const output of [exit.stdout, exit.stderr]) {
      expect(output).not.toContain(signatureOf(first));
      expect(output).not.toContain(encodeURIComponent(credentialOf(first)));
    }
    expect(await listDir(dir())).toEqual(['out.bin.part', 'out.bin.rdl.json']);

    const again = await s3.sign('expired.bin', {
      expiresIn: 900,
      signedAt: new Date(Date.now() + 1000),
      origin: front.origin,
    });
    const from = front.requests.length;
    const second = await runRdl([again, '-o', 'out.bin', '--json', ...SINGLE], dir());
    expect(second.code, second.stderr).toBe(0);
    expect(second.events.find((e) => e.event === 'start')).toMatchObject({ resumedFrom: 1 * MiB });
    expect(front.bytesSince(from)).toBe(size - 1 * MiB);
    expect(await sha256File(join(dir(), 'out.bin'))).toBe(sha256(body));
  });

  it('R18, R29: a --refresh-command that fails, or prints no http(s) URL, is ERR_REFRESH_FAILED in one line; the bytes stay', async () => {
    await s3.putRandom('failing.bin', 3 * MiB);
    for (const [command, reason] of [
      ['echo signing service down >&2; exit 3', 'it exited with 3: signing service down'],
      ['echo file:///etc/passwd', 'its first line is not an http(s) URL'],
    ] as const) {
      const url = await s3.sign('failing.bin', { expiresIn: 900, origin: front.origin });
      const { run } = await runHeldAt(url, 1 * MiB, ['--refresh-command', command]);
      front.revoked.add(signatureOf(url));
      front.cutHeld();
      const exit = await run.exit;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toBe(`rdl: --refresh-command failed: ${reason} (ERR_REFRESH_FAILED)\n`);
      expect(exit.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_REFRESH_FAILED' });
      expect(await listDir(dir())).toEqual(['out.bin.part', 'out.bin.rdl.json']);
    }
  });

  it('R37: the text output names the URL with its signature and credential redacted', async () => {
    await s3.putRandom('text.bin', 64 * 1024);
    const url = await s3.sign('text.bin', { expiresIn: 900, origin: front.origin });
    const run = await runRdl([url, '-o', 'out.bin'], dir());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('X-Amz-Signature=REDACTED');
    expect(run.stderr).toContain('X-Amz-Expires=900');
    expect(run.stderr).not.toContain(signatureOf(url));
    expect(run.stderr).not.toContain(encodeURIComponent(credentialOf(url)));
  });
});

describe('a hostile gateway in front of s3rver that chooses the object by the query (?file=a, ?file=b)', () => {
  // One old Last-Modified for both objects: a strong date (R3) that would resume the same URL, and says nothing of
  // which object a query chose.
  const oneDate = { 'last-modified': 'Sun, 06 Nov 1994 08:49:37 GMT' };
  it.each([
    ['a weak ETag', (etag: string | undefined) => ({ etag: `W/${etag}`, ...oneDate })],
    ['no ETag', () => oneDate],
  ])(
    'R2, R4, R22: with %s, a run on ?file=b after one killed on ?file=a starts afresh (URL_CHANGED): never a byte of a in the file',
    async (_name, rewrite) => {
      const size = 4 * MiB;
      await s3.putRandom('a.bin', size);
      const b = await s3.putRandom('b.bin', size);
      front.route = (path) => path.replace(/^\/obj\?file=(\w+)/, `/${BUCKET}/$1.bin?`);
      front.headers = (headers) => {
        const { etag, ...rest } = headers;
        return { ...rest, ...rewrite(etag) };
      };
      try {
        const { run } = await runHeldAt(`${front.origin}/obj?file=a`, 1 * MiB);
        run.child.kill('SIGKILL');
        await run.exit;
        front.cutHeld();
        const from = front.requests.length;
        const second = await runRdl(
          [`${front.origin}/obj?file=b`, '-o', 'out.bin', '--json', ...SINGLE],
          dir(),
        );
        expect(second.code, second.stderr).toBe(0);
        expect(restarts(second.events)).toEqual([{ event: 'restart', reason: 'URL_CHANGED' }]);
        const gets = front.requests.slice(from).filter((r) => r.method === 'GET');
        expect(gets.map((r) => r.range)).toEqual([undefined]);
        expect(await sha256File(join(dir(), 'out.bin'))).toBe(sha256(b));
      } finally {
        front.route = null;
        front.headers = null;
      }
    },
  );
});
