import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DownloadOptions, DownloadPorts, DownloadResult, Queue, QueueItem } from '@rdl/core';
import { describeFailure, failureCode } from '@rdl/core';
import { CROSS_ORIGIN_HEADERS, storedUrl } from '@rdl/core/rules';
import { createQueue } from '../createQueue.js';
import { acquireLock, releaseLock, releaseLockSync } from '../fileLock.js';
import { toStorageFailure } from '../fsFailure.js';
import { sweepStaleTemps } from '../staleTemps.js';
import { writeLines } from '../writeLines.js';
import type { CliArgs } from './args.js';
import { exitCodes } from './exitCodes.js';
import { formatJsonLine } from './json.js';
import { listProblemsText } from './listProblems.js';
import { type ListTarget, listTargets } from './listTargets.js';
import type { CliEnvironment, StopSignal } from './main.js';
import { MAX_TIME_CODE, maxTimeMessage, PAUSE_GRACE_MS } from './maxTime.js';
import {
  jsonListReporter,
  type ListFailure,
  type ListItem,
  type ListReporter,
  textListReporter,
} from './render/listReporter.js';
import { messages } from './render/messages.js';
import { resumeCommand } from './resumeCommand.js';
import { type StopSignals, stoppedBeforeStart } from './stopSignals.js';
import { targetIdentities } from './targetIdentity.js';

/** The file in the list's folder that keeps the list across runs (R45): which are done, in which order. */
export const queueFileName = '.rdl-queue';

/**
 * R37: `-u` and the headers that may be secrets (`-H Authorization`, `Cookie` and `-b`'s strings, `-e`'s `Referer`, an
 * API key) go to the origin of the
 * URL they were given with. A list of several origins would send them to all of them, an input file's stranger
 * among them: refused, before any request.
 */
const secretsProblem = (args: CliArgs, targets: readonly ListTarget[]): string[] => {
  const secret = Object.keys(args.client.headers).filter(
    (name) => !CROSS_ORIGIN_HEADERS.has(name.toLowerCase()),
  );
  if (secret.length === 0) return [];
  const origins = new Set(targets.map((t) => new URL(t.url).origin));
  if (origins.size <= 1) return [];
  return [
    `${secret.join(', ')} would go to ${origins.size} origins: with -u, -e, a -b cookie string or a secret -H, a list must name one origin (a -b cookie file's cookies go to their own hosts)`,
  ];
};

/** Whether the finished file of an earlier run is still there, whole as it was recorded. */
const stillThere = (item: QueueItem): boolean => {
  try {
    const info = statSync(item.target);
    return info.isFile() && item.bytes !== null && info.size === item.bytes;
  } catch {
    return false;
  }
};

/**
 * Puts the command's list in the queue read back from its file (R45): downloads no longer listed are forgotten (their
 * files left as they are), those done by an earlier run and still there are skipped, unfinished ones go on from their
 * checkpoints (a failed or paused one queued again), and new ones are added, all in the command's order. Gives the
 * list's items by their ids, in its order.
 */
const reconcile = (
  queue: Queue,
  targets: readonly ListTarget[],
  optionsOf: (t: ListTarget) => DownloadOptions,
) => {
  const wanted = new Map(targets.map((t) => [t.target, t]));
  const stored = new Map<string, QueueItem>();
  // Forgotten at once, in one pass over the order (one at a time, each shifted the order: seconds for 80 000).
  const forgotten: string[] = [];
  for (const item of queue.items()) {
    const t = wanted.get(item.target);
    // A file done by an earlier run and no longer there (or not whole) is fetched again, as a new item.
    const unwanted = t === undefined || item.url !== storedUrl(t.url) || stored.has(item.target);
    if (unwanted || (item.state === 'done' && !stillThere(item))) forgotten.push(item.id);
    else stored.set(item.target, item);
  }
  queue.forget(forgotten);
  const skipped = new Set<string>();
  const listed = new Map<string, ListTarget>();
  for (const t of targets) {
    const old = stored.get(t.target);
    if (old === undefined) {
      listed.set(queue.add(optionsOf(t)).id, t);
      continue;
    }
    listed.set(old.id, t);
    if (old.state === 'done') skipped.add(old.id);
    else if (old.state !== 'queued') queue.resume(old.id);
  }
  // A fresh run appends in order; a list read back is put in it in one pass (a move an item shifted the whole
  // order for each, and took minutes on 100 000).
  if (stored.size > 0) queue.reorder([...listed.keys()]);
  return { listed, skipped };
};

/**
 * `rdl <url>... | -i FILE [-d DIR] [-j N]`: every download of the list, `-j` at a time, in one queue kept in
 * `DIR/.rdl-queue`. Resolves the exit code: 0 when every one is done, 1 when any failed, 2 for a list refused before
 * any request (R30), 130/143 after SIGINT/SIGTERM once every download has paused with its checkpoint saved.
 */
