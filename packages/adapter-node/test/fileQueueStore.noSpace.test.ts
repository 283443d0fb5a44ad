import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectRight } from '@rdl/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { FileQueueStore } from '../src/FileQueueStore.js';
import { listDir, useTempDir } from './support/tempDir.js';

/** While set, no new file fits on the disk: a compaction's temp file cannot be made (appends still can). */
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('../src/ownFile.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/ownFile.js')>();
  return {
    ...actual,
    createOwnFile: async (path: string, flags: number) => {
      if (disk.full && path.endsWith('.tmp'))
        throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });
      return actual.createOwnFile(path, flags);
    },
  };
});

const dir = useTempDir('rdl-queue-nospace-');
const journal = (): string => join(dir(), '.rdl-queue');
const lines = async (): Promise<number> =>
  (await readFile(journal(), 'utf8')).split('\n').filter((line) => line !== '').length;

describe('FileQueueStore on a full disk (R20, R45)', () => {
  it('R45: a compaction that cannot be made leaves the journal as it is, and the put, already durable, succeeds; the journal loads; compaction comes back with room', async () => {
    const store = new FileQueueStore(journal());
    disk.full = true;
    // 100 items saved 60 times: the journal passes the compaction's threshold, and every put still succeeds.
    for (let round = 0; round < 60; round++) {
      await expectRight(
        store.put(Array.from({ length: 100 }, (_, i) => ({ id: String(i), text: `v${round}` }))),
      );
    }
    expect(await lines()).toBe(6000);
    await store.close();
    const again = new FileQueueStore(journal());
    const items = await expectRight(again.load());
    expect(items).toHaveLength(100);
    expect(new Set(items.map((item) => item.text))).toEqual(new Set(['v59']));
    expect(await listDir(dir())).toEqual(['.rdl-queue']);

    disk.full = false;
    // A failed compaction is tried again once the journal has grown by as many lines as it may hold over.
    await expectRight(again.put([{ id: '0', text: 'later' }]));
    for (let round = 0; round < 42; round++) {
      await expectRight(
        again.put(Array.from({ length: 100 }, (_, i) => ({ id: String(i + 1), text: `w${round}` }))),
      );
    }
    expect(await lines()).toBeLessThan(4096);
    // Once one went through, compaction comes at its usual threshold again, not at the one a failure set.
    for (let round = 0; round < 60; round++) {
      await expectRight(
        again.put(Array.from({ length: 100 }, (_, i) => ({ id: String(i + 1), text: `x${round}` }))),
      );
      expect(await lines()).toBeLessThanOrEqual(2 * 101 + 4096 + 100);
    }
    await again.close();
    const last = await expectRight(new FileQueueStore(journal()).load());
    expect(last.find((item) => item.id === '0')?.text).toBe('later');
    expect(last.find((item) => item.id === '1')?.text).toBe('x59');
    expect(last).toHaveLength(101);
  });
});
