import type { ListEntry } from './inputFile.js';

/**
 * Where a list's problem was given: a line of its input file, or a URL of the command line (`argument`, its place
 * among them, from 1).
 */
export type ListPlace = { readonly line: number } | { readonly argument: number };

/** A problem of a list, with its place (R30). */
export type ListProblem = ListPlace & { readonly message: string };

/** Where an entry's URL was given. */
export const urlPlace = (entry: ListEntry, index: number): ListPlace =>
  entry.line === null ? { argument: index + 1 } : { line: entry.line };

/** Where an entry's file name was given: its `out=` line, or, for the URL's own name, the URL. */
export const namePlace = (entry: ListEntry, index: number): ListPlace =>
  entry.outLine === null ? urlPlace(entry, index) : { line: entry.outLine };

/** A place as a message names it. */
export const placeText = (place: ListPlace): string =>
  'argument' in place ? `URL ${place.argument} of the command line` : `line ${place.line}`;

/** At most this many problems are shown; the rest are counted. */
const shownProblems = 20;

/**
 * The one text of a list's problems (R30): those of the command line first, then the input file's by line, its name
 * once before its first line (`FILE: line 2: …; line 4: …`), then those that are the whole list's (`unplaced`).
 */
export const listProblemsText = (
  problems: readonly ListProblem[],
  /** The input file as messages name it (`the standard input` for -i -); `null` for none. */
  file: string | null,
  unplaced: readonly string[] = [],
): string => {
  const key = (place: ListPlace): number => ('argument' in place ? place.argument - 2 ** 40 : place.line);
  const sorted = [...problems].sort((a, b) => key(a) - key(b));
  let named = false;
  const texts = sorted.map((problem) => {
    const text = `${placeText(problem)}: ${problem.message}`;
    if ('argument' in problem || named || file === null) return text;
    named = true;
    return `${file}: ${text}`;
  });
  const all = [...texts, ...unplaced];
  const more = all.length > shownProblems ? `; and ${all.length - shownProblems} more` : '';
  return `${all.slice(0, shownProblems).join('; ')}${more}`;
};
