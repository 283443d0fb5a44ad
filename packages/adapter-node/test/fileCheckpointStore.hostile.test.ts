import { constants } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expectLeft, expectRight } from '@rdl/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkpointPathOf, FileCheckpointStore } from '../src/FileCheckpointStore.js';
import { createOwnFile } from '../src/ownFile.js';
import {
  expectUnchanged,
  makeVictim,
  plantedFiles,
  plantSymlink,
  useHostileFolder,
  type Victim,
} from './support/plant.js';
import { listDir } from './support/tempDir.js';

const folder = useHostileFolder();
let victim: Victim;
beforeEach(async () => {
  victim = await makeVictim(join(folder.outside(), 'victim'));
});

const target = (): string => join(folder.dir(), 'x.bin');
const checkpoint = (): string => checkpointPathOf(target());

describe('FileCheckpointStore and checkpoints it must not read (R33)', () => {
  it.each(
    plantedFiles(
      checkpoint,
      () => victim,
      '{"version":1,',
      /2147483648 bytes, more than a checkpoint can be/,
    ),
  )('R33: %s is not read: load answers UnsafePath at once', async (_name, plant, why) => {
    await plant();
    const before = await lstat(checkpoint());
    const failure = await expectLeft(new FileCheckpointStore().load(target()), 'UnsafePath');
    expect(failure).toMatchObject({ path: checkpoint(), reason: expect.stringMatching(why) });
    expect((await lstat(checkpoint())).mtimeMs).toBe(before.mtimeMs);
    await expectUnchanged(victim);
  });

  it('R31, R33: a save replaces whatever is at the checkpoint name by a rename, never writing through it', async () => {
    await plantSymlink(checkpoint(), victim.path);
    await expectRight(new FileCheckpointStore().save(target(), '{"version":1}'));
    await expectUnchanged(victim);
    const saved = await lstat(checkpoint());
    expect(saved.isFile()).toBe(true);
    expect(saved.mode & 0o777).toBe(0o600);
    expect(await expectRight(new FileCheckpointStore().load(target()))).toBe('{"version":1}');
  });

  it('R31: a temp file is created with O_EXCL | O_NOFOLLOW: a link or a file at its name is never opened', async () => {
    const planted = join(folder.dir(), 'x.bin.rdl.json.0123456789abcdef.tmp');
    await plantSymlink(planted, victim.path);
    expect(await createOwnFile(planted, constants.O_WRONLY)).toBeNull();
    await plantSymlink(join(folder.dir(), 'dangling.tmp'), join(folder.dir(), 'would-be-created'));
    expect(await createOwnFile(join(folder.dir(), 'dangling.tmp'), constants.O_WRONLY)).toBeNull();
    await expectUnchanged(victim);
    expect(await listDir(folder.dir())).not.toContain('would-be-created');
  });

  it('R31: saves leave no temp file behind, and the checkpoint has mode 0600', async () => {
    const store = new FileCheckpointStore();
    for (let i = 0; i < 20; i += 1) await expectRight(store.save(target(), `{"n":${i}}`));
    expect(await listDir(folder.dir())).toEqual(['x.bin.rdl.json']);
    expect((await stat(checkpoint())).mode & 0o777).toBe(0o600);
  });
});
