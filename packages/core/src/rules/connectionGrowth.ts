/**
 * How many connections a segmented download uses (R43): a fixed number when the caller says so (`connections`),
 * else adaptive. It begins with one and steps while more connections add speed, up to `maxConnections`:
 *
 * - While every connection is paced (most of its time goes in long waits, `GAP_MS` or more, for its next bytes: the
 *   server sends in bursts, as a per-connection limit does, or a full TCP window waits for its round trip; a link
 *   that is the limit delivers its bytes evenly instead), the count is multiplied by `FAST_FACTOR` as soon as that
 *   has lasted `MIN_STEP_MS` and `STEP_RTTS` round trips. The first such step, from one connection, is followed at
 *   once by the next as soon as its connections have all answered (none refused): the server paces each
 *   connection and takes several, and waiting out a step of their own left twelve of sixteen idle for it (1 GiB
 *   from nginx at 20 MiB/s a connection). A count reached so settles once its connections are no longer paced
 *   (the link, or the host, is the limit now).
 * - Otherwise a step lasts `GROWTH_STEP_MS` (long enough to average a server's pacing bursts: nginx's `limit_rate`
 *   sends 2 MiB every 100 ms) and is judged by its speed: the first is the start's, not judged (slow start, cold
 *   code); the next, one connection's own speed, doubles, unless its connections hardly waited for bytes at all
 *   (`BUSY_SHARE`: the host is the limit, and the count settles); one that added less than `GROWTH_GAIN`
 *   is taken back and the count settles; one that added less than its share (`LINEAR_SHARE`) settles at the
 *   connections its speed shows in use; one near linear is followed by `FAST_FACTOR` times the count.
 *
 * A server that refuses an extra connection (429, 503, a refused or reset connect) settles it below what it refused.
 */
export interface Growth {
  /** The connections the download may use now. */
  readonly target: number;
  /** The count before the last step, which a step that adds too little goes back to. */
  readonly previousTarget: number;
  /** When the current count began, and the bytes received then. */
  readonly since: number;
  readonly bytesThen: number;
  /** The speed measured with `previousTarget`, `null` before the first judged step. */
  readonly previousSpeed: number | null;
  /** The current count was reached because the connections waited on the server. */
  readonly paced: boolean;
  /** No more steps: fixed, capped, a step that did not pay, or a refusal. */
  readonly settled: boolean;
  /**
   * The first judged step is over: its speed is that of a start (TCP's slow start, code not yet compiled, the
   * first answer's wait) and is not kept, so that the speed one connection is compared with is its own.
   */
  readonly warm: boolean;
}

/** A step judged by its speed lasts this long, in ms of the Clock. */
export const GROWTH_STEP_MS = 250;
/** The shortest a step lasts, and how often a segmented run looks at its growth. */
export const MIN_STEP_MS = 50;
/** A step lasts at least this many round trips (the time to an answer's head), so that TCP's slow start is over. */
export const STEP_RTTS = 4;
/** A wait for bytes this long or longer is a gap between bursts, not the even arrival of a busy link. */
export const GAP_MS = 20;
/** A connection that spent this share of a step or more in such gaps is paced. */
export const IDLE_SHARE = 0.5;
/** What a judged step must bring to be kept: this many times the speed before it. */
export const GROWTH_GAIN = 1.25;
/** A step whose speed grew by this share of its connections' growth or more is near linear. */
export const LINEAR_SHARE = 0.8;
/** A connection that waited for bytes less than this share of a step found them there: the host is the limit. */
export const BUSY_SHARE = 0.1;
/** A paced step, or one after a near-linear step, multiplies the count by this (a first judged step doubles). */
export const FAST_FACTOR = 4;

export const startGrowth = (
  now: number,
  bytes: number,
  policy: { readonly fixed: number | null; readonly max: number },
): Growth => {
  const target = Math.max(1, policy.fixed ?? 1);
  return {
    target,
    previousTarget: target,
    since: now,
    bytesThen: bytes,
    previousSpeed: null,
    paced: false,
    settled: policy.fixed !== null || target >= policy.max,
    warm: false,
  };
};

/** The shortest step for a round trip of `rttMs` (`null`: not known yet, then a judged step's length). */
const shortestStep = (rttMs: number | null): number =>
  rttMs === null ? GROWTH_STEP_MS : Math.max(MIN_STEP_MS, STEP_RTTS * rttMs);

/**
 * What the connections did in the current step, for `growAt`: the bytes received by all of them since it began,
 * and whether each of them was paced (spent at least `IDLE_SHARE` of its time in it in gaps of `GAP_MS` or more).
 */
export interface StepSample {
  readonly now: number;
  readonly bytes: number;
  readonly paced: boolean;
  /**
   * Whether every connection spent less than `BUSY_SHARE` of the step waiting for bytes: the host, not the link,
   * is the limit, and more connections would only share it. Absent: not known.
   */
  readonly busy?: boolean;
  /** The shortest time to an answer's head seen, `null` before the first. */
  readonly rttMs: number | null;
  /**
   * Whether every connection of the current count has brought bytes of an answer that was taken (none is still
   * connecting or waiting, none was refused). Absent: not known.
   */
  readonly answered?: boolean;
}

/** The growth after `sample`. Nothing changes before a step is due, or once settled. */
export const growAt = (growth: Growth, sample: StepSample, max: number): Growth => {
  if (growth.settled) return growth;
  const { now, bytes, paced, rttMs } = sample;
  const elapsed = now - growth.since;
  const speed = elapsed > 0 ? ((bytes - growth.bytesThen) * 1000) / elapsed : 0;
  const step = (target: number, byPace: boolean): Growth => ({
    target,
    previousTarget: growth.target,
    since: now,
    bytesThen: bytes,
    previousSpeed: byPace ? null : speed,
    paced: byPace,
    settled: target >= max && target === growth.target,
    warm: true,
  });
  // The first paced step's connections were all taken: the next step by pace needs no measure of its own.
  if (growth.paced && growth.previousTarget === 1 && growth.target > 1 && sample.answered === true)
    return step(Math.min(max, growth.target * FAST_FACTOR), true);
  if (elapsed < shortestStep(rttMs)) return growth;
  if (paced) return step(Math.min(max, growth.target * FAST_FACTOR), true);
  if (elapsed < GROWTH_STEP_MS) return growth;
  // Its connections no longer wait on the server: what limits them now is the link or the host.
  if (growth.paced) return { ...growth, settled: true };
  // The start is over: the step that measures the first count begins now.
  if (!growth.warm) return { ...growth, since: now, bytesThen: bytes, warm: true };
  // Bytes were there at every read: another connection would share this host, not add a link.
  if (sample.busy === true) return { ...growth, settled: true };
  if (growth.previousSpeed === null) return step(Math.min(max, growth.target * 2), false);
  const gain = growth.previousSpeed > 0 ? speed / growth.previousSpeed : Number.POSITIVE_INFINITY;
  if (gain < GROWTH_GAIN) return { ...growth, target: growth.previousTarget, settled: true };
  const grew = growth.target / growth.previousTarget;
  if (gain < LINEAR_SHARE * grew) {
    const used = Math.ceil(growth.previousTarget * gain);
    return {
      ...growth,
      target: Math.max(growth.previousTarget, Math.min(growth.target, used)),
      settled: true,
    };
  }
  return step(Math.min(max, growth.target * FAST_FACTOR), false);
};

/** The server refused an extra connection while `alive` were running: the count settles at those (at least one). */
export const refusedAt = (growth: Growth, alive: number): Growth => ({
  ...growth,
  target: Math.max(1, Math.min(growth.target, alive)),
  settled: true,
});
