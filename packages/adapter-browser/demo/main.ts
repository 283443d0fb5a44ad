import type { Download, DownloadEvent } from '@rdl/core';
import { createWorkerDownload, getDownloadedFile, saveFile } from '../src/index.js';

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

const log = (line: string) => {
  const item = document.createElement('li');
  item.textContent = line;
  $('log').prepend(item);
};

const show = (event: DownloadEvent) => {
  switch (event.type) {
    case 'state':
      text('state', event.state);
      log(`state ${event.state}`);
      return;
    case 'start':
      text('resumed-from', String(event.resumedFrom));
      log(`start from ${event.resumedFrom} of ${event.total ?? 'unknown'}`);
      return;
    case 'progress': {
      const { bytes, fraction, bytesPerSecond, etaSeconds } = event.progress;
      const percent = fraction === null ? 0 : Math.min(100, Math.floor(fraction * 100));
      const bar = $('progress');
      bar.setAttribute('aria-valuenow', String(percent));
      $('bar').style.width = `${percent}%`;
      text('percent', `${percent} %`);
      text('bytes', String(bytes));
      $('bytes').title = mib(bytes);
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
      ($('save') as HTMLButtonElement).disabled = false;
      return;
    case 'error':
      text('error', `${event.error.code}: ${event.error.message}`);
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

$('start').addEventListener('click', () => {
  const state = download?.getSnapshot().state;
  if (download !== null && state !== 'done' && state !== 'failed' && state !== 'cancelled') {
    download.start();
    return;
  }
  restarts = [];
  for (const id of ['sha256', 'error', 'resumed-from']) text(id, id === 'resumed-from' ? '–' : '');
  text('restarts', 'none');
  ($('save') as HTMLButtonElement).disabled = true;
  const checkpointIntervalMs = numberParam('checkpointIntervalMs');
  const writeBufferBytes = numberParam('writeBufferBytes');
  download = createWorkerDownload(
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
  download.subscribe(show);
  download.start();
});
$('pause').addEventListener('click', () => download?.pause());
$('resume').addEventListener('click', () => download?.resume());
$('cancel').addEventListener('click', () => download?.cancel());
$('save').addEventListener('click', async () => {
  const file = await getDownloadedFile(targetInput.value);
  await saveFile(file, targetInput.value.split('/').pop() ?? 'download.bin');
});
document.body.dataset.ready = 'true';
