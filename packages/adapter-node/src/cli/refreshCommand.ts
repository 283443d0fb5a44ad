import { spawn } from 'node:child_process';
import type { RefreshedUrls, RefreshUrl } from '@rdl/core';
import { isHttpUrl, parseUrl } from '@rdl/core/rules';

/** How long `--refresh-command` may run before it is killed: signing is local work (`aws s3 presign`, `ossutil sign`). */
export const REFRESH_TIMEOUT_MS = 30_000;
/**
 * How long core waits for the hook (`refreshTimeoutMs`, R18): the command's own bound and time for its kill to be
 * told, so that a command that runs too long fails with its own reason (`it ran longer than 30 s`), and one within
 * it is waited for whatever `--stall-timeout` says (that bounds a silent body, not signing).
 */
export const REFRESH_HOOK_TIMEOUT_MS = REFRESH_TIMEOUT_MS + 5_000;
/** The most the command may print on stdout: two URLs, with room to spare. More is killed and refused. */
export const REFRESH_MAX_STDOUT = 64 * 1024;
/** What of its stderr is kept: its first line names the reason of a failure. */
const MAX_STDERR = 4 * 1024;

/** Bounds of the command, for tests. Default: the constants above. */
export interface RefreshLimits {
  readonly timeoutMs: number;
  readonly maxStdout: number;
}

const isHttp = (line: string): boolean => {
  const url = parseUrl(line);
  return url !== null && isHttpUrl(url);
};

/**
 * What the command printed, as new URLs: its first non-empty line is the URL, a second one the URL of the HEAD
 * probe (`--head-url`). Anything else is refused with a reason that never quotes the output (it may hold secrets).
 */
export const urlsFromOutput = (stdout: string): RefreshedUrls | string => {
  const lines = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const [url, headUrl, ...rest] = lines;
  if (url === undefined) return 'it printed no URL';
  if (rest.length > 0) return `it printed ${lines.length} lines, not a URL and at most a HEAD URL`;
  if (!isHttp(url)) return 'its first line is not an http(s) URL';
  if (headUrl === undefined) return { url };
  if (!isHttp(headUrl)) return 'its second line is not an http(s) URL';
  return { url, headUrl };
};

/** How to kill each command still running, with its process group. */
const running = new Set<() => void>();

/**
 * Kills every `--refresh-command` still running, with the processes it started: the command ends (`--max-time`, a
 * signal, a failure) and leaves none behind. Synchronous, for `process.on('exit')`.
 */
export const stopRefreshCommands = (): void => {
  for (const stop of running) stop();
};

const firstLine = (text: string): string => text.split('\n', 1)[0]?.trim() ?? '';

/**
 * Runs `command` once by the shell (`/bin/sh -c`, `cmd.exe` on Windows), stdin closed, in its own process group,
 * and resolves its stdout; rejects with one line when it fails: a non-zero exit (with the first line of its
 * stderr), a signal, more than `maxStdout` bytes, or more than `timeoutMs` (then the group is killed).
 */
const runCommand = (command: string, limits: RefreshLimits): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let refused: string | null = null;
    const kill = (reason: string): void => {
      refused ??= reason;
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // The group is gone already.
      }
    };
    const timer = setTimeout(() => kill(`it ran longer than ${limits.timeoutMs / 1000} s`), limits.timeoutMs);
    const stop = (): void => kill('the download stopped');
    running.add(stop);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > limits.maxStdout) kill(`it printed more than ${limits.maxStdout} bytes`);
      else stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.slice(0, MAX_STDERR - stderr.length);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(stop);
      reject(new Error(`it could not start: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(stop);
      if (refused !== null) return reject(new Error(refused));
      if (signal !== null) return reject(new Error(`it was killed by ${signal}`));
      if (code !== 0) {
        const why = firstLine(stderr);
        return reject(new Error(`it exited with ${code}${why === '' ? '' : `: ${why}`}`));
      }
      resolve(Buffer.concat(stdout).toString('utf8'));
    });
  });

/** The hook of `--refresh-command`, and whether a download ever asked it (so that no message says it was). */
export interface CommandRefresh {
  readonly hook: RefreshUrl;
  readonly ran: () => boolean;
}

/** `refreshFromCommand(command)`, counting the times it is asked. */
export const commandRefresh = (command: string): CommandRefresh => {
  const run = refreshFromCommand(command);
  let asked = 0;
  return {
    hook: (expired) => {
      asked += 1;
      return run(expired);
    },
    ran: () => asked > 0,
  };
};

/**
 * `--refresh-command CMD` as core's `refreshUrl` hook (R18): asked when a presigned URL expired after bytes came,
 * it runs `CMD` and gives the URLs it printed; the download goes on from its checkpoint with them. A failure
 * rejects with one line, which core reports as `ERR_REFRESH_FAILED`.
 */
export const refreshFromCommand =
  (
    command: string,
    limits: RefreshLimits = { timeoutMs: REFRESH_TIMEOUT_MS, maxStdout: REFRESH_MAX_STDOUT },
  ): RefreshUrl =>
  async () => {
    const urls = urlsFromOutput(await runCommand(command, limits));
    if (typeof urls === 'string') throw new Error(urls);
    return urls;
  };
