import type { Download, DownloadEvent, DownloadState } from '@rdl/core';
import { printable } from '@rdl/core/rules';
import {
  createWorkerDownload,
  getDownloadedFile,
  type SavedDownload,
  savedDownload,
  saveFile,
} from '../src/index.js';

/** What the demo server tells the page: where the fault-injecting file server is. */
interface DemoConfig {
  readonly filesOrigin: string;
  readonly defaultFile: string;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing`);
  return element as T;
};

const params = new URLSearchParams(location.search);
const config = (await (await fetch('/__rdl/config')).json()) as DemoConfig;
const urlInput = $<HTMLInputElement>('url');
const targetInput = $<HTMLInputElement>('target');
urlInput.value = params.get('url') ?? `${config.filesOrigin}/files/${config.defaultFile}`;
targetInput.value = params.get('target') ?? config.defaultFile;

const numberParam = (name: string): number | undefined => {
  const value = params.get(name);
  return value === null ? undefined : Number(value);
};

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MiB`;
const text = (id: string, value: string) => {
  $(id).textContent = value;
};

let download: Download | null = null;
let restarts: string[] = [];
/** What OPFS holds of the target while no download of it runs here (after a reload, a failure, a second tab). */
let saved: SavedDownload | null = null;

type ButtonName = 'start' | 'pause' | 'resume' | 'cancel';
const button = (name: ButtonName | 'save') => $<HTMLButtonElement>(name);

/** Where the download of this page is: no download object yet, or the last one's state. */
const currentState = (): DownloadState | null => download?.getSnapshot().state ?? null;

const running: readonly DownloadState[] = ['preparing', 'heading', 'downloading', 'waiting'];
const over: readonly (DownloadState | null)[] = [null, 'done', 'failed', 'cancelled'];

/**
 * Each button is enabled only where it acts. Start begins a download when nothing is saved; Resume goes on from a
 * pause, retries at once while waiting, or goes on from what is saved; Pause stops a running download; Cancel stops
 * one and deletes its bytes, or deletes what is saved.
 */
const enabled = (state: DownloadState | null): Record<ButtonName, boolean> => {
  const idle = over.includes(state);
  return {
    start: idle && saved === null,
    resume: state === 'paused' || state === 'waiting' || (idle && saved !== null),
    pause: state !== null && running.includes(state),
    cancel: (state !== null && running.includes(state)) || state === 'paused' || (idle && saved !== null),
  };
};

const refreshButtons = () => {
  const now = enabled(currentState());
  for (const name of ['start', 'pause', 'resume', 'cancel'] as const) button(name).disabled = !now[name];
};

const showBytes = (bytes: number, total: number | null) => {
  const percent = total === null || total === 0 ? 0 : Math.min(100, Math.floor((bytes / total) * 100));
  $('progress').setAttribute('aria-valuenow', String(percent));
  $('bar').style.width = `${percent}%`;
  text('percent', `${percent} %`);
  text('bytes', total === null ? String(bytes) : `${bytes} of ${total}`);
  $('bytes').title = total === null ? mib(bytes) : `${mib(bytes)} of ${mib(total)}`;
};

/**
 * Reads what OPFS holds of the target and shows it, unless a download of it is live here. Before any download of
 * this page (a reload, a new tab, another target typed in), the state reads `saved`; after one that ended, its
 * final state stays.
 */
const showSaved = async () => {
  if (!over.includes(currentState())) return;
  saved = await savedDownload(targetInput.value);
  if (download === null) text('state', saved === null ? 'idle' : 'saved');
  if (saved !== null) {
    showBytes(saved.bytes, saved.total);
    text('checkpointed', String(saved.bytes));
  } else if (download === null) {
    showBytes(0, null);
    text('checkpointed', '0');
  }
  refreshButtons();
};

const log = (line: string) => {
  const item = document.createElement('li');
  // A name, a URL or a server's message in it shows its controls escaped (R38): a bidi override reads as what it is.
  item.textContent = printable(line);
  $('log').prepend(item);
};

const show = (event: DownloadEvent) => {
  switch (event.type) {
    case 'state':
      text('state', event.state);
      log(`state ${event.state}`);
      refreshButtons();
      if (over.includes(event.state)) void showSaved();
      return;
    case 'start':
      text('resumed-from', String(event.resumedFrom));
      log(`start from ${event.resumedFrom} of ${event.total ?? 'unknown'}`);
      return;
    case 'progress': {
      const { bytes, total, bytesPerSecond, etaSeconds } = event.progress;
      showBytes(bytes, total);
      text('speed', `${mib(bytesPerSecond)}/s`);
      text('eta', etaSeconds === null ? '–' : `${Math.ceil(etaSeconds)} s`);
      return;
    }
    case 'restart':
      restarts = [...restarts, event.reason];
      text('restarts', restarts.join(', '));
      log(`restart: ${event.reason}`);
      return;
    case 'retry':
      log(`retry ${event.attempt} in ${event.delayMs} ms: ${event.failure._tag}`);
      return;
    case 'notice':
      log(`notice ${event.code}: ${event.message}`);
      return;
    case 'done':
      text('sha256', event.result.sha256 ?? '');
      log(`done: ${event.result.bytes} bytes`);
      button('save').disabled = false;
      return;
    case 'error':
      text('error', printable(`${event.error.code}: ${event.error.message}`));
      log(`error ${event.error.code}`);
      return;
  }
};

const control = (body: object) =>
  fetch(`${config.filesOrigin}/_control`, { method: 'POST', body: JSON.stringify(body) });

$('fault').addEventListener('change', async (event) => {
  const select = event.target as HTMLSelectElement;
  if (select.value === 'cut') await control({ cutTimes: 1000, cutAfterBytes: 4 * 1048576 });
  if (select.value === 'ignore-range') await control({ ignoreRangeTimes: 1 });
  if (select.value === 'change') await fetch(`/__rdl/change?name=${encodeURIComponent(targetInput.value)}`);
  if (select.value === 'none') await control({ cutTimes: 0, ignoreRangeTimes: 0 });
  log(`fault: ${select.value}`);
});

/** A new download of the form's URL and target, shown on this page; `start()` goes on from what is saved. */
const newDownload = (): Download => {
  restarts = [];
  for (const id of ['sha256', 'error', 'resumed-from']) text(id, id === 'resumed-from' ? '–' : '');
  text('restarts', 'none');
  button('save').disabled = true;
  saved = null;
  const checkpointIntervalMs = numberParam('checkpointIntervalMs');
  const writeBufferBytes = numberParam('writeBufferBytes');
  const created = createWorkerDownload(
    {
      url: urlInput.value,
      target: targetInput.value,
      computeSha256: true,
      retry: { minDelayMs: 200, maxDelayMs: 2_000, retries: 20 },
      ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
      ...(writeBufferBytes === undefined ? {} : { writeBufferBytes }),
    },
    {
      onCheckpoint: (bytes) => {
        text('checkpointed', String(bytes));
      },
    },
  );
  download = created;
  created.subscribe(show);
  return created;
};

$('start').addEventListener('click', () => newDownload().start());
$('resume').addEventListener('click', () => {
  const state = currentState();
  if (state === 'paused' || state === 'waiting') download?.resume();
  else newDownload().start();
});
$('pause').addEventListener('click', () => download?.pause());
$('cancel').addEventListener('click', () => {
  if (over.includes(currentState())) newDownload().cancel();
  else download?.cancel();
});
targetInput.addEventListener('change', () => {
  void showSaved();
});
$('save').addEventListener('click', async () => {
  const file = await getDownloadedFile(targetInput.value);
  await saveFile(file, targetInput.value.split('/').pop() ?? 'download.bin');
});
await showSaved();
document.body.dataset.ready = 'true';
