import { withoutUserinfo } from '@rdl/core/rules';

/** `arg` as a POSIX shell word: as is when it holds only safe characters, else single-quoted. */
export const shellWord = (arg: string): string =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * The command line that goes on with an interrupted download: the same command, the same arguments, but for a
 * password in a URL, which is never printed (R37): it is left out, and a shell comment says to put it back.
 */
export const resumeCommand = (argv: readonly string[]): string => {
  const shown = argv.map(withoutUserinfo);
  const command = ['rdl', ...shown].map(shellWord).join(' ');
  return shown.some((arg, i) => arg !== argv[i])
    ? `${command}  # the user and password were left out of the URL: put them back`
    : command;
};
