import { readFile } from 'node:fs/promises';

/**
 * The process's umask. Linux (4.7 and later) tells it in `/proc/self/status`; elsewhere `process.umask()` is asked,
 * which learns it by setting it twice, a moment in which a file another thread creates would get no umask at all:
 * a library does not do that to its host where it can be avoided.
 */
export const currentUmask = async (): Promise<number> => {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const line = /^Umask:\s*([0-7]+)$/m.exec(status);
  return line?.[1] === undefined ? process.umask() : Number.parseInt(line[1], 8);
};
