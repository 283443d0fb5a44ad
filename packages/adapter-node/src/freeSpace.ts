/** How long a reading of a file system's free space answers for the downloads that come after it. */
export const FREE_SPACE_FRESH_MS = 1000;

/** One reading of a file system's free space, and the claimed bytes written since it (the space they took). */
interface Reading {
  readonly free: number;
  readonly at: number;
  written: number;
}

/**
 * What the downloads into one file system hold, whatever folders of it they write in: the claims of those running,
 * and the last reading, while it answers.
 */
interface Volume {
  readonly claims: Set<SpaceClaim>;
  reading: Reading | null;
}

/**
 * The bytes one running download still has to write into its folder, from the check that let it start until it
 * ends: counted against the free space of every later check, so that downloads that passed but have not written
 * yet are not promised the same space twice (R40).
 */
export class SpaceClaim {
  #left: number;
  readonly #volume: Volume;

  constructor(volume: Volume, bytes: number) {
    this.#volume = volume;
    this.#left = bytes;
  }

  /** The bytes still to come. */
  get left(): number {
    return this.#left;
  }

  /** `bytes` were written: they are on the disk now, out of what is free, and no longer to come. */
  wrote(bytes: number): void {
    const taken = Math.min(bytes, this.#left);
    this.#left -= taken;
    if (this.#volume.reading !== null) this.#volume.reading.written += taken;
  }

  /** The download ended (finished, failed, paused): it asks nothing more of the file system. */
  release(): void {
    this.#left = 0;
    this.#volume.claims.delete(this);
  }
}

/** What `FreeSpace.room` answers. */
export interface Room {
  /** The free bytes known of the file system. */
  readonly free: number;
  /** The bytes other running downloads into it still have to write, counted as taken of `free`. */
  readonly promised: number;
  /** How many running downloads those bytes are promised to. */
  readonly promisedTo: number;
  /** Whether the request fits beside them. */
  readonly fits: boolean;
  /** This download's claim, when it fits. */
  readonly claim: SpaceClaim | null;
}

/**
 * R40 for many downloads into one file system: whether `bytes` fit in its free space, beside the bytes the other
 * running downloads into it still have to write, asking the file system (`read`, a statfs of the asking download's
 * folder) only when no recent reading answers for certain. Readings and claims are kept by file system (the
 * device a download's part file is on), not by folder: the items of a list written to s1/, s2/, … of one disk
 * all take from the same free space. A reading younger than `FREE_SPACE_FRESH_MS`, less the claimed bytes
 * written since it, answers while this request and the others' outstanding bytes are at most half of it; any other
 * request reads again (and one for more than half always does, so that a download that cannot fit is refused by a
 * reading of its own). A list of a thousand small files into one folder asked statfs a thousand times, a
 * thread-pool round trip each, about one a millisecond.
 *
 * What another process writes meanwhile is not seen until the next reading, as it is not between a statfs and the
 * first write in any case: the check is the early, typed refusal R40 asks for, and a disk that fills anyway fails
 * the write itself with `NoSpace` (R29), the checkpoint counting only what was written.
 */
export class FreeSpace {
  readonly #volumes = new Map<number, Volume>();
  readonly #read: (folder: string) => Promise<number>;
  readonly #now: () => number;

  constructor(read: (folder: string) => Promise<number>, now: () => number = () => performance.now()) {
    this.#read = read;
    this.#now = now;
  }

  /**
   * The free bytes known of file system `device` (read at `folder`, one of its folders), whether `bytes` fit in
   * them beside the other downloads' claims there (what is promised, and to how many), and when they do, this
   * download's claim (`replacing` its earlier one, which is released either way).
   */
  async room(
    device: number,
    folder: string,
    bytes: number,
    replacing: SpaceClaim | null = null,
  ): Promise<Room> {
    replacing?.release();
    const known = this.#volumes.get(device)?.reading;
    if (known != null && this.#now() - known.at < FREE_SPACE_FRESH_MS) {
      const free = known.free - known.written;
      const outstanding = this.#outstanding(device);
      if (2 * (outstanding.promised + bytes) <= free)
        return { free, ...outstanding, fits: true, claim: this.#claim(device, bytes) };
    }
    const free = await this.#read(folder);
    // Read after the statfs: claims made while it ran count too.
    const outstanding = this.#outstanding(device);
    const fits = outstanding.promised + bytes <= free;
    const entry = this.#volume(device);
    entry.reading = fits ? { free, at: this.#now(), written: 0 } : null;
    // File systems no longer written to go once stale, so that the map stays as small as the set in use.
    if (this.#volumes.size > 64) this.#sweep();
    return { free, ...outstanding, fits, claim: fits ? this.#claim(device, bytes) : null };
  }

  #outstanding(device: number): { readonly promised: number; readonly promisedTo: number } {
    let promised = 0;
    let promisedTo = 0;
    for (const claim of this.#volumes.get(device)?.claims ?? []) {
      if (claim.left === 0) continue;
      promised += claim.left;
      promisedTo += 1;
    }
    return { promised, promisedTo };
  }

  #volume(device: number): Volume {
    let entry = this.#volumes.get(device);
    if (entry === undefined) {
      entry = { claims: new Set(), reading: null };
      this.#volumes.set(device, entry);
    }
    return entry;
  }

  #claim(device: number, bytes: number): SpaceClaim {
    const entry = this.#volume(device);
    const claim = new SpaceClaim(entry, bytes);
    entry.claims.add(claim);
    return claim;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [device, entry] of this.#volumes) {
      if (
        entry.claims.size === 0 &&
        (entry.reading === null || now - entry.reading.at >= FREE_SPACE_FRESH_MS)
      )
        this.#volumes.delete(device);
    }
  }
}
