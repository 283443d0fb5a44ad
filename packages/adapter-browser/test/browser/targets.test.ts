import { isDownloadError } from '@rdl/core';
import { describe, expect, inject, it } from 'vitest';
import './provided.js';
import type { LoggedRequest } from '../../demo/requestLog.js';
import { createDownload } from '../../src/index.js';
import { removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

/** R30: a target OPFS cannot hold as a file fails before any request, typed, and makes no folder. */

const files = inject('filesOrigin');
const control = (body: object) => fetch(`${files}/_control`, { method: 'POST', body: JSON.stringify(body) });
const requests = async (): Promise<LoggedRequest[]> =>
  (await (await fetch(`${files}/_requests`)).json()) as LoggedRequest[];

const failure = async (target: string) => {
  const download = createDownload({ url: `${files}/files/small.bin`, target });
  download.start();
  const error = await download.result.then(
    () => null,
    (e: unknown) => e,
  );
  return isDownloadError(error) ? { code: error.code, message: error.message } : { code: null, message: '' };
};

const entries = async (): Promise<string[]> => {
  const names: string[] = [];
  // @ts-expect-error: `keys()` of a directory handle is missing from this TypeScript's DOM types.
  for await (const name of (await navigator.storage.getDirectory()).keys()) names.push(name as string);
  return names;
};

describe('OPFS targets that cannot be a file (R30)', () => {
  it('R30: a target that is an existing folder is ERR_UNSAFE_PATH before any request, the folder left as it was', async () => {
    await control({ reset: true });
    const folder = uniqueFolder('is-a-folder');
    const root = await navigator.storage.getDirectory();
    await (await root.getDirectoryHandle(folder, { create: true })).getFileHandle('keep.txt', {
      create: true,
    });
    const { code, message } = await failure(folder);
    expect(code).toBe('ERR_UNSAFE_PATH');
    expect(message).toContain('is a folder, not a file');
    expect(await requests()).toEqual([]);
    await expect((await root.getDirectoryHandle(folder)).getFileHandle('keep.txt')).resolves.toBeDefined();
    await removeOpfsEntry(folder);
  });

  it('R30: a target under a file used as a folder is ERR_UNSAFE_PATH before any request', async () => {
    await control({ reset: true });
    const file = uniqueFolder('a-file');
    const root = await navigator.storage.getDirectory();
    await root.getFileHandle(file, { create: true });
    const { code, message } = await failure(`${file}/x.bin`);
    expect(code).toBe('ERR_UNSAFE_PATH');
    expect(message).toContain('is a file, not a folder');
    expect(await requests()).toEqual([]);
    await removeOpfsEntry(file);
  });

  it("R30: a target whose part file's name is a folder (made by a target <name>.part/x) is ERR_UNSAFE_PATH before any request, the folder kept", async () => {
    await control({ reset: true });
    const folder = uniqueFolder('part-folder');
    const root = await navigator.storage.getDirectory();
    const parent = await root.getDirectoryHandle(folder, { create: true });
    await (await parent.getDirectoryHandle('a.part', { create: true })).getFileHandle('x', { create: true });
    const { code, message } = await failure(`${folder}/a`);
    expect(code).toBe('ERR_UNSAFE_PATH');
    expect(message).toContain('a.part is a folder, not a part file');
    expect(await requests()).toEqual([]);
    await expect((await parent.getDirectoryHandle('a.part')).getFileHandle('x')).resolves.toBeDefined();
    await removeOpfsEntry(folder);
  });

  it('R30: a backslash in a name is ERR_INVALID_INPUT before any request, and no folder is made', async () => {
    await control({ reset: true });
    const folder = uniqueFolder('backslash');
    expect((await failure(`${folder}/inner\\x.bin`)).code).toBe('ERR_INVALID_INPUT');
    expect((await failure('bs\\x.bin')).code).toBe('ERR_INVALID_INPUT');
    expect(await requests()).toEqual([]);
    expect(await entries()).not.toContain(folder);
  });

  it('R30, R23: targets that differ in an unpaired surrogate alone (one OPFS file, two locks and checkpoints) are ERR_INVALID_INPUT, nothing made', async () => {
    await control({ reset: true });
    const folder = uniqueFolder('surrogate');
    for (const target of [`${folder}/s\uD800x.bin`, `${folder}/s\uDBFFx.bin`, `${folder}\uDC00/x.bin`]) {
      const { code, message } = await failure(target);
      expect(code).toBe('ERR_INVALID_INPUT');
      expect(message).toContain('unpaired surrogate');
    }
    expect(await requests()).toEqual([]);
    expect((await entries()).filter((name) => name.startsWith(folder))).toEqual([]);
  });
});
