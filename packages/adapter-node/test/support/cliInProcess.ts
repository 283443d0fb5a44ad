import { Writable } from 'node:stream';
import type { DownloadPorts } from '@rdl/core';
import { type CliEnvironment, runCli } from '../../src/cli/main.js';
import type { JsonEvent } from './cliProcess.js';

/** What `runCli` printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--json` lines of stdout, parsed. */
  readonly events: readonly JsonEvent[];
}

const capture = (): { readonly stream: Writable; readonly text: () => string } => {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
};

/**
 * Runs the command's code in this process (not a TTY, no signals), with `ports` replacing some of the Node ports:
 * what a spawned `rdl` cannot show, such as what its hasher was asked to do.
 */
export const runCliInProcess = async (
  argv: readonly string[],
  cwd: string,
  ports: Partial<DownloadPorts> = {},
  /**
   * What the test changes of the command's environment: how long a signal waits for the pause, how it exits, the
   * signals it hears.
   */
  changed: Partial<Pick<CliEnvironment, 'pauseGraceMs' | 'exit' | 'onSignal'>> = {},
): Promise<CliRun> => {
  const stdout = capture();
  const stderr = capture();
  const env: CliEnvironment = {
    stdout: stdout.stream,
    // The reporter only asks the stream whether it is a terminal; a plain stream that says no stands for a pipe.
    stderr: Object.assign(stderr.stream, { isTTY: false }) as unknown as NodeJS.WriteStream,
    cwd,
    onSignal: () => () => undefined,
    exit: (code) => {
      throw new Error(`the command tried to end the process with ${code}`);
    },
    ...changed,
  };
  const code = await runCli(argv, env, ports);
  const events = stdout
    .text()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JsonEvent);
  return { code, stdout: stdout.text(), stderr: stderr.text(), events };
};
