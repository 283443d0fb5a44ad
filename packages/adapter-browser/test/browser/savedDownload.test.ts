import { isDownloadError } from '@rdl/core';
import { encodeCheckpoint } from '@rdl/core/rules';
import { describe, expect, it } from 'vitest';
import { getDownloadedFile, removeDownloadedFile } from '../../src/downloadedFile.js';
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

const codeOf = (settled: Promise<unknown>): Promise<string | null> =>
  settled.then(
    () => null,
    (error: unknown) => (isDownloadError(error) ? error.code : String(error)),
  );

describe('getDownloadedFile and removeDownloadedFile: finished files only', () => {
  it("R19, R30: a paused download's <target>.part is refused (ERR_INVALID_INPUT) and kept, a folder is refused (ERR_UNSAFE_PATH) and kept", async () => {
    const folder = uniqueFolder('finished-only');
    const databaseName = uniqueFolder('rdl-finished-only');
    const target = `${folder}/a.bin`;
    await new IdbCheckpointStore({ databaseName }).save(target, checkpointOf(3000, 10_000))();
    await writePart(folder, 'a.bin', 5000);
    expect(await codeOf(getDownloadedFile(`${target}.part`))).toBe('ERR_INVALID_INPUT');
    expect(await codeOf(removeDownloadedFile(`${target}.part`))).toBe('ERR_INVALID_INPUT');
    expect(await codeOf(removeDownloadedFile(`${folder}/s\uD800x.bin`))).toBe('ERR_INVALID_INPUT');
    // What a start goes on from is all there still (R21).
    expect(await savedDownload(target, { databaseName })).toEqual({ bytes: 3000, total: 10_000 });
    const root = await navigator.storage.getDirectory();
    await (await root.getDirectoryHandle(folder)).getDirectoryHandle('empty', { create: true });
    expect(await codeOf(removeDownloadedFile(`${folder}/empty`))).toBe('ERR_UNSAFE_PATH');
    expect(await codeOf(getDownloadedFile(`${folder}/empty`))).toBe('ERR_UNSAFE_PATH');
    await expect((await root.getDirectoryHandle(folder)).getDirectoryHandle('empty')).resolves.toBeDefined();
    // A finished file that is not there, or whose folder is not, is no error to remove.
    expect(await codeOf(removeDownloadedFile(`${folder}/missing.bin`))).toBeNull();
    expect(await codeOf(removeDownloadedFile(`${folder}-none/missing.bin`))).toBeNull();
    await removeOpfsEntry(folder);
  });
});
