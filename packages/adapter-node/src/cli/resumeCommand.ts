import { redactSignatures, withoutUserinfo } from '@rdl/core/rules';

/** `arg` as a POSIX shell word: as is when it holds only safe characters, else single-quoted. */
export const shellWord = (arg: string): string =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * The command line that goes on with an interrupted download: the same command, the same arguments, but for a
 * password in a URL and the secrets of a presigned URL, which are never printed (R37): they are left out, and a
 * shell comment says to put them back (a URL signed again resumes as well: only its query differs).
 */
export const resumeCommand = (argv: readonly string[]): string => {
  const bare = argv.map(withoutUserinfo);
  const shown = bare.map(redactSignatures);
  const command = ['rdl', ...shown].map(shellWord).join(' ');
  const password = bare.some((arg, i) => arg !== argv[i]);
  const signature = shown.some((arg, i) => arg !== bare[i]);
  if (signature) {
    const what = password ? 'the user and password and the signature were' : 'the signature was';
    return `${command}  # ${what} left out of the URL: put them back, or give the URL signed again`;
  }
  return password ? `${command}  # the user and password were left out of the URL: put them back` : command;
};
