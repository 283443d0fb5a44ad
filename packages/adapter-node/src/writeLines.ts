import { printable } from '@rdl/core/rules';

/**
 * Writes `lines` to `stream`, each `printable` and ended by a newline: the edge where the command's text leaves it,
 * so that no line can skip the redaction or the escaping. A newline inside a line is escaped too: one message, one
 * line.
 */
export const writeLines = (stream: NodeJS.WritableStream, ...lines: readonly string[]): void => {
  stream.write(lines.map((line) => `${printable(line)}\n`).join(''));
};
