import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { DownloadSession, digestsOf } from '../../src/machine/actors/session.js';
import { MemoryHasher } from '../../src/memory/MemoryHasher.js';
import { MemoryStorage } from '../../src/memory/MemoryStorage.js';
import { expectRight } from '../../src/testing/taskEitherAssertions.js';
import { recordingReads } from '../support/recordingReads.js';

describe('DownloadSession read-back', () => {
  it('R27: a read-back of 3 MiB reads into one buffer, reused from read to read, and hashes every byte once', async () => {
    const content = Uint8Array.from({ length: 3 * 1024 * 1024 + 77 }, (_, i) => (i * 31 + 7) % 251);
    const part = await expectRight(new MemoryStorage().open('file.bin'));
    await expectRight(part.write(0, content));
    const buffers: (Uint8Array | undefined)[] = [];
    const recording = recordingReads(part, buffers);
    const session = new DownloadSession(new MemoryHasher());
    const hash = session.hashFrom(0, ['sha256']);
    if (hash === null) throw new Error('a hash was asked for');
    expect(await session.catchUp(recording, hash, content.length)).toBeNull();
    expect(digestsOf(hash).sha256).toBe(bytesToHex(sha256(content)));
    expect(buffers).toHaveLength(4);
    expect(buffers.every((buffer) => buffer !== undefined && buffer === buffers[0])).toBe(true);
  });
});
