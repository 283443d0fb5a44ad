import { readFile } from 'node:fs/promises';
import type { Checkpoint } from '@rdl/core';
import { decodeCheckpoint } from '@rdl/core/rules';

/**
 * Resolves the checkpoint saved at `path` once one that `accept` takes is there (the file read every 5 ms, each new
 * text decoded), or `null` after `timeoutMs`: a test kills a run right after such a save, so that what a kill can
 * lose is only what arrived since.
 */
export const checkpointWhen = async (
  path: string,
  accept: (checkpoint: Checkpoint) => boolean,
  timeoutMs = 30_000,
): Promise<Checkpoint | null> => {
  const until = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < until) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text !== seen) {
      seen = text;
      const decoded = decodeCheckpoint(text);
      if (decoded._tag === 'Right' && accept(decoded.right)) return decoded.right;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return null;
};
