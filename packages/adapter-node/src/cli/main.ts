import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Download, DownloadFailure, DownloadOptions, DownloadPorts, DownloadResult } from '@rdl/core';
import { describeFailure, failureCode, isDownloadError } from '@rdl/core';
import { withoutUserinfo } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import { createDownload, createStreamDownload } from '../createDownload.js';
import { NodeHttp } from '../NodeHttp.js';
import { targetKindOf } from '../targetKind.js';
import { writeLines } from '../writeLines.js';
import { type CliArgs, parseCommand, usage, wantsJson } from './args.js';
import { createFolders } from './createDirs.js';
import { exitCodes } from './exitCodes.js';
import { MAX_TIME_CODE, maxTimeMessage, PAUSE_GRACE_MS, untilStopped, withMaxTime } from './maxTime.js';
import { nameFromServer } from './nameFromServer.js';
import { resolveOutputPath } from './outputPath.js';
import {
  type CommandRefresh,
  commandRefresh,
  REFRESH_HOOK_TIMEOUT_MS,
  stopRefreshCommands,
} from './refreshCommand.js';
import { applyRemoteTime } from './remoteTime.js';
import { messages } from './render/messages.js';
import { jsonReporter, type Output, quietReporter, type Reporter, textReporter } from './render/reporter.js';
import { resumeCommand } from './resumeCommand.js';
import { runList } from './runList.js';
import { listenForSignals, stoppedBeforeStart } from './stopSignals.js';

/**
 * What stops a download before its end: Ctrl-C, a termination request, the reader of stdout gone (EPIPE), or
 * `--max-time` passed (`TIMEOUT`).
 */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGPIPE' | 'TIMEOUT';

/** Where the command runs: its streams, folder and signals. Tests and `main` fill it with the process's own. */
export interface CliEnvironment extends Output {
  readonly cwd: string;
  /** Calls `handler` on SIGINT and SIGTERM (and EPIPE, `--max-time`); returns the function that stops listening. */
  readonly onSignal: (handler: (signal: StopSignal) => void) => () => void;
  /** Ends the process at once: a second signal while pausing. */
  readonly exit: (code: number) => never;
  /** How long a signal waits for the pause before the process ends anyway; `PAUSE_GRACE_MS` when left out. */
  readonly pauseGraceMs?: number;
}

const processEnvironment = (): CliEnvironment => ({
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  onSignal: (handler) => {
    const onInt = (): void => handler('SIGINT');
    const onTerm = (): void => handler('SIGTERM');
    // `rdl --json | head`: once the reader is gone, stop as on a signal rather than crash on the write.
    const onStdoutError = (error: NodeJS.ErrnoException): void => {
      if (error.code === 'EPIPE') handler('SIGPIPE');
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.stdout.on('error', onStdoutError);
    return () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.stdout.off('error', onStdoutError);
    };
  },
  exit: (code) => process.exit(code),
});

const version = (): string => {
  const pkg: unknown = JSON.parse(
    readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8'),
  );
  return (pkg as { version?: string }).version ?? 'unknown';
};

/** The failure line on stderr (R29) and, with `--json`, the error event; the exit code that goes with it. */
const fail = (env: CliEnvironment, reporter: Reporter, code: string, message: string): number => {
  reporter.failed(code, message);
  writeLines(env.stderr, messages.failure(code, message));
  return code === failureCode({ _tag: 'InvalidInput', field: '', message: '' })
    ? exitCodes.invalidInput
    : exitCodes.failed;
};

const failWith = (env: CliEnvironment, reporter: Reporter, failure: DownloadFailure): number =>
  fail(env, reporter, failureCode(failure), describeFailure(failure));

/**
 * Whether the command computes the file's SHA-256: only when something uses it, the `--sha256` check (R27) or the
 * `done` event of `--json`, which carries it. A hash nobody reads would cost about a second of CPU a GiB, a whole
 * core beside the transfer on a small machine.
 */
export const computesSha256 = (args: CliArgs): boolean => args.sha256 !== null || args.json;

