/** How long a reading of a folder's free space answers for the downloads that come after it. */
export const FREE_SPACE_FRESH_MS = 1000;

/** One reading of a folder's free space, and the bytes the downloads of this process have asked of it since. */
interface Reading {
  readonly free: number;
  readonly at: number;
  claimed: number;
}

/**
 * R40 for many downloads into one folder: whether `bytes` fit in the free space of the folder's file system, asking
 * the file system (`read`, a statfs) only when no recent reading answers for certain. A reading younger than
 * `FREE_SPACE_FRESH_MS` answers while the bytes claimed since it, these included, are at most half of what it found
 * free; any other request reads again (and a request for more than half of what is free always does, so that a
 * download that cannot fit is refused by a reading of its own). A list of a thousand small files into one folder
 * asked statfs a thousand times, a thread-pool round trip each, about one a millisecond.
 *
 * What another process writes meanwhile is not seen until the next reading, as it is not between a statfs and the
 * first write in any case: the check is the early, typed refusal R40 asks for, and a disk that fills anyway fails
 * the write itself with `NoSpace` (R29), the checkpoint counting only what was written.
 */
export class FreeSpace {
  readonly #readings = new Map<string, Reading>();
  readonly #read: (folder: string) => Promise<number>;
  readonly #now: () => number;

  constructor(read: (folder: string) => Promise<number>, now: () => number = () => performance.now()) {
    this.#read = read;
    this.#now = now;
  }

  /** The free bytes known of `folder`'s file system, and whether `bytes` fit in them. */
  async room(folder: string, bytes: number): Promise<{ readonly free: number; readonly fits: boolean }> {
    const known = this.#readings.get(folder);
    if (known !== undefined && this.#now() - known.at < FREE_SPACE_FRESH_MS) {
      if (2 * (known.claimed + bytes) <= known.free) {
        known.claimed += bytes;
        return { free: known.free, fits: true };
      }
    }
    const free = await this.#read(folder);
    const fits = bytes <= free;
    if (fits) this.#readings.set(folder, { free, at: this.#now(), claimed: bytes });
    else this.#readings.delete(folder);
    // Readings of folders no longer written in go once stale, so that the map stays as small as the set in use.
    if (this.#readings.size > 64) this.#sweep();
    return { free, fits };
  }

  #sweep(): void {
    const now = this.#now();
    for (const [folder, reading] of this.#readings) {
      if (now - reading.at >= FREE_SPACE_FRESH_MS) this.#readings.delete(folder);
    }
  }
}
