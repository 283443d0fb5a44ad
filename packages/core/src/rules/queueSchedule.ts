/**
 * Which queued downloads start, and how many connections each may use: the queue's scheduling, as pure rules.
 *
 * - Never more than `concurrency` downloads run at once.
 * - Waiting downloads start in the order of their positions. One is passed over only while its origin already
 *   runs `maxConnectionsPerOrigin` downloads (each needs a connection): a later one of another origin starts
 *   instead, and the one passed over starts first once its origin has room.
 * - The connections of an origin are shared: each download running on it may use `connectionShare` of them, so
 *   that together they stay within the cap. A big segmented download alone takes them all; small ones starting
 *   beside it take theirs from it, and it takes them back as they end. That is the fairness: a big download never
 *   makes the small ones wait for its connections, and a list of small ones never waits for a big one to end.
 */

/** A download the queue may start: its id, and the origin of its URL (scheme, host and port). */
export interface Candidate {
  readonly id: string;
  readonly origin: string;
}

export interface ScheduleInput {
  readonly concurrency: number;
  readonly maxConnectionsPerOrigin: number;
  /** The origins of the running downloads, one entry each. */
  readonly running: readonly string[];
  /** Waiting downloads in the order of their positions (a prefix of them is enough: the queue stops asking early). */
  readonly waiting: Iterable<Candidate>;
}

/** The ids to start now, in order. */
export const toStart = (input: ScheduleInput): readonly string[] => {
  const free = input.concurrency - input.running.length;
  if (free <= 0) return [];
  const perOrigin = countByOrigin(input.running);
  const starts: string[] = [];
  for (const candidate of input.waiting) {
    if (starts.length === free) break;
    const running = perOrigin.get(candidate.origin) ?? 0;
    if (running >= input.maxConnectionsPerOrigin) continue;
    perOrigin.set(candidate.origin, running + 1);
    starts.push(candidate.id);
  }
  return starts;
};

/** The connections one of `running` downloads on one origin may use: an equal share of the cap, at least one. */
export const connectionShare = (maxConnectionsPerOrigin: number, running: number): number =>
  Math.max(1, Math.floor(maxConnectionsPerOrigin / Math.max(1, running)));

export const countByOrigin = (origins: Iterable<string>): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const origin of origins) counts.set(origin, (counts.get(origin) ?? 0) + 1);
  return counts;
};
