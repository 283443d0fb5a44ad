/**
 * Options of curl, aria2 and wget that users type to rdl, each with what rdl has for it. A small table of the
 * common ones, not a translation: anything else is only an unknown option.
 */
const OTHER_TOOLS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^--retry$/, "rdl's is --retries"],
  [/^(--output-dir|-P|--directory-prefix)$/, "rdl's is -d, --dir"],
  [/^(-Z|--parallel)$/, 'a list runs in parallel already: -j, --jobs sets how many at once'],
  [/^(-s\d*|--split)$/, "aria2's split is -x, --connections here"],
  [/^(-c|--continue)$/, 'rdl always resumes: run the same command again'],
];

/** A group of short flags that can be quoted: no value of a flag can hide in so short a word of letters. */
const SHORT_GROUP = /^-[A-Za-z0-9]{2,8}$/;

/**
 * The message of an option rdl does not have, named by `rawName` as parseArgs read it (`--retry`, `-Z`; the
 * letter of a group: `-1` of `-s16`), in `word`, the argument it came in. Only the name is quoted, never what
 * follows an `=` (it may be a password). Node's own message told to put it after `--`, which for an option is
 * wrong advice, with a quote it never closed.
 */
export const unknownOptionMessage = (rawName: string, word: string): string => {
  const long = rawName.startsWith('--');
  const inGroup = !long && word !== rawName && SHORT_GROUP.test(word);
  const shown = inGroup ? `${rawName} in ${word}` : rawName;
  const hint = OTHER_TOOLS.find(
    ([spelling]) => spelling.test(rawName) || (inGroup && spelling.test(word)),
  )?.[1];
  return `unknown option ${shown}${hint === undefined ? '' : `: ${hint}`} (see rdl --help)`;
};
