import type { StateValue } from 'xstate';
import type { DownloadState } from '../model/download.js';
import type { DownloadContext } from './context.js';

/** Machine states callers see under their own name. */
const SHOWN = new Set<string>([
  'idle',
  'preparing',
  'heading',
  'waiting',
  'verifying',
  'paused',
  'cancelling',
  'cancelled',
  'failed',
  'done',
] satisfies DownloadState[]);

const topOf = (value: StateValue): { readonly top: string; readonly sub: StateValue | null } => {
  if (typeof value === 'string') return { top: value, sub: null };
  const [top, sub] = Object.entries(value)[0] ?? ['idle', null];
  return { top, sub: sub ?? null };
};

/**
 * The state a caller sees for a machine snapshot, `shown` being the one shown until now.
 *
 * - The steps of the machine that have no public name show what they are part of: `deciding` (the probe's verdict)
 *   and `refreshing` (asking `refreshUrl` for new URLs before the next probe, R18) are `heading`; `recognising`
 *   (is the target already finished? R19) is `preparing`, and `adopting` (checking that finished target) and
 *   `committing` (the rename of the verified file) are `verifying`.
 * - A stop on its way shows what it is for: `pausing` while the transfer saves its checkpoint and the file closes
 *   (R24), `cancelling` when a cancel came too.
 * - `failing` closes the file (and releases the lock) before `result` rejects: it keeps `shown`, so that `failed`
 *   appears only when it is final, together with the `error` event, and a caller that starts again on `failed` never
 *   finds the target busy.
 */
export const publicStateOf = (
  value: StateValue,
  context: Pick<DownloadContext, 'stopIntent'>,
  shown: DownloadState,
): DownloadState => {
  const { top, sub } = topOf(value);
  const stopping = context.stopIntent === 'cancel' ? 'cancelling' : 'pausing';
  if (SHOWN.has(top)) return top as DownloadState;
  switch (top) {
    case 'recognising':
      return 'preparing';
    case 'adopting':
    case 'committing':
      return 'verifying';
    case 'deciding':
    case 'refreshing':
      return 'heading';
    case 'downloading':
      return sub === 'stopping' ? stopping : 'downloading';
    case 'pausing':
      return stopping;
    default:
      return shown;
  }
};
