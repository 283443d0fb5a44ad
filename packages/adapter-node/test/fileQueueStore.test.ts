import { appendFile, lstat, readFile, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectLeft, expectRight, queueStoreContract } from '@rdl/core/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FileQueueStore, maxWriteBytes } from '../src/FileQueueStore.js';
import { expectUnchanged, makeVictim, plantedFiles, useHostileFolder, type Victim } from './support/plant.js';
import { listDir, makeTempDir } from './support/tempDir.js';

queueStoreContract('FileQueueStore', async () => {
  const { dir, cleanup } = await makeTempDir();
  const path = join(dir, '.rdl-queue');
  const opened: FileQueueStore[] = [];
  const open = () => {
    const store = new FileQueueStore(path);
    opened.push(store);
    return store;
  };
  const store = open();
  await expectRight(store.load());
  return {
    store,
    reopen: async () => open(),
    // A hand edit that breaks the JSON of the id's lines (their last two characters gone).
    damage: async (id) => {
      const lines = (await readFile(path, 'utf8')).split('\n');
      const prefix = JSON.stringify({ i: id }).slice(0, -1);
      await writeFile(
        path,
        lines.map((line) => (line.startsWith(prefix) ? line.slice(0, -2) : line)).join('\n'),
      );
    },
    cleanup: async () => {
      for (const each of opened) await each.close();
      await cleanup();
    },
  };
});

const folder = useHostileFolder();
let victim: Victim;
beforeEach(async () => {
  victim = await makeVictim(join(folder.outside(), 'victim'));
});
const journal = (): string => join(folder.dir(), '.rdl-queue');

