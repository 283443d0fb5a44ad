import { readFileSync } from 'node:fs';

/**
 * The process's umask, read when asked (a host may change it). Linux (4.7 and later) tells it in
 * `/proc/self/status`; elsewhere `process.umask()` is asked, which learns it by setting it twice, a moment in which a
 * file another thread creates would get no umask at all: a library does not do that to its host where it can be
 * avoided. The read is synchronous: procfs answers from memory, never from a disk, and one call costs less than the
 * four thread-pool round trips (open, stat, read, close) of an asynchronous read, once a finished file.
 */
export const currentUmask = async (): Promise<number> => {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // Not Linux, or no procfs mounted: process.umask() below.
  }
  const line = /^Umask:\s*([0-7]+)$/m.exec(status);
  return line?.[1] === undefined ? process.umask() : Number.parseInt(line[1], 8);
};