const downloadOptions = (args: CliArgs, target: string, refresh: CommandRefresh | null): DownloadOptions => ({
  url: args.url,
  target,
  onChange: args.onChange,
  computeSha256: computesSha256(args),
  ...(args.headUrl === null ? {} : { headUrl: args.headUrl }),
  ...(args.retries === null ? {} : { retry: { retries: args.retries } }),
  ...(args.stallTimeoutMs === null ? {} : { stallTimeoutMs: args.stallTimeoutMs }),
  ...(args.sha256 === null ? {} : { expectedSha256: args.sha256 }),
  ...(args.allowHttpsDowngrade ? { allowHttpsDowngrade: true } : {}),
  ...(args.lowSpeedLimit === null ? {} : { lowSpeedLimit: args.lowSpeedLimit }),
  ...(args.lowSpeedTimeMs === null ? {} : { lowSpeedTimeMs: args.lowSpeedTimeMs }),
  ...(args.maxBytesPerSecond === null ? {} : { maxBytesPerSecond: args.maxBytesPerSecond }),
  ...(args.connections === null ? {} : { connections: args.connections }),
  ...(args.maxConnections === null ? {} : { maxConnections: args.maxConnections }),
  ...(args.minSplitBytes === null ? {} : { minSegmentBytes: args.minSplitBytes }),
  ...(args.maxFileBytes === null ? {} : { maxFileBytes: args.maxFileBytes }),
  ...(Object.keys(args.client.headers).length === 0 ? {} : { headers: args.client.headers }),
  ...(refresh === null ? {} : { refreshUrl: refresh.hook, refreshTimeoutMs: REFRESH_HOOK_TIMEOUT_MS }),
});

type Outcome =
  | { readonly _tag: 'Done' }
  | { readonly _tag: 'Failed'; readonly error: unknown }
  /** `saved`: the pause ended, its checkpoint saved; false when the grace ran out first. */
  | { readonly _tag: 'Stopped'; readonly signal: StopSignal; readonly saved: boolean };

/**
 * Runs one download to its end: done, failed, or paused by a signal. A signal pauses (R24: network stopped,
 * checkpoint saved, file closed) and the command ends with 128 + the signal number; a second signal ends it at
 * once, the bar taken off first, which is safe too: the last saved checkpoint only counts flushed bytes (R20).
 */
const runDownload = async (
  env: CliEnvironment,
  download: Download,
  reporter: Reporter,
  argv: readonly string[],
  finish: (result: DownloadResult) => Promise<void>,
  /** `--refresh-command`, when given: an expired URL then says whether its URLs were refused too. */
  refresh: CommandRefresh | null,
  /** What says, through `reporter`, that `--max-time` stopped the run. */
  timedOut: (reporter: Reporter, streamed: boolean) => void,
  /** A plain stream (`-o -`, a device): no checkpoint, nothing to resume (R32). */
  streamed: boolean,
): Promise<number> => {
  let signal: StopSignal | null = null;
  let stopped: (signal: StopSignal, saved: boolean) => void = () => undefined;
  const stoppedBySignal = new Promise<Outcome>((resolve) => {
    stopped = (s, saved) => resolve({ _tag: 'Stopped', signal: s, saved });
  });

  const unsubscribe = download.subscribe((event) => {
    // The outcome comes from `result`, so that it is reported once whatever the order of events.
    if (event.type === 'done' || event.type === 'error') return;
    reporter.event(event);
    if (event.type === 'state' && event.state === 'paused' && signal !== null) stopped(signal, true);
  });
  const stopListening = env.onSignal((received) => {
    // The bar had hidden the cursor and turned wrapping off: the terminal gets them back before the process ends.
    if (signal !== null) {
      reporter.close();
      env.exit(exitCodes[signal]);
    }
    signal = received;
    download.pause();
    setTimeout(() => stopped(received, false), env.pauseGraceMs ?? PAUSE_GRACE_MS).unref();
  });

  download.start();
  const outcome = await Promise.race<Outcome>([
    download.result.then(
      async (result) => {
        await finish(result);
        reporter.event({ type: 'done', result });
        return { _tag: 'Done' } as const;
      },
      (error: unknown) => ({ _tag: 'Failed', error }),
    ),
    stoppedBySignal,
  ]);
  stopListening();
  unsubscribe();

  switch (outcome._tag) {
    case 'Done':
      reporter.close();
      return exitCodes.ok;
    case 'Stopped':
      if (outcome.signal === 'TIMEOUT') timedOut(reporter, streamed);
      reporter.paused(download.getSnapshot().progress, streamed ? null : resumeCommand(argv), outcome.saved);
      reporter.close();
      return exitCodes[outcome.signal];
    case 'Failed': {
      reporter.close();
      if (isDownloadError(outcome.error))
        return fail(
          env,
          reporter,
          outcome.error.code,
          messages.downloadFailure(
            outcome.error.failure,
            refresh === null ? 'none' : refresh.ran() ? 'ran' : 'unused',
          ),
        );
      throw outcome.error;
    }
  }
};

