import type { QueueItem } from '@rdl/core';
import { printable } from '@rdl/core/rules';
import { createQueue, savedDownload } from '../src/index.js';

/**
 * The demo's list: one browser queue (R45) kept in IndexedDB, one row an item with its own bar and a Pause/Resume
 * button. After a reload the queue is created again over the same database: the rows come back and go on.
 */

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing`);
  return element as T;
};

const params = new URLSearchParams(location.search);
const numberParam = (name: string): number | undefined => {
  const value = params.get(name);
  return value === null ? undefined : Number(value);
};

const queue = createQueue({ concurrency: numberParam('queueConcurrency') ?? 4 });
const list = $<HTMLOListElement>('queue-list');
const rows = new Map<string, HTMLLIElement>();
/** Bytes OPFS holds of a restored item that has not run in this page yet (its bar after a reload). */
const savedBytes = new Map<string, { bytes: number; total: number | null }>();

/** A segment percent-decoded; one that does not decode (`%E0%A4%A`) is kept as written, as the command does. */
const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * The target a URL gets: its last path segment, decoded, made unique among the items. An encoded `/` or `\`
 * (`sub%2Fx.bin`) is `_`, as the command makes it: a name, never folders; `.` and `..` are no names.
 */
const targetFor = (url: URL): string => {
  const decoded = decodeSegment(url.pathname.split('/').pop() ?? '').replace(/[/\\]/g, '_');
  const base = decoded === '' || decoded === '.' || decoded === '..' ? 'download.bin' : decoded;
  const taken = new Set(queue.items().map((item) => item.target));
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${n}-${base}`;
  return name;
};

const rowFor = (item: QueueItem): HTMLLIElement => {
  const known = rows.get(item.id);
  if (known !== undefined) return known;
  const row = document.createElement('li');
  row.className = 'queue-row';
  row.dataset.testid = 'queue-row';
  row.dataset.id = item.id;
  row.dataset.target = item.target;
  const shown = printable(item.target);
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = shown;
  name.title = printable(item.url);
  const track = document.createElement('div');
  track.className = 'track';
  track.setAttribute('role', 'progressbar');
  track.setAttribute('aria-label', `Progress of ${shown}`);
  track.setAttribute('aria-valuemin', '0');
  track.setAttribute('aria-valuemax', '100');
  const fill = document.createElement('div');
  fill.className = 'fill';
  track.append(fill);
  const state = document.createElement('span');
  state.className = 'state';
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.addEventListener('click', () => {
    const now = row.dataset.state;
    if (now === 'queued' || now === 'running') queue.pause(item.id);
    else queue.resume(item.id);
  });
  row.append(name, track, state, toggle);
  rows.set(item.id, row);
  list.append(row);
  return row;
};

const show = (item: QueueItem) => {
  const row = rowFor(item);
  const saved = savedBytes.get(item.id);
  const bytes = item.state === 'done' ? (item.bytes ?? 0) : (item.progress?.bytes ?? saved?.bytes ?? 0);
  const total = item.state === 'done' ? (item.bytes ?? 0) : (item.progress?.total ?? saved?.total ?? null);
  const percent =
    item.state === 'done'
      ? 100
      : total === null || total === 0
        ? 0
        : Math.min(100, Math.floor((bytes / total) * 100));
  row.dataset.state = item.state;
  row.dataset.bytes = String(bytes);
  const track = row.querySelector<HTMLElement>('.track');
  track?.setAttribute('aria-valuenow', String(percent));
  const fill = row.querySelector<HTMLElement>('.fill');
  if (fill !== null) fill.style.width = `${percent}%`;
  const state = row.querySelector<HTMLElement>('.state');
  if (state !== null) {
    state.textContent =
      item.state === 'failed' ? `failed: ${item.failure?.code ?? ''}` : `${item.state} ${percent} %`;
    state.title = printable(item.failure?.message ?? '');
  }
  const toggle = row.querySelector<HTMLButtonElement>('button');
  if (toggle !== null) {
    const pausing = item.state === 'queued' || item.state === 'running';
    toggle.textContent = pausing ? 'Pause' : 'Resume';
    toggle.setAttribute('aria-label', `${toggle.textContent} ${printable(item.target)}`);
    toggle.disabled = item.state === 'done';
  }
};

const render = () => {
  const items = queue.items();
  const live = new Set(items.map((item) => item.id));
  for (const [id, row] of rows) {
    if (!live.has(id)) {
      row.remove();
      rows.delete(id);
    }
  }
  for (const item of items) show(item);
};

queue.subscribe((event) => {
  if (event.type === 'notice') console.warn(printable(`queue ${event.code}: ${event.message}`));
  render();
});

/** Says what became of the lines last added: each refused line with why, escaped (R38). */
const tell = (refused: readonly string[]) => {
  const message = $('queue-message');
  message.textContent = refused.map((line) => printable(line)).join('\n');
  message.hidden = refused.length === 0;
};

$<HTMLFormElement>('queue-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $<HTMLTextAreaElement>('queue-urls');
  const lines = input.value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const checkpointIntervalMs = numberParam('checkpointIntervalMs');
  const writeBufferBytes = numberParam('writeBufferBytes');
  // Each line is added or refused on its own: one bad line never drops the others, and stays to be fixed.
  const kept: string[] = [];
  const refused: string[] = [];
  for (const line of lines) {
    try {
      const url = new URL(line);
      await queue.add({
        url: url.href,
        target: targetFor(url),
        retry: { minDelayMs: 200, maxDelayMs: 2_000, retries: 20 },
        ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
        ...(writeBufferBytes === undefined ? {} : { writeBufferBytes }),
      });
    } catch (error) {
      kept.push(line);
      refused.push(`not added: ${line}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  input.value = kept.join('\n');
  tell(refused);
  render();
});

await queue.ready;
// Restored items that have not run here show what OPFS holds of them until their first progress.
for (const item of queue.items()) {
  if (item.state === 'done' || item.progress !== null) continue;
  const saved = await savedDownload(item.target);
  if (saved !== null) savedBytes.set(item.id, { bytes: saved.bytes, total: saved.total });
}
render();
$('queue').dataset.ready = 'true';
