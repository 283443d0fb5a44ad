import { expect } from 'vitest';
import type { CliRun } from './cliInProcess.js';
import { listDir } from './tempDir.js';

/** rdl's error output: one line, `rdl: … (CODE)`, and nothing else. */
export const oneLine = (code: string) => new RegExp(`^rdl: [^\\n]+ \\(${code}\\)\\n$`);

/**
 * Checks that `run` was refused as bad input before any request (R30): exit 2, one `ERR_INVALID_INPUT` line matching
 * `message`, no request at `server`, nothing made in `folder`.
 */
export const expectRefusedBeforeAnyRequest = async (
  run: CliRun,
  message: RegExp,
  server: { readonly requests: readonly unknown[] },
  folder: string,
): Promise<void> => {
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(oneLine('ERR_INVALID_INPUT'));
  expect(run.stderr).toMatch(message);
  expect(server.requests).toEqual([]);
  expect(await listDir(folder)).toEqual([]);
};