export const runList = async (
  env: CliEnvironment,
  args: CliArgs,
  argv: readonly string[],
  optionsFor: (url: string, target: string) => DownloadOptions,
  ports: Partial<DownloadPorts>,
  /** What the command does to each finished file (`-R`). */
  finish: (result: DownloadResult) => Promise<void>,
  /** The command's stop signals, heard since it began (its list read): `runList` stops them at its end. */
  signals: StopSignals,
): Promise<number> => {
  // Through `env` from now on, which adds `--max-time`'s TIMEOUT.
  signals.listenOn(env);
  try {
    return await runListening(env, args, argv, optionsFor, ports, finish, signals);
  } finally {
    signals.stop();
  }
};

/** `runList` once the command's signals go through its `env`. */
const runListening = async (...given: Parameters<typeof runList>): Promise<number> => {
  const [env, args, argv, optionsFor, ports, finish, signals] = given;
  const dir = args.dir ?? env.cwd;
  const listed = listTargets(args.inputs, dir, [queueFileName], args.createDirs);
  const { targets } = listed;
  const placed = [...(args.inputFile?.problems ?? []), ...listed.problems];
  const unplaced = secretsProblem(args, targets);
  /** One line (R29), on stderr and as a `--json` error event, and the exit code; before any request. */
  const refuse = (code: string, message: string, exit: number): number => {
    if (args.json) env.stdout.write(formatJsonLine({ event: 'error', code, message }));
    writeLines(env.stderr, messages.failure(code, message));
    return exit;
  };
  if (placed.length > 0 || unplaced.length > 0) {
    // Every problem of the file and of its names at once, by line, each with its place (R30).
    const text = listProblemsText(placed, args.inputFile?.name ?? null, unplaced);
    return refuse('ERR_INVALID_INPUT', `invalid list: ${text}`, exitCodes.invalidInput);
  }
  // A signal that came while the list was checked (synchronous work, seconds for 100 000 names) is heard once the
  // event loop has been through its poll phase, which reads the signals that came: two immediates are sure to wait
  // for one, wherever in the loop this runs (one queued from a poll callback runs before the next poll). The list
  // then stops before its lock is taken, nothing held.
  await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  if (signals.first !== null) return stoppedBeforeStart(env, signals.first);
  // One process at a time runs a list's folder (R23, R45): a second would fetch again what the first finished and
  // write over its journal. Its lock is a lock file as a target's (R31); one left by a dead process is taken over.
  // A signal while it is taken (between the lock's link and the removal of its temp name) is kept for once it is:
  // a second one ends the process at once, and a lock it may then leave is a dead process's, taken over next time.
  const lockPath = join(dir, `${queueFileName}.lock`);
  const locked = await acquireLock(lockPath).catch((error: unknown) => ({
    _tag: 'Failed' as const,
    failure: toStorageFailure('lock', lockPath)(error),
  }));
  if (locked._tag === 'Busy') {
    return refuse(
      'ERR_TARGET_BUSY',
      `the list in ${dir} is being run by another rdl (${lockPath}): let it finish, or stop it and run this again`,
      exitCodes.failed,
    );
  }
  if (locked._tag === 'Unsafe') {
    return refuse('ERR_UNSAFE_PATH', `${lockPath}: ${locked.reason}`, exitCodes.failed);
  }
  if (locked._tag === 'Failed') {
    return refuse(failureCode(locked.failure), describeFailure(locked.failure), exitCodes.failed);
  }
  // An exit forced by a second signal, or by the pause taking too long, skips the `finally`: the lock goes first.
  signals.onExit(() => releaseLockSync(lockPath));
  try {
    // A run killed while it took the list's lock left that lock's temp file: swept now that this run holds it (R19).
    await sweepStaleTemps(join(dir, queueFileName)).catch(() => undefined);
    return await runLocked(given, dir, targets, signals);
  } finally {
    await releaseLock(lockPath).catch(() => undefined);
  }
};

