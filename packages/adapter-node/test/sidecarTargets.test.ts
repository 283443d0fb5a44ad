import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDownloadError } from '@rdl/core';
import { describe, expect, it } from 'vitest';
import { createDownload } from '../src/createDownload.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fileSha256, runDownload } from './support/harness.js';
import { listDir, useTempDir } from './support/tempDir.js';

/** A target named as another download's sidecar would be removed, or taken for its checkpoint or lock (R19, R23). */

const body = generateBytes(50_000, 61);
const server = useFaultServer();
const dir = useTempDir('rdl-sidecar-targets-');

describe('targets named as the sidecars of another download (R19, R23, R30)', () => {
  it.each(['x.rdl.json', 'x.rdl.json.0123456789abcdef.tmp', 'x.lock.0123456789abcdef.tmp'])(
    'R30: %s is refused before any request, nothing made',
    async (name) => {
      server.serve('/f', body);
      const { error } = await runDownload({ url: server.url('/f'), target: join(dir(), name) });
      expect(error?.code).toBe('ERR_INVALID_INPUT');
      expect(error?.message).toContain('is the name of a checkpoint (or a temp file) of another download');
      expect(server.requests).toEqual([]);
      expect(await listDir(dir())).toEqual([]);
    },
  );

  it('R23: x.lock is refused while a download of x is in the folder (its part file there), not otherwise', async () => {
    server.serve('/f', body);
    await writeFile(join(dir(), 'x.part'), 'bytes of x');
    const { error } = await runDownload({ url: server.url('/f'), target: join(dir(), 'x.lock') });
    expect(error?.code).toBe('ERR_INVALID_INPUT');
    expect(error?.message).toContain('is the lock of the download of "x" in its folder');
    expect(server.requests).toEqual([]);
    // yarn.lock has no download beside it: a file like any other.
    const plain = await runDownload({ url: server.url('/f'), target: join(dir(), 'yarn.lock') });
    expect(plain.error).toBeNull();
    expect(await fileSha256(join(dir(), 'yarn.lock'))).toBe(sha256(body));
  });

  it('R30: options that are no object, or a target that is no string, give ERR_INVALID_INPUT, never a throw', async () => {
    server.serve('/f', body);
    for (const options of [
      null,
      undefined,
      { url: server.url('/f'), target: 5 },
      { url: server.url('/f'), target: {} },
    ]) {
      const download = createDownload(options as never);
      const error = await download.result.catch((e: unknown) => e);
      expect(isDownloadError(error) && error.code).toBe('ERR_INVALID_INPUT');
    }
    expect(server.requests).toEqual([]);
  });
});
