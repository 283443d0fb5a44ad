import { encodeCheckpoint } from '@rdl/core/rules';
import { describe, expect, it } from 'vitest';
import { IdbCheckpointStore } from '../../src/IdbCheckpointStore.js';
import { savedDownload } from '../../src/savedDownload.js';
import { removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

const checkpointOf = (end: number, total: number | null) =>
  encodeCheckpoint({
    version: 1,
    url: 'https://files.example/a.bin',
    validators: { etag: '"v1"', lastModified: null, date: null },
    totalLength: total,
    ranges: end === 0 ? [] : [[0, end]],
  });

const writePart = async (folder: string, name: string, size: number): Promise<void> => {
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder, { create: true });
  const writable = await (await dir.getFileHandle(`${name}.part`, { create: true })).createWritable();
  await writable.write(new Uint8Array(size));
  await writable.close();
};

describe('savedDownload: what a reload finds in OPFS', () => {
  it('R21: the bytes the checkpoint counts that the part file holds, and the total; null when nothing is saved', async () => {
    const folder = uniqueFolder('saved');
    const databaseName = uniqueFolder('rdl-saved');
    const store = new IdbCheckpointStore({ databaseName });
    const target = `${folder}/a.bin`;
    expect(await savedDownload(target, { databaseName })).toBeNull();
    await store.save(target, checkpointOf(3000, 10_000))();
    // A checkpoint without its part file saves nothing: a start begins at 0 (R21).
    expect(await savedDownload(target, { databaseName })).toBeNull();
    await writePart(folder, 'a.bin', 5000);
    expect(await savedDownload(target, { databaseName })).toEqual({ bytes: 3000, total: 10_000 });
    // A part file shorter than the checkpoint says: only what it really holds counts (R21).
    await store.save(target, checkpointOf(8000, null))();
    expect(await savedDownload(target, { databaseName })).toEqual({ bytes: 5000, total: null });
    await store.save(target, 'not a checkpoint')();
    expect(await savedDownload(target, { databaseName })).toBeNull();
    await removeOpfsEntry(folder);
  });
});