/** The list once its folder is locked: its queue run to the end, or to a signal. */
const runLocked = async (
  /** What `runList` was given. */
  given: Parameters<typeof runList>,
  dir: string,
  targets: readonly ListTarget[],
  signals: StopSignals,
): Promise<number> => {
  const [env, args, argv, optionsFor, ports, finish] = given;
  const exit = signals.exit;
  // One rate limit over the whole list (R44), not one a download.
  const optionsOf = (t: ListTarget): DownloadOptions => {
    const { maxBytesPerSecond: _perDownload, ...options } = optionsFor(t.url, t.target);
    return options;
  };
  const reporter: ListReporter = args.json
    ? jsonListReporter(env)
    : await textListReporter(env, targets.length, args.quiet);
  // Ended at once (a second signal): the bars had hidden the cursor and turned wrapping off, and the terminal gets
  // them back.
  signals.onExit(() => reporter.close());
  const failures: ListFailure[] = [];
  /** The end after a signal, every download paused: what `--max-time` says, the failures, how to resume. */
  const stoppedBy = (received: StopSignal): number => {
    if (received === 'TIMEOUT') reporter.failed(MAX_TIME_CODE, maxTimeMessage(args.maxTimeMs ?? 0));
    reporter.paused(resumeCommand(argv), failures, true);
    reporter.close();
    return exitCodes[received];
  };
  if (signals.first !== null) {
    // Stopped while its lock was taken: nothing read nor started; the lock goes as this returns (its temp name went
    // as it was taken).
    return stoppedBy(signals.first);
  }
  // By the file, not by its path: a journal written through a link, or through the folder a link now leads to, is
  // this folder's. A stored item so found takes this command's target, which `reconcile` then compares.
  const identityOf = targetIdentities();
  const byTarget = new Map(targets.map((t) => [identityOf(t.target), t]));
  const queue = createQueue(
    {
      concurrency: args.jobs ?? 4,
      file: join(dir, queueFileName),
      paused: true,
      maxBytesPerSecond: args.maxBytesPerSecond,
      // The options of this command, not those stored: a password or a header is never in the file (R37).
      // Only for the same URL: an item whose URL changed is forgotten by `reconcile`, never done under the new one.
      restore: (saved) => {
        const t = byTarget.get(identityOf(saved.target));
        return t === undefined || storedUrl(t.url) !== saved.url ? saved : optionsOf(t);
      },
    },
    ports,
  );
  // Finished files whose checkpoint stays beside them (the queue could not record them): said once, at the end.
  let checkpointsKept = 0;
  queue.on('notice', (event) => {
    if (event.code === 'QUEUE_CHECKPOINT_KEPT') checkpointsKept += 1;
    else reporter.notice(event.message);
  });
  const sayCheckpointsKept = (): void => {
    if (checkpointsKept > 0)
      reporter.notice(
        `${checkpointsKept} finished file${checkpointsKept === 1 ? '' : 's'} keep their checkpoint (.rdl.json) beside them, since the queue could not record them; the same command adopts them with no request and removes it`,
      );
  };
  await queue.ready;
  if (signals.first !== null) {
    // Stopped while the list started up: no download has started, so there is no checkpoint to save, and the queue
    // is left as it was read.
    await queue.close();
    return stoppedBy(signals.first);
  }

  const { listed, skipped } = reconcile(queue, targets, optionsOf);
  const listItem = (id: string, t: ListTarget): ListItem => ({ id, url: storedUrl(t.url), target: t.target });
  for (const [id, t] of listed) if (skipped.has(id)) reporter.skipped(listItem(id, t));
  /** What is done to each finished file (`-R`), awaited before the command ends. */
  const finishing: Promise<void>[] = [];
  // The queue's events name their item: one listener for the list, and one for each download once it runs, for
  // what only the download says (`start`, `restart`). A listener an item made each an object before the list began
  // (some 10 s for 100 000), where an item the queue only holds is a row off the heap.
  const running = new Map<string, { readonly item: ListItem; readonly unsubscribe: () => void }>();
  const itemOf = (id: string): ListItem | undefined => {
    const t = listed.get(id);
    return running.get(id)?.item ?? (t === undefined ? undefined : listItem(id, t));
  };
  const ended = (id: string): void => {
    running.get(id)?.unsubscribe();
    running.delete(id);
  };
  queue.subscribe((event) => {
    if (event.type === 'started') {
      const item = itemOf(event.id);
      if (item === undefined || running.has(event.id)) return;
      const unsubscribe =
        queue.get(event.id)?.subscribe((said) => {
          if (said.type === 'start' || said.type === 'restart') reporter.event(item, said);
        }) ?? (() => undefined);
      running.set(event.id, { item, unsubscribe });
      return;
    }
    if (event.type !== 'progress' && event.type !== 'done' && event.type !== 'failed') return;
    const item = itemOf(event.id);
    if (item === undefined) return;
    if (event.type === 'progress') {
      reporter.event(item, { type: 'progress', progress: event.progress });
    } else if (event.type === 'done') {
      ended(event.id);
      finishing.push(finish(event.result));
      reporter.event(item, { type: 'done', result: event.result });
    } else {
      ended(event.id);
      reporter.event(item, { type: 'error', error: event.error });
      failures.push({ ...item, code: event.error.code, message: event.error.message });
    }
  });

  let signal: StopSignal | null = null;
  let grace: NodeJS.Timeout | undefined;
  signals.handle((received) => {
    if (signal !== null) exit(exitCodes[signal]);
    signal = received;
    queue.pauseAll();
    // Not every download paused in time: the list ends without vouching for their checkpoints.
    grace = setTimeout(() => {
      reporter.paused(resumeCommand(argv), failures, false);
      exit(exitCodes[received]);
    }, env.pauseGraceMs ?? PAUSE_GRACE_MS).unref();
  });
  queue.resumeAll();
  const summary = await queue.idle();
  await queue.flushed();
  await Promise.allSettled(finishing);
  // Paused in time: what is left is to print it.
  clearTimeout(grace);

  sayCheckpointsKept();
  if (signal !== null) return stoppedBy(signal);
  reporter.summary(summary, skipped.size, failures);
  reporter.close();
  return failures.length > 0 || summary.failed > 0 ? exitCodes.failed : exitCodes.ok;
};
