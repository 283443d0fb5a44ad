import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { storageContract } from '@rdl/core/testing';
import { FsStorage } from '../src/FsStorage.js';
import { makeTempDir } from './support/tempDir.js';

storageContract('FsStorage', async () => {
  const { dir, cleanup } = await makeTempDir();
  return {
    storage: new FsStorage(),
    targetFor: (name) => join(dir, name),
    readTarget: async (target) => {
      try {
        return new Uint8Array(await readFile(target));
      } catch {
        return null;
      }
    },
    partExists: (target) =>
      access(`${target}.part`).then(
        () => true,
        () => false,
      ),
    cleanup,
  };
});
