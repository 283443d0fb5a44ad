import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ListEntry } from '../src/cli/inputFile.js';
import { parseInputFile } from '../src/cli/inputFile.js';
import { listProblemsText } from '../src/cli/listProblems.js';
import { listTargets } from '../src/cli/listTargets.js';
import { plantSymlink } from './support/plant.js';
import { useTempDir } from './support/tempDir.js';

const dir = useTempDir();

/** Entries one a line, their out= names on that line too (where the file's problems are told). */
const entries = (...lines: [string, string | null][]) =>
  lines.map(([url, out], i): ListEntry => ({ url, out, line: i + 1, outLine: null }));

/** A problem at `line` whose message matches. */
const at = (line: number, message: RegExp) => ({ line, message: expect.stringMatching(message) });

describe('listTargets: the files of a list stay its own, in the folder (R30, R31)', () => {
  it("R19, R31: a file named as another's part file, lock or checkpoint is refused, in either order, before any request", () => {
    for (const suffix of [
      '.part',
      '.lock',
      '.rdl.json',
      '.rdl.json.0123456789abcdef.tmp',
      '.lock.0123456789abcdef.tmp',
    ]) {
      const before = listTargets(entries(['http://h/x', `a.bin${suffix}`], ['http://h/a.bin', null]), dir());
      expect(before.targets.map((t) => t.url)).toEqual(['http://h/a.bin']);
      expect(before.problems).toEqual([
        suffix === '.part'
          ? at(1, /^.* ends in \.part, the name of the part file of another download/)
          : suffix !== '.lock'
            ? at(1, /^.* is the name of a checkpoint \(or a temp file\) of another download/)
            : at(1, /^.* is where rdl keeps a part, lock or checkpoint of line 2's file$/),
      ]);
      const after = listTargets(entries(['http://h/a.bin', null], ['http://h/y', `a.bin${suffix}`]), dir());
      expect(after.problems).toHaveLength(1);
    }
    // Default names from the URLs collide the same way.
    expect(
      listTargets(entries(['http://h/a.bin', null], ['http://h/a.bin.part', null]), dir()).problems,
    ).toHaveLength(1);
    // Alone, such a name is a file like any other, but for a part file's (R23: another run of a.bin would own it).
    expect(listTargets(entries(['http://h/a.bin.lock', null]), dir()).problems).toEqual([]);
    expect(listTargets(entries(['http://h/a.bin.part', null]), dir()).problems).toHaveLength(1);
  });

  it("R45: the command's own journal, and its temp names, are no list file's name", () => {
    const listed = listTargets(
      entries(
        ['http://h/a', '.rdl-queue'],
        ['http://h/b', '.rdl-queue.0123456789abcdef.tmp'],
        ['http://h/c', '.rdl-queued'],
      ),
      dir(),
      ['.rdl-queue'],
    );
    expect(listed.problems).toEqual([
      at(1, /^.*\.rdl-queue is the name of rdl's own \.rdl-queue/),
      at(2, /^/),
    ]);
    expect(listed.targets.map((t) => t.url)).toEqual(['http://h/c']);
  });

  it('R31: a subfolder that is a symbolic link (to anywhere) is refused: the file would leave the folder', async () => {
    await mkdir(join(dir(), 'real'));
    await symlink(join(dir(), 'real'), join(dir(), 'sub'));
    const listed = listTargets(entries(['http://h/a', 'sub/f.bin'], ['http://h/b', 'real/f.bin']), dir());
    expect(listed.problems).toEqual([at(1, /^.*sub is a symbolic link/)]);
    expect(listed.targets.map((t) => t.url)).toEqual(['http://h/b']);
  });

  it('R30: a name too long for its sidecars, or with a NUL byte, is refused with its line', () => {
    const listed = listTargets(entries(['http://h/a', 'x'.repeat(240)], ['http://h/b', 'a\0b']), dir());
    expect(listed.problems).toEqual([
      at(1, /^the file name is 240 bytes/),
      { line: 2, message: 'a file name cannot hold a NUL byte' },
    ]);
  });

  it('R23, R30: an out= name ending in .part, or a URL named so, is refused with its line before any request', () => {
    const listed = listTargets(
      entries(['http://h/a', 'x.bin.part'], ['http://h/y.part', null], ['http://h/c', 'c.bin']),
      dir(),
    );
    expect(listed.problems).toEqual([
      at(1, /^.*x\.bin\.part" ends in \.part, the name of the part file of another download/),
      at(2, /^.*y\.part" ends in \.part/),
    ]);
    expect(listed.targets.map((t) => t.url)).toEqual(['http://h/c']);
  });

  it("R31, R32: a link at a file's name that another user planted is refused with its line; this user's own is written through", async () => {
    await writeFile(join(dir(), 'victim'), 'precious\n');
    await plantSymlink(join(dir(), 'planted.bin'), join(dir(), 'victim'));
    await symlink(join(dir(), 'victim'), join(dir(), 'mine.bin'));
    const listed = listTargets(
      entries(['http://h/a', 'planted.bin'], ['http://h/b', 'mine.bin'], ['http://h/c', 'new.bin']),
      dir(),
    );
    expect(listed.problems).toEqual([
      at(
        1,
        /^refused to use .*planted\.bin: it is a symbolic link of uid 65534, neither this user's nor root's$/,
      ),
    ]);
    expect(listed.targets.map((t) => t.url)).toEqual(['http://h/b', 'http://h/c']);
  });

  it("R30: a problem of an out= name is told at its out= line, and a name two downloads share names the other's out= line", () => {
    const { entries: parsed } = parseInputFile(
      [
        'http://h/a',
        '  out=../x',
        'http://h/b',
        '  out=/etc/passwd',
        'http://h/c',
        '  out=c.bin',
        'http://h/d',
        '  out=c.bin',
        'http://h/c.bin',
      ].join('\n'),
    );
    expect(listTargets(parsed, dir()).problems).toEqual([
      at(2, /^out="\.\.\/x" is not a file name in /),
      at(4, /^out="\/etc\/passwd" is not a file name in /),
      at(8, /c\.bin is also the file of line 6$/),
      at(9, /c\.bin is also the file of line 6$/),
    ]);
  });

  it("R30: a list's problems are one text: the command line's first, then the file's by line, its name once", () => {
    expect(
      listProblemsText(
        [
          { line: 4, message: 'd' },
          { argument: 2, message: 'b' },
          { line: 1, message: 'c' },
          { argument: 1, message: 'a' },
        ],
        'list.txt',
        ['whole'],
      ),
    ).toBe(
      'URL 1 of the command line: a; URL 2 of the command line: b; list.txt: line 1: c; line 4: d; whole',
    );
    const many = Array.from({ length: 25 }, (_, i) => ({ line: 25 - i, message: 'x' }));
    expect(listProblemsText(many, 'f')).toMatch(/^f: line 1: x; line 2: x; .*; line 20: x; and 5 more$/);
  });
});
