import { describe, expect, it } from 'vitest';
import { moveFile } from '../../src/moveFile.js';
import { readOpfsFile, removeOpfsEntry, uniqueFolder } from './opfsFiles.js';

const write = async (directory: FileSystemDirectoryHandle, name: string, text: string) => {
  const writable = await (await directory.getFileHandle(name, { create: true })).createWritable();
  await writable.write(text);
  await writable.close();
};

const exists = async (directory: FileSystemDirectoryHandle, name: string) =>
  directory.getFileHandle(name).then(
    () => true,
    () => false,
  );

describe('moveFile, the commit of a part file', () => {
  it.each([
    ['FileSystemHandle.move()', false],
    ['the copy through createWritable() where move() is missing', true],
  ])(
    'R19: with %s the final name gets the whole file, replacing the old one, and the part is gone',
    async (_how, hideMove) => {
      const folder = uniqueFolder('move');
      const directory = await (await navigator.storage.getDirectory()).getDirectoryHandle(folder, {
        create: true,
      });
      await write(directory, 'a.bin', 'old version, longer than the new one');
      await write(directory, 'a.bin.part', 'new');
      const prototype = FileSystemFileHandle.prototype as { move?: unknown };
      const move = prototype.move;
      if (hideMove) delete prototype.move;
      try {
        expect('move' in (await directory.getFileHandle('a.bin.part'))).toBe(!hideMove);
        await moveFile(directory, 'a.bin.part', 'a.bin');
      } finally {
        if (hideMove) prototype.move = move;
      }
      expect(new TextDecoder().decode((await readOpfsFile(`${folder}/a.bin`)) ?? undefined)).toBe('new');
      expect(await exists(directory, 'a.bin.part')).toBe(false);
      await removeOpfsEntry(folder);
    },
  );
});
