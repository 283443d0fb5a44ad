import { createReadStream } from 'node:fs';
import { readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectLeft, expectRight } from '@rdl/core/testing';
import { describe, expect, it } from 'vitest';
import type { ByteSink } from '../src/byteSink.js';
import { createDownload } from '../src/createDownload.js';
import { StreamStorage } from '../src/StreamStorage.js';
import { isStreamTarget } from '../src/targetKind.js';
import { generateBytes, sha256 } from './support/faultServer.js';
import { useFaultServer } from './support/faultServerFixture.js';
import { fails, runDownload } from './support/harness.js';
import { expectUnchanged, makeFifo, makeVictim } from './support/plant.js';
import { listDir, useTempDir } from './support/tempDir.js';

/** A sink that keeps what it is given, each write taking a turn of the event loop. */
const recordingSink = (): ByteSink & { readonly bytes: number[]; ended: boolean } => {
  const sink = {
    bytes: [] as number[],
    ended: false,
    write: async (bytes: Uint8Array) => {
      await new Promise((resolve) => setImmediate(resolve));
      sink.bytes.push(...bytes);
    },
    end: async () => {
      sink.ended = true;
    },
  };
  return sink;
};

describe('StreamStorage (R32)', () => {
  it('R32: writes land in order, even two in flight at once; the size is what went out', async () => {
    const sink = recordingSink();
    const file = await expectRight(new StreamStorage('sink', async () => sink).open('t'));
    const first = file.write(0, Uint8Array.of(1, 2))();
    const second = file.write(2, Uint8Array.of(3))();
    await Promise.all([first, second]);
    await expectRight(file.flush());
    expect(sink.bytes).toEqual([1, 2, 3]);
    expect(await expectRight(file.size())).toBe(3);
    await expectRight(file.commit());
    expect(sink.ended).toBe(true);
  });

  it('R32: what went out cannot be taken back: a write elsewhere than at the end, a truncate below it fail', async () => {
    const sink = recordingSink();
    const file = await expectRight(new StreamStorage('sink', async () => sink).open('t'));
    await expectRight(file.write(0, Uint8Array.of(1, 2, 3)));
    await expectRight(file.truncate(3));
    expect(await expectLeft(file.truncate(0), 'IoError')).toMatchObject({
      message: expect.stringMatching(/3 bytes already went to sink/),
    });
    await expectLeft(file.write(1, Uint8Array.of(9)), 'IoError');
    await expectLeft(file.write(4, Uint8Array.of(9)), 'IoError');
    await expectLeft(file.read(0, 1), 'IoError');
    expect(sink.bytes).toEqual([1, 2, 3]);
  });

  it('R32: a stream is opened once: after its end (a pause) it cannot be resumed; nothing is adopted or removed', async () => {
    let opened = 0;
    const storage = new StreamStorage('sink', async () => {
      opened += 1;
      return recordingSink();
    });
    const file = await expectRight(storage.open('t'));
    await expectRight(file.close());
    await expectLeft(storage.open('t'), 'IoError');
    expect(opened).toBe(1);
    expect(await expectRight(storage.targetSize('t'))).toBeNull();
    await expectRight(storage.remove('t'));
  });
});

describe('a download written as a stream (R32)', () => {
  const size = 3 * 1024 * 1024;
  const v1 = generateBytes(size, 61);
  const server = useFaultServer();
  const dir = useTempDir('rdl-stream-');
  server.serve('/file', v1);

  /** Every byte that comes out of the FIFO `path`, once a writer opens it. */
  const drain = (path: string): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      createReadStream(path)
        .on('data', (chunk) => chunks.push(chunk as Buffer))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
    });

  it('R32: a cut within the run resumes at the end of the stream (a Range request), and the bytes are right', async () => {
    const fifo = join(dir(), 'pipe');
    makeFifo(fifo);
    expect(isStreamTarget(fifo)).toBe(true);
    server.fail({ kind: 'cut', at: 1_000_000 }, { method: 'GET' });
    const [bytes, outcome] = await Promise.all([
      drain(fifo),
      runDownload({ url: server.url('/file'), target: fifo, computeSha256: true }),
    ]);
    expect(outcome.error).toBeNull();
    expect(sha256(bytes)).toBe(sha256(v1));
    // The hash followed the stream across the cut: nothing had to be read back.
    expect(outcome.result?.sha256).toBe(sha256(v1));
    const starts = server.dataRangeStarts();
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThan(0);
    expect(await listDir(dir())).toEqual(['pipe']);
  });

  it.each([
    ['a link to a victim file', 'victim'],
    ['a link to a FIFO nobody reads', 'fifo'],
  ])(
    'R31, R32: a link to a regular file swapped for %s after it was looked at: refused at once, the victim never emptied',
    async (_name, kind) => {
      const real = join(dir(), 'real');
      await writeFile(real, 'old bytes');
      const link = join(dir(), 'latest');
      await symlink(real, link);
      const download = createDownload({ url: server.url('/file'), target: link });
      const victim = await makeVictim(join(dir(), 'victim'));
      if (kind === 'fifo') makeFifo(join(dir(), 'fifo'));
      await unlink(link);
      await symlink(join(dir(), kind), link);
      download.start();
      await expect(download.result).rejects.toMatchObject({
        code: 'ERR_UNSAFE_PATH',
        message: expect.stringContaining('it was replaced after it was looked at'),
      });
      await expectUnchanged(victim);
      expect(await readFile(real, 'utf8')).toBe('old bytes');
    },
  );

  it('R11, R32: a file that changed after bytes went out fails typed; the stream holds a prefix of one version', async () => {
    const fifo = join(dir(), 'pipe');
    makeFifo(fifo);
    server.fail(
      { kind: 'cut', at: 1_000_000 },
      { method: 'GET', after: () => server.replace('/file', generateBytes(size, 62)) },
    );
    const [bytes, { error }] = await Promise.all([
      drain(fifo),
      fails({ url: server.url('/file'), target: fifo }),
    ]);
    expect(error.code).toBe('ERR_IO');
    expect(error.message).toMatch(/already went to .*pipe, a stream: it cannot go back to byte 0/);
    expect(bytes.length).toBeGreaterThan(0);
    expect(sha256(bytes)).toBe(sha256(v1.subarray(0, bytes.length)));
    server.replace('/file', v1);
  });
});
