import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { RawServer } from './support/rawServer.js';
import { listDir, useTempDir } from './support/tempDir.js';
import { failingSaves, heldSaves } from './support/wrappedPorts.js';

/**
 * `-m, --max-time`, as curl's: the run stops once it has taken so long. rdl's own `--limit-rate` keeps each file from
 * ending within it (1 MB at 100 KiB/s takes 10 s), whatever the machine's speed.
 */

const body = generateBytes(1_000_000, 51);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-max-time-');

let silent: RawServer | null = null;
afterEach(async () => {
  await silent?.close();
  silent = null;
});

const startOf = (events: readonly { event: string }[]) =>
  events.find((e) => e.event === 'start') as { resumedFrom: number } | undefined;

describe('rdl --max-time', () => {
  it('R24: -m stops the download as Ctrl-C does, exit 28 and ERR_MAX_TIME; the same command without it goes on from the bytes', async () => {
    server.serve('/slow.bin', body);
    const url = server.url('/slow.bin');
    const cut = await runCliInProcess([url, '-m', '0.5', '--limit-rate', '100K', '--json'], dir());
    expect(cut.code).toBe(28);
    expect(cut.stderr).toContain(
      'rdl: stopped by --max-time 0.5 s; every byte is kept for the same command to go on from (ERR_MAX_TIME)\n',
    );
    expect(cut.stderr).toMatch(/rdl: paused at .*To resume, run the same command again:\n {2}rdl .*-m 0\.5/s);
    expect(cut.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_MAX_TIME' });
    expect(await listDir(dir())).toEqual(['slow.bin.part', 'slow.bin.rdl.json']);

    const rest = await runCliInProcess([url, '--json'], dir());
    expect(rest.code, rest.stderr).toBe(0);
    expect(startOf(rest.events)?.resumedFrom).toBeGreaterThan(0);
    expect(await listDir(dir())).toEqual(['slow.bin']);
    expect(await fileSha256(`${dir()}/slow.bin`)).toBe(sha256(body));
  });

  it("R37: a file named clip;sig=1.mp4 is named so on every line and in the hint; the URL's signature is redacted", async () => {
    server.serve('/clip.mp4', body);
    const url = `${server.url('/clip.mp4')}?sig=SECRET`;
    const cut = await runCliInProcess(
      [url, '-m', '0.5', '--limit-rate', '100K', '-o', 'clip;sig=1.mp4'],
      dir(),
    );
    expect(cut.code).toBe(28);
    expect(cut.stderr).not.toContain('SECRET');
    expect(cut.stderr).toContain(`to ${dir()}/clip;sig=1.mp4 (`);
    expect(cut.stderr).toContain(
      `  rdl '${server.url('/clip.mp4')}?sig=REDACTED' -m 0.5 --limit-rate 100K -o 'clip;sig=1.mp4'  # the signature was left out of the URL`,
    );
    expect(await listDir(dir())).toEqual(['clip;sig=1.mp4.part', 'clip;sig=1.mp4.rdl.json']);
  });

  it('R37: the hint after -m shows --refresh-command as … and says to put it back, never the password in it', async () => {
    server.serve('/signed.bin', body);
    const command = "curl -s 'https://bob:hunter2@signer.example/sign?X-Amz-Signature=abc'";
    const cut = await runCliInProcess(
      [server.url('/signed.bin'), '-m', '0.5', '--limit-rate', '100K', '--refresh-command', command],
      dir(),
    );
    expect(cut.code).toBe(28);
    expect(cut.stderr).not.toContain('hunter2');
    expect(cut.stderr).toContain(
      `  rdl ${server.url('/signed.bin')} -m 0.5 --limit-rate 100K --refresh-command '…'  # the secrets were left out (…): put them back\n`,
    );
  });

  it('a download that ends within --max-time exits 0 as usual', async () => {
    server.serve('/quick.bin', body);
    const run = await runCliInProcess([server.url('/quick.bin'), '-m', '60', '-q'], dir());
    expect(run.code, run.stderr).toBe(0);
    expect(await fileSha256(`${dir()}/quick.bin`)).toBe(sha256(body));
  });

  it('R45: -m stops a list with every checkpoint saved, exit 28; the same list without it finishes every file', async () => {
    const files = ['a.bin', 'b.bin', 'c.bin'];
    for (const name of files) server.serve(`/list/${name}`, body);
    const urls = files.map((name) => server.url(`/list/${name}`));
    const cut = await runCliInProcess([...urls, '-m', '0.5', '--limit-rate', '100K', '-q'], dir());
    expect(cut.code).toBe(28);
    expect(cut.stderr).toMatch(/^rdl: stopped by --max-time 0\.5 s; .* \(ERR_MAX_TIME\)\n/);
    expect(cut.stderr).toContain(
      'rdl: paused; every checkpoint is saved. To resume, run the same command again:',
    );
    const rest = await runCliInProcess([...urls, '-q'], dir());
    expect(rest.code, rest.stderr).toBe(0);
    expect((await listDir(dir())).filter((name) => !name.startsWith('.'))).toEqual(files);
    for (const name of files) expect(await fileSha256(`${dir()}/${name}`)).toBe(sha256(body));
  });

  it('R29: a list stopped by -m (or a signal) still prints, before its paused lines, each download that had failed', async () => {
    server.serve('/list/a.bin', body);
    const urls = [server.url('/list/missing.bin'), server.url('/list/a.bin')];
    for (const json of [false, true]) {
      const cut = await runCliInProcess(
        [...urls, '-m', '0.5', '--limit-rate', '100K', '-q', ...(json ? ['--json'] : [])],
        dir(),
      );
      expect(cut.code).toBe(28);
      expect(cut.stderr).toMatch(
        /\nrdl: [^\n]*missing\.bin: [^\n]*\(ERR_HTTP_STATUS\)\nrdl: paused; the checkpoint of every file that did not fail is saved\./,
      );
    }
  });

  it('R24, R29: a pause (-m) whose checkpoint save fails is no pause: the download fails with the save\'s error, exit 1, never "the checkpoint is saved"', async () => {
    server.serve('/slow.bin', body);
    // Saves are due every second: the pause's, at 0.5 s, is the first.
    const cut = await runCliInProcess([server.url('/slow.bin'), '-m', '0.5', '--limit-rate', '100K'], dir(), {
      checkpoints: failingSaves(),
    });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/\nrdl: [^\n]*EIO[^\n]*\(ERR_IO\)\n$/);
    expect(cut.stderr).not.toContain('checkpoint is saved');
    expect(cut.stderr).not.toContain('paused');
  });

  it('R24, R29: a pause (-m) whose checkpoint save outlasts the grace ends the run without saying "the checkpoint is saved"; the same command goes on', async () => {
    server.serve('/slow.bin', body);
    const url = server.url('/slow.bin');
    const held = heldSaves();
    const cut = await runCliInProcess(
      [url, '-m', '0.5', '--limit-rate', '100K'],
      dir(),
      { checkpoints: held.checkpoints },
      { pauseGraceMs: 200 },
    );
    expect(cut.code).toBe(28);
    expect(cut.stderr).toMatch(
      /\nrdl: stopped at [^\n]* before the pause ended; the download goes on from its last saved checkpoint\. To resume, run the same command again:\n {2}rdl /,
    );
    expect(cut.stderr).not.toContain('checkpoint is saved');
    // The held save lets the paused download settle; the same command then ends the file exactly.
    held.release();
    // Until the released pause has ended and let go of the target, the next run finds it busy.
    let rest = await runCliInProcess([url], dir());
    for (let tries = 0; rest.stderr.includes('ERR_TARGET_BUSY') && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rest = await runCliInProcess([url], dir());
    }
    expect(rest.code).toBe(0);
    expect(await fileSha256(`${dir()}/slow.bin`)).toBe(sha256(body));
  });

  it('R24, R29: a list whose pause (-m) outlasts the grace says so before it ends, never "every checkpoint is saved"', async () => {
    const files = ['a.bin', 'b.bin'];
    for (const name of files) server.serve(`/held/${name}`, body);
    const urls = files.map((name) => server.url(`/held/${name}`));
    const held = heldSaves();
    let exited: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => {
      exited = resolve;
    });
    const stderr: string[] = [];
    const run = runCliInProcess(
      [...urls, '-m', '0.5', '--limit-rate', '100K', '-q'],
      dir(),
      {
        checkpoints: held.checkpoints,
      },
      {
        pauseGraceMs: 200,
        // The process would end here; the test reads what was said by then and lets the run settle.
        exit: ((code: number) => {
          exited(code);
        }) as (code: number) => never,
      },
    );
    expect(await exitCode).toBe(28);
    held.release();
    const settled = await run;
    stderr.push(settled.stderr);
    expect(stderr.join('')).toContain(
      'rdl: stopped before every download had paused; each file goes on from its last saved checkpoint. To resume, run the same command again:\n',
    );
    expect(stderr.join('').split('stopped before every download')[0]).not.toContain(
      'every checkpoint is saved',
    );
  });

  it('R24, R29: a list paused by -m names each file whose checkpoint save failed, and never says every checkpoint is saved', async () => {
    const files = ['a.bin', 'b.bin'];
    for (const name of files) server.serve(`/list/${name}`, body);
    const urls = files.map((name) => server.url(`/list/${name}`));
    const cut = await runCliInProcess([...urls, '-m', '0.5', '--limit-rate', '100K', '-q'], dir(), {
      checkpoints: failingSaves(),
    });
    expect(cut.code).toBe(28);
    for (const name of files)
      expect(cut.stderr).toMatch(new RegExp(`\nrdl: [^\n]*${name}: [^\n]*\\(ERR_IO\\)\n`));
    expect(cut.stderr).not.toContain('every checkpoint is saved');
  });

  it('-m bounds the name probe of -J too: a server that never answers it ends the run at the limit, exit 28', async () => {
    silent = await RawServer.start(() => undefined);
    const run = await runCliInProcess([silent.url('/f.bin'), '-J', '-m', '0.5'], dir());
    expect(run.code).toBe(28);
    expect(run.stderr).toContain('(ERR_MAX_TIME)');
    // Not the stall timeout (30 s, exit 1) that would end the probe otherwise.
    expect(run.stderr).not.toContain('ERR_STALLED');
    expect(await listDir(dir())).toEqual([]);
  });

  it('R19, R24: -m before the probe answered leaves no empty part file, and says there is nothing to resume from', async () => {
    silent = await RawServer.start(() => undefined);
    const run = await runCliInProcess([silent.url('/f.bin'), '-m', '0.5'], dir());
    expect(run.code).toBe(28);
    expect(run.stderr).toContain(
      'rdl: paused before any byte arrived. To start it, run the same command again:',
    );
    expect(run.stderr).not.toContain('checkpoint is saved');
    expect(await listDir(dir())).toEqual([]);
  });

  it.each(['0', '-1', 'soon', '1e3'])('R30: -m %s is refused before any request, exit 2', async (bad) => {
    server.serve('/never.bin', body);
    const run = await runCliInProcess([server.url('/never.bin'), '-m', bad], dir());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--max-time.*\(ERR_INVALID_INPUT\)\n$/);
    expect(server.requests).toEqual([]);
  });
});