describe('FileQueueStore on a hostile folder (R31, R33) and after kills (R20, R45)', () => {
  it.each(plantedFiles(journal, () => victim, '{"i":"a",', /more than a queue can be/))(
    'R33: %s at the journal name is UnsafePath, and nothing is written through it',
    async (_name, plant, why) => {
      await plant();
      const store = new FileQueueStore(journal());
      const failure = await expectLeft(store.load(), 'UnsafePath');
      expect(failure).toMatchObject({ reason: expect.stringMatching(why) });
      await expectLeft(store.put([{ id: 'a', text: 'x' }]), 'UnsafePath');
      await expectUnchanged(victim);
    },
  );

  it('R31: the journal is created with mode 0600', async () => {
    const store = new FileQueueStore(journal());
    await expectRight(store.put([{ id: 'a', text: 'x' }]));
    await store.close();
    const info = await lstat(journal());
    expect(info.isFile()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('R20: a torn last line (a kill mid-append) is dropped: that item keeps its text from before, and later appends are whole', async () => {
    const first = new FileQueueStore(journal());
    await expectRight(
      first.put([
        { id: 'a', text: 'one' },
        { id: 'b', text: 'two' },
      ]),
    );
    await first.close();
    await appendFile(journal(), '{"i":"a","t":"torn te');
    const second = new FileQueueStore(journal());
    expect(await expectRight(second.load())).toEqual(
      expect.arrayContaining([
        { id: 'a', text: 'one' },
        { id: 'b', text: 'two' },
      ]),
    );
    await expectRight(second.put([{ id: 'c', text: 'three' }]));
    await second.close();
    const third = new FileQueueStore(journal());
    expect((await expectRight(third.load())).map((item) => item.id).sort()).toEqual(['a', 'b', 'c']);
    await third.close();
    expect(await readFile(journal(), 'utf8')).not.toContain('torn');
  });

  it('R22, R45: each whole line that is no entry (garbage, wrong types) is loaded as an item no record decodes from, for the queue to report; removing it rewrites the journal without it', async () => {
    await writeFile(
      journal(),
      'garbage\n{"i":1,"t":"x"}\nnull\n[]\n{"i":"ok","t":"fine"}\n{"i":"ok2","t":5}\n',
      { mode: 0o600 },
    );
    const store = new FileQueueStore(journal());
    const damaged = ['1', '2', '3', '4', '6'].map((line) => ({ id: `(journal line ${line})`, text: '' }));
    expect(await expectRight(store.load())).toEqual([{ id: 'ok', text: 'fine' }, ...damaged]);
    await expectRight(store.remove(damaged.map((item) => item.id)));
    await store.close();
    expect(await readFile(journal(), 'utf8')).toBe('{"i":"ok","t":"fine"}\n');
  });

  it('R45: a journal of many changes is rewritten to one line an item, atomically, with no temp file left', async () => {
    const store = new FileQueueStore(journal());
    await expectRight(store.put(Array.from({ length: 100 }, (_, i) => ({ id: String(i), text: 'v0' }))));
    for (let round = 1; round <= 60; round++) {
      await expectRight(
        store.put(Array.from({ length: 100 }, (_, i) => ({ id: String(i), text: `v${round}` }))),
      );
    }
    await store.close();
    const lines = (await readFile(journal(), 'utf8')).split('\n').filter((l) => l !== '');
    expect(lines.length).toBeLessThan(2 * 100 + 4096 + 100);
    expect(await listDir(folder.dir())).toEqual(['.rdl-queue']);
    const again = new FileQueueStore(journal());
    const items = await expectRight(again.load());
    expect(items).toHaveLength(100);
    expect(new Set(items.map((i) => i.text))).toEqual(new Set(['v60']));
    expect((await stat(journal())).mode & 0o777).toBe(0o600);
    await again.close();
  });

  it("R19, R31: the temp file a rewrite killed before its rename left is removed as the journal loads; a link at such a name, and another journal's temp file, stay", async () => {
    const left = `${journal()}.0123456789abcdef.tmp`;
    const planted = `${journal()}.fedcba9876543210.tmp`;
    const others = join(folder.dir(), 'other-queue.0123456789abcdef.tmp');
    await writeFile(left, '{"i":"a","t":"half"}\n');
    await symlink(victim.path, planted);
    await writeFile(others, 'x');
    const store = new FileQueueStore(journal());
    expect(await expectRight(store.load())).toEqual([]);
    await store.close();
    expect(await listDir(folder.dir())).toEqual([
      '.rdl-queue',
      '.rdl-queue.fedcba9876543210.tmp',
      'other-queue.0123456789abcdef.tmp',
    ]);
    await expectUnchanged(victim);
  });

  it('R22, R33: a journal mostly of blank lines or of lines that are no entry is rewritten as it loads, so the next load reads only its items', async () => {
    await writeFile(
      journal(),
      `{"i":"a","t":"one"}\n${'\n'.repeat(3 * 1024 * 1024)}${'x'.repeat(2 * 1024 * 1024)}\n{"i":"b","t":"two"}\n`,
      { mode: 0o600 },
    );
    const store = new FileQueueStore(journal());
    expect(await expectRight(store.load())).toEqual([
      { id: 'a', text: 'one' },
      { id: 'b', text: 'two' },
      { id: `(journal line ${2 + 3 * 1024 * 1024})`, text: '' },
    ]);
    await store.close();
    expect(await readFile(journal(), 'utf8')).toBe('{"i":"a","t":"one"}\n{"i":"b","t":"two"}\n');
    expect(await listDir(folder.dir())).toEqual(['.rdl-queue']);
    expect((await stat(journal())).mode & 0o777).toBe(0o600);
  });

  it('R45: a journal of live items only, however big, is not rewritten as it loads', async () => {
    const items = Array.from({ length: 3000 }, (_, i) => ({
      id: `item-${i}`,
      text: `"quoted" ${'é'.repeat(400)}`,
    }));
    const store = new FileQueueStore(journal());
    await expectRight(store.put(items));
    await store.close();
    const before = await stat(journal());
    expect(before.size).toBeGreaterThan(2 * 1024 * 1024);
    const again = new FileQueueStore(journal());
    expect(await expectRight(again.load())).toHaveLength(3000);
    await again.close();
    expect((await stat(journal())).ino).toBe(before.ino);
  });

  /** `count` items of one line length each (ASCII, so a line's bytes are its characters), over several writes. */
  const bigPut = (count: number, round = 'v1'): { id: string; text: string }[] =>
    Array.from({ length: count }, (_, i) => ({
      id: `item-${String(i).padStart(6, '0')}`,
      text: `${round}:${'x'.repeat(300)}`,
    }));
  const lineLength = (item: { id: string; text: string }): number =>
    JSON.stringify({ i: item.id, t: item.text }).length + 1;

  it('R45: a put of many items, more text than one write carries, is loaded back whole', async () => {
    const items = bigPut(10_000);
    expect(items.length * lineLength(items[0]!)).toBeGreaterThan(2 * maxWriteBytes);
    const store = new FileQueueStore(journal());
    await expectRight(store.put(items));
    await store.close();
    const again = new FileQueueStore(journal());
    const loaded = await expectRight(again.load());
    await again.close();
    expect([...loaded].sort((a, b) => a.id.localeCompare(b.id))).toEqual(items);
  });

  it('R45: a journal read back in pieces loads texts of any characters whole, lines cut by the pieces included, and drops only a torn last line', async () => {
    // Texts of one-, two-, three- and four-byte UTF-8 characters, of lengths that put line ends all over each MiB.
    const items = Array.from({ length: 9_000 }, (_, i) => ({
      id: String(i),
      text: `${'aé€😀'.repeat(20 + (i % 37))}${i}`,
    }));
    const store = new FileQueueStore(journal());
    await expectRight(store.put(items));
    await store.close();
    expect((await readFile(journal())).length).toBeGreaterThan(3 * 1024 * 1024);
    await appendFile(journal(), '{"i":"0","t":"torn 😀');
    const again = new FileQueueStore(journal());
    const loaded = await expectRight(again.load());
    await again.close();
    expect([...loaded].sort((a, b) => Number(a.id) - Number(b.id))).toEqual(items);
    expect(await readFile(journal(), 'utf8')).not.toContain('torn');
  });

  it('R22, R45: a line longer than a piece, and a torn tail with no line end at all, are each joined once, not once a piece', async () => {
    const MiB = 1024 * 1024;
    const text = 'x'.repeat(3 * MiB);
    await writeFile(journal(), `${JSON.stringify({ i: 'a', t: text })}\n${'y'.repeat(5 * MiB)}`, {
      mode: 0o600,
    });
    const size = (await readFile(journal())).length;
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const store = new FileQueueStore(journal());
      expect(await expectRight(store.load())).toEqual([{ id: 'a', text }]);
      await store.close();
      const joined = concat.mock.results.reduce(
        (sum, result) => sum + (result.type === 'return' ? (result.value as Buffer).length : 0),
        0,
      );
      expect(joined).toBeLessThanOrEqual(size);
    } finally {
      concat.mockRestore();
    }
    expect((await readFile(journal(), 'utf8')).endsWith('y')).toBe(false);
  });

  it('R20: a kill between the writes of a big put (or inside its next write) keeps the items before the cut whole, each other item its text from before', async () => {
    const before = bigPut(10_000, 'v1');
    const after = bigPut(10_000, 'v2');
    const store = new FileQueueStore(journal());
    await expectRight(store.put(before));
    await store.close();
    const sizeBefore = (await stat(journal())).size;
    const second = new FileQueueStore(journal());
    await expectRight(second.put(after));
    await second.close();
    // Each write carries as many whole lines as fit in maxWriteBytes, and these lines are all of one length.
    const perWrite = Math.floor(maxWriteBytes / lineLength(after[0]!));
    for (const [cut, whole] of [
      [sizeBefore + perWrite * lineLength(after[0]!), perWrite],
      [sizeBefore + perWrite * lineLength(after[0]!) + 57, perWrite],
    ] as const) {
      await truncate(journal(), cut);
      const reloaded = new FileQueueStore(journal());
      const items = await expectRight(reloaded.load());
      await reloaded.close();
      expect(items).toHaveLength(before.length);
      const texts = new Map(items.map((item) => [item.id, item.text]));
      for (const [i, item] of after.entries())
        expect(texts.get(item.id)).toBe(i < whole ? item.text : before[i]!.text);
      expect((await stat(journal())).size).toBe(sizeBefore + whole * lineLength(after[0]!));
    }
  });
});
