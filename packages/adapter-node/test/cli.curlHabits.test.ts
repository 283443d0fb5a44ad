import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/cliInProcess.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256 } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

/** The command typed as curl users type a resumable download: `curl -sSLfO -C - URL`. */

const body = generateBytes(300_000, 43);
const server = useFaultServer();
const dir = useTempDir('rdl-cli-curl-habits-');

describe("rdl with curl's habits", () => {
  it('R17: -sSLfO -C - through a redirect: the file named from the URL, nothing printed, exit 0', async () => {
    server.serve('/files/real.bin', body);
    server.redirect('/get/iso.bin', 302, '/files/real.bin');
    const run = await runCliInProcess(['-sSLfO', '-C', '-', server.url('/get/iso.bin')], dir());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('');
    expect(await listDir(dir())).toEqual(['iso.bin']);
    expect(await fileSha256(`${dir()}/iso.bin`)).toBe(sha256(body));
  });

  it('-sS still prints the one error line, with its code, exit 1 (as curl -sS prints its error)', async () => {
    const run = await runCliInProcess(
      ['-sSLf', server.url('/missing.bin'), '-o', 'x.bin', '--retries', '0'],
      dir(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^rdl: [^\n]*404[^\n]* \(ERR_HTTP_STATUS\)\n$/);
    expect(await listDir(dir())).toEqual([]);
  });
});
