import { lazyBuiltin } from './lazyBuiltin.js';

const v8 = lazyBuiltin<typeof import('node:v8')>('node:v8');
const vm = lazyBuiltin<typeof import('node:vm')>('node:vm');

type MinorGc = () => void;

/**
 * V8's collector, obtained without `--expose-gc` on the command line (so that `node bin/rdl.js`, the pnpm shims and
 * library users all get it): the flag is set only while a fresh context is made, then cleared, so the program's own
 * global gains nothing. `null` where the engine refuses.
 */
const obtainMinorGc = (): MinorGc | null => {
  try {
    v8().setFlagsFromString('--expose-gc');
    const gc: unknown = vm().runInNewContext('gc');
    v8().setFlagsFromString('--no-expose-gc');
    if (typeof gc !== 'function') return null;
    return () => (gc as (options: { type: 'minor' }) => void)({ type: 'minor' });
  } catch {
    return null;
  }
};

/** Obtained at the first collection rather than at import: making a context costs every start a few ms. */
let minorGc: MinorGc | null | undefined;

/**
 * Every socket read gets a fresh 64 KiB buffer, and V8 frees the dead ones only at a scavenge, which it schedules by
 * the growth of its own heap, not of these external bytes: at loopback speed 30 to 60 MiB of spent socket buffers
 * pile up before one comes (node:http alone, 1 GiB from nginx: peak RSS 90 to 117 MiB). A minor collection every
 * `everyBytes` of body keeps them to about twice that (peak RSS 62 to 68 MiB, no measurable time: a scavenge of a
 * young generation this small takes well under a millisecond). `NodeHttp`'s 1 MiB receive slots are the same case:
 * fresh external memory per slot, freed at the scavenge after the reader drops its views.
 */
export class SocketBufferReclaimer {
  private since = 0;

  /** `everyBytes` 0 turns it off. */
  constructor(private readonly everyBytes: number) {}

  /** Counts `bytes` just received; collects the young generation each time `everyBytes` more arrived. */
  received(bytes: number): void {
    if (this.everyBytes <= 0 || minorGc === null) return;
    this.since += bytes;
    if (this.since < this.everyBytes) return;
    this.since = 0;
    minorGc ??= obtainMinorGc();
    minorGc?.();
  }
}
