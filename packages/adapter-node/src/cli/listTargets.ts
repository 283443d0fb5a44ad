import { isAbsolute, relative, resolve, sep } from 'node:path';
import { targetProblem } from '../targetPath.js';
import type { ListEntry } from './inputFile.js';
import { defaultFileName } from './outputPath.js';

/** A download of a list with the file it goes to. */
export interface ListTarget extends ListEntry {
  readonly target: string;
}

/** Where an entry was given, for its messages: its input-file line, or its place on the command line. */
export const entryPlace = (entry: ListEntry, index: number): string =>
  entry.line === null ? `URL ${index + 1} of the command line` : `input line ${entry.line}`;

/**
 * The file of each download of a list, in `dir` (R30): an `out=` name must stay in the folder (no absolute path, no
 * `..`, relative to the folder; a subfolder must exist), and two downloads may not share a file. Every problem is
 * found, with its place, before any request.
 */
export const listTargets = (
  entries: readonly ListEntry[],
  dir: string,
): { targets: ListTarget[]; problems: string[] } => {
  const targets: ListTarget[] = [];
  const problems: string[] = [];
  const byPath = new Map<string, number>();
  entries.forEach((entry, index) => {
    const place = entryPlace(entry, index);
    let path: string;
    if (entry.out === null) {
      path = resolve(dir, defaultFileName(new URL(entry.url)));
    } else {
      const escapes =
        entry.out === '' ||
        isAbsolute(entry.out) ||
        entry.out.split(/[/\\]/).some((part) => part === '..') ||
        /[/\\]$/.test(entry.out);
      path = resolve(dir, entry.out);
      const inside = relative(dir, path);
      if (escapes || inside === '' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
        problems.push(
          `${place}: out=${JSON.stringify(entry.out.slice(0, 200))} is not a file name in ${dir}`,
        );
        return;
      }
    }
    const problem = targetProblem(path);
    if (problem !== null) {
      problems.push(`${place}: ${problem._tag === 'InvalidInput' ? problem.message : problem._tag}`);
      return;
    }
    const earlier = byPath.get(path);
    if (earlier !== undefined) {
      problems.push(`${place}: ${path} is also the file of ${entryPlace(entries[earlier]!, earlier)}`);
      return;
    }
    byPath.set(path, index);
    targets.push({ ...entry, target: path });
  });
  return { targets, problems };
};
