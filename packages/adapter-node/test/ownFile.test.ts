import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lstatOrNull } from '../src/ownFile.js';
import { useTempDir } from './support/tempDir.js';

const dir = useTempDir();

describe('lstatOrNull: what is at a name, never followed (R31)', () => {
  it('R31: a missing name, or one under a file, is null; a file is its own stats', async () => {
    const file = join(dir(), 'file.bin');
    expect(await lstatOrNull(file)).toBeNull();
    await writeFile(file, 'abc');
    const info = await lstatOrNull(file);
    expect(info?.isFile()).toBe(true);
    expect(info?.size).toBe(3);
    expect(await lstatOrNull(join(file, 'below'))).toBeNull();
  });

  it('R31: a symbolic link is the link, not what it names, even one that names nothing', async () => {
    const link = join(dir(), 'link');
    await symlink(join(dir(), 'nowhere'), link);
    expect((await lstatOrNull(link))?.isSymbolicLink()).toBe(true);
  });

  it('R29: any other failure rejects with the file system error (a loop of links on the way: ELOOP)', async () => {
    const loop = join(dir(), 'loop');
    await symlink(loop, loop);
    await expect(lstatOrNull(join(loop, 'x'))).rejects.toMatchObject({ code: 'ELOOP' });
  });
});