/**
 * `rdl <url> [-o <file>] [options]`: downloads, or goes on with an interrupted download of the same target.
 * Resolves the exit code; never throws for an expected failure (R29), whose one line it prints on stderr.
 * `ports` replaces some of the Node ports (tests watch the hasher through it). Default: none replaced. Everything
 * it prints goes out through `writeLines` or `formatJsonLine`, control characters escaped (R38).
 */
export const runCli = async (
  argv: readonly string[],
  env: CliEnvironment,
  ports: Partial<DownloadPorts> = {},
): Promise<number> => {
  const json = wantsJson(argv);
  const early = json ? jsonReporter(env) : quietReporter;
  // Heard from the start: a long list is read and checked before anything else, and a signal then would otherwise
  // take Node's default action (R24). A list goes on hearing them through `runList`; a single download through its
  // own listener.
  const signals = listenForSignals(env);
  const command = await Promise.race([parseCommand(argv, env.cwd), signals.heard]);
  const stopped = signals.first;
  if (stopped !== null || typeof command === 'string') {
    signals.stop();
    return stoppedBeforeStart(env, stopped ?? (command as StopSignal));
  }
  if (E.isLeft(command) || command.right._tag !== 'Download' || !command.right.args.list) signals.stop();
  if (E.isLeft(command)) return failWith(env, early, command.left);
  switch (command.right._tag) {
    case 'Help':
      // The command's own text, no line of another's: the filter of printed lines would take its
      // `http://[user:password@]host` for a password in a URL and hide it.
      env.stdout.write(usage.trimEnd().concat('\n'));
      return exitCodes.ok;
    case 'Version':
      writeLines(env.stdout, `rdl ${version()}`);
      return exitCodes.ok;
    case 'Download':
      break;
  }
  const args = command.right.args;
  const limited = withMaxTime(env, args.maxTimeMs);
  // Through the reporter, as a failure's line: a bar drawn is taken off first, and it does not draw over the line.
  const timedOut = (reporter: Reporter, streamed = false): void => {
    fail(env, reporter, MAX_TIME_CODE, maxTimeMessage(args.maxTimeMs ?? 0, streamed));
  };
  const refresh = args.refreshCommand === null ? null : commandRefresh(args.refreshCommand);
  // Every run, even quiet: nobody should forget that a download was not authenticated.
  if (args.client.insecure) writeLines(env.stderr, insecureWarning);
  const chosen = { http: commandHttp(args), ...ports };
  if (args.list) {
    const optionsFor = (url: string, target: string) => downloadOptions({ ...args, url }, target, refresh);
    const finish = async (result: DownloadResult): Promise<void> => {
      if (args.client.remoteTime) await applyRemoteTime(result.target, result.validators.lastModified);
    };
    return runList(limited, args, argv, optionsFor, chosen, finish, signals);
  }
  const toStdout = args.output === '-';
  // The name probe of -J is part of the run: a signal or --max-time ends it too (nothing is saved yet). Its retries
  // are said as the download's are (R28): on stderr, not with --json or -q.
  const probeRetry = (failure: DownloadFailure, attempt: number, delayMs: number): void => {
    if (!args.json && !args.quiet) writeLines(env.stderr, messages.retry(failure, attempt, delayMs));
  };
  const probed =
    args.client.contentDisposition && args.output === null
      ? await untilStopped(
          limited,
          nameFromServer(
            chosen.http,
            downloadOptions(args, stdoutName, refresh),
            args.dir ?? env.cwd,
            probeRetry,
          ),
        )
      : null;
  if (typeof probed === 'string') {
    if (probed === 'TIMEOUT') timedOut(early);
    return exitCodes[probed];
  }
  const named = probed;
  if (named !== null && E.isLeft(named)) return failWith(env, early, named.left);
  if (named !== null && !args.quiet) writeLines(env.stderr, ...named.right.notices);
  const cwd = args.dir ?? env.cwd;
  const made = toStdout || named !== null ? null : outputFolders(args, cwd);
  if (made !== null) return failWith(env, early, made);
  const target = toStdout
    ? E.right(stdoutName)
    : named === null
      ? resolveOutputPath(args.output, args.url, cwd)
      : resolveOutputPath(named.right.target, args.url, cwd, '-J');
  if (E.isLeft(target)) return failWith(env, early, target.left);
  const notice = toStdout
    ? 'rdl: writing to stdout as a plain stream, not resumable'
    : streamNotice(target.right);
  if (notice !== null && !args.quiet) writeLines(env.stderr, notice);
  const finish = async (result: DownloadResult): Promise<void> => {
    if (args.client.remoteTime && !toStdout && notice === null)
      await applyRemoteTime(target.right, result.validators.lastModified);
  };

  const reporter = args.json
    ? // With -J the reader did not choose the name: `start` says it.
      jsonReporter(env, named === null ? null : target.right)
    : args.quiet
      ? quietReporter
      : await textReporter(env, {
          // R37: a password in the URL is sent, never printed.
          url: withoutUserinfo(args.url),
          target: target.right,
          verifies: args.sha256 !== null,
        });
  const options = downloadOptions(args, target.right, refresh);
  const download = toStdout
    ? createStreamDownload(options, env.stdout, chosen)
    : createDownload(options, chosen);
  return runDownload(
    limited,
    download,
    reporter,
    argv,
    finish,
    refresh,
    timedOut,
    toStdout || notice !== null,
  );
};

