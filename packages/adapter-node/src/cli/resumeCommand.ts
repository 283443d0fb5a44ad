/** `arg` as a POSIX shell word: as is when it holds only safe characters, else single-quoted. */
export const shellWord = (arg: string): string =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

/** The command line that goes on with an interrupted download: the same command, the same arguments. */
export const resumeCommand = (argv: readonly string[]): string => ['rdl', ...argv].map(shellWord).join(' ');