/**
 * `--create-dirs`: the folders of `-o`'s path made (`createFolders`), before its target is judged as any is; `null`
 * when there is nothing to make or they were made. A path `resolveOutputPath` refuses anyway (a trailing separator,
 * a NUL) makes nothing.
 */
const outputFolders = (args: CliArgs, cwd: string): DownloadFailure | null => {
  const output = args.output;
  if (!args.createDirs || output === null || /[/\\]$/.test(output) || output.includes('\0')) return null;
  return createFolders(dirname(resolve(cwd, output)));
};

/** What `-o -` names the download in messages. */
const stdoutName = 'stdout';

/** R32: said before anything else, so that nobody expects to resume it; `null` for a file (or a refused target). */
const streamNotice = (target: string): string | null => {
  const kind = targetKindOf(target);
  if (E.isLeft(kind) || kind.right._tag !== 'Stream') return null;
  return `rdl: ${target} is ${kind.right.what}: writing it as a plain stream, not resumable`;
};

/** What `-k` prints on stderr, at every run. */
export const insecureWarning =
  'rdl: warning: --insecure: certificates are not checked, so anyone on the way can read and change this download';

/**
 * The transport the command's flags ask for: with `--cacert` it trusts those CAs only (as curl's does), with `-k`
 * none is checked, with `-A ''` it sends no User-Agent, `--connect-timeout` bounds each connect, `--proxy` / `--noproxy` choose the proxy, `-b file`'s cookies go with the requests they match, `--resolve`, `-4` and `-6` say where connections go; it follows
 * `--allow-https-downgrade`. Its connections of one origin share a TLS session, whatever the flags (they are the
 * same for all of them).
 */
const commandHttp = (args: CliArgs): NodeHttp =>
  new NodeHttp({
    tls: {
      ...(args.cacert === null ? {} : { ca: args.cacert.pem }),
      ...(args.client.insecure ? { rejectUnauthorized: false } : {}),
    },
    allowHttpsDowngrade: args.allowHttpsDowngrade,
    ...(args.client.noUserAgent ? { userAgent: null } : {}),
    ...(args.client.connectTimeoutMs === null ? {} : { connectTimeoutMs: args.client.connectTimeoutMs }),
    ...(args.proxy === null ? {} : { proxy: args.proxy }),
    ...(args.noProxy === null ? {} : { noProxy: args.noProxy }),
    ...(args.cookies.length === 0 ? {} : { cookies: args.cookies }),
    ...(args.resolve.length === 0 ? {} : { resolve: args.resolve }),
    ...(args.ipFamily === null ? {} : { ipFamily: args.ipFamily }),
  });

/** The process entry point (`bin/rdl.js`): runs the command, then exits with its code once stdout is written. */
export const main = async (argv: readonly string[] = process.argv.slice(2)): Promise<void> => {
  const env = processEnvironment();
  // However the process ends, no refresh command it started outlives it.
  process.once('exit', stopRefreshCommands);
  let code: number;
  try {
    code = await runCli(argv, env);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    writeLines(env.stderr, messages.failure('ERR_INTERNAL', `internal error: ${message}`));
    if (process.env.RDL_DEBUG !== undefined && error instanceof Error)
      writeLines(env.stderr, ...(error.stack ?? '').split('\n'));
    code = exitCodes.internal;
  }
  // Keep-alive sockets would hold the process open: end it once stdout has taken every line.
  if (process.stdout.writable) process.stdout.write('', () => process.exit(code));
  else process.exit(code);
};
