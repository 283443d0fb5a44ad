import { describe, expect, it } from 'vitest';
import { patternBytes } from '../../demo/patternBytes.js';
import { DemoTab, MiB, useDemo } from './demoHarness.js';

const run = useDemo();

/** A row of the demo's list as the page shows it. */
interface Row {
  readonly id: string;
  readonly target: string;
  readonly state: string;
  readonly bytes: number;
}

const rows = (tab: DemoTab): Promise<Row[]> =>
  tab.page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="queue-row"]')].map((row) => ({
      id: row.dataset.id ?? '',
      target: row.dataset.target ?? '',
      state: row.dataset.state ?? '',
      bytes: Number(row.dataset.bytes),
    })),
  );

/** Waits (by polling the page, no fixed delay) until the row of `target` satisfies `test` (of `state`, `bytes`). */
const waitForRow = async (tab: DemoTab, target: string, test: string): Promise<void> => {
  await tab.page.waitForFunction(
    ([name, body]) => {
      const row = document.querySelector<HTMLElement>(`[data-testid="queue-row"][data-target="${name}"]`);
      if (row === null) return false;
      return new Function('state', 'bytes', `return (${body});`)(
        row.dataset.state,
        Number(row.dataset.bytes),
      );
    },
    [target, test] as const,
    { timeout: 0, polling: 20 },
  );
};

/** The SHA-256 of an OPFS file, read in the page (`null` if there is none). */
const opfsSha256 = (tab: DemoTab, name: string): Promise<string | null> =>
  tab.page.evaluate(async (file) => {
    try {
      const root = await navigator.storage.getDirectory();
      const bytes = await (await (await root.getFileHandle(file)).getFile()).arrayBuffer();
      return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('');
    } catch {
      return null;
    }
  }, name);

const gets = (name: string) =>
  run.demo.files.requests.filter((r) => r.method === 'GET' && r.path === `/files/${name}`);

const offsetOf = (range: string | null | undefined): number =>
  Number(/^bytes=(\d+)-\d*$/.exec(range ?? '')?.[1] ?? Number.NaN);

/** The data GETs among `requests`: not a probe's `bytes=0-0`. */
const dataGets = <T extends { readonly range?: string | null }>(requests: readonly T[]): T[] =>
  requests.filter((r) => r.range !== 'bytes=0-0');

describe('the demo page’s queue in headless Chromium', () => {
  it('R45: three URLs, one paused, the page reloaded: the list comes back from IndexedDB, goes on from checkpoints, fetches no finished file again, all byte-exact', async () => {
    const small = { name: 'queue-small.bin', size: 512 * 1024 };
    const paused = { name: 'queue-paused.bin', size: 16 * MiB };
    const running = { name: 'queue-running.bin', size: 16 * MiB };
    const sha = new Map<string, string>();
    [small, paused, running].forEach((file, index) => {
      sha.set(file.name, run.demo.files.setFile(file.name, patternBytes(file.size, 300 + index)));
    });
    // Every body is held at 6 MiB: the small file finishes, the two big ones stop part-way, checkpointed.
    Object.assign(run.demo.files.faults, { bytesPerTick: 64 * 1024, tickMs: 5, holdAt: 6 * MiB });
    const tab = await DemoTab.open(run.demo, run.context, {
      checkpointIntervalMs: '50',
      writeBufferBytes: String(64 * 1024),
    });
    await tab.queueReady();
    const urls = [small, paused, running].map((file) => `${run.demo.files.origin}/files/${file.name}`);
    await tab.page.getByTestId('queue-urls').fill(urls.join('\n'));
    await tab.page.getByRole('button', { name: 'Add to queue', exact: true }).click();

    await waitForRow(tab, small.name, `state === 'done'`);
    await waitForRow(tab, paused.name, `bytes >= ${4 * MiB}`);
    await tab.page.getByRole('button', { name: `Pause ${paused.name}`, exact: true }).click();
    await waitForRow(tab, paused.name, `state === 'paused'`);
    await waitForRow(tab, running.name, `state === 'running' && bytes >= ${4 * MiB}`);
    const before = await rows(tab);
    expect(before.map((row) => [row.target, row.state])).toEqual([
      [small.name, 'done'],
      [paused.name, 'paused'],
      [running.name, 'running'],
    ]);
    const smallGets = gets(small.name).length;
    const runningGets = gets(running.name).length;
    expect(smallGets).toBe(1);

    await tab.reload();
    await tab.queueReady();
    // The same items, in the same order, under the same ids: the finished one done, the paused one still paused.
    const after = await rows(tab);
    expect(after.map((row) => [row.id, row.target])).toEqual(before.map((row) => [row.id, row.target]));
    expect(after[0]?.state).toBe('done');
    expect(after[1]?.state).toBe('paused');
    // What OPFS holds of the paused one is on its bar before it runs again.
    expect(after[1]?.bytes).toBeGreaterThanOrEqual(4 * MiB);

    run.demo.files.release();
    run.demo.files.faults.holdAt = null;
    await waitForRow(tab, running.name, `state === 'done'`);
    const pausedGets = gets(paused.name).length;
    await tab.page.getByRole('button', { name: `Resume ${paused.name}`, exact: true }).click();
    await waitForRow(tab, paused.name, `state === 'done'`);

    // The finished file was not fetched again; the two others went on from their checkpoints by a Range.
    expect(gets(small.name)).toHaveLength(smallGets);
    // Every data request after the reload (one or several connections) starts past the saved bytes: none from 0.
    const runningResumed = dataGets(gets(running.name).slice(runningGets));
    expect(runningResumed.length).toBeGreaterThanOrEqual(1);
    for (const r of runningResumed)
      expect(offsetOf(r.range), r.range ?? 'no Range').toBeGreaterThanOrEqual(4 * MiB);
    const pausedResumed = dataGets(gets(paused.name).slice(pausedGets));
    expect(pausedResumed.length).toBeGreaterThanOrEqual(1);
    for (const r of pausedResumed)
      expect(offsetOf(r.range), r.range ?? 'no Range').toBeGreaterThanOrEqual(4 * MiB);
    for (const file of [small, paused, running]) {
      expect(await opfsSha256(tab, file.name)).toBe(sha.get(file.name));
    }
    expect((await rows(tab)).map((row) => row.state)).toEqual(['done', 'done', 'done']);
  });

  it('R30, R38: each pasted line is added or refused alone (the refused one kept and said), an encoded / makes no folder, a bidi control is shown escaped', async () => {
    const names = ['bad%E0%A4%A.bin', 'list-good.bin', 'invoice\u202Efdp.exe', 'sub/list-inner.bin'];
    const sha = new Map(
      names.map((name, index) => [name, run.demo.files.setFile(name, patternBytes(4096, 400 + index))]),
    );
    const tab = await DemoTab.open(run.demo, run.context, {});
    await tab.queueReady();
    const o = run.demo.files.origin;
    const lines = [
      'http://[not-a-url',
      `${o}/files/bad%E0%A4%A.bin`,
      `${o}/files/list-good.bin`,
      `${o}/files/invoice%E2%80%AEfdp.exe`,
      `${o}/files/sub%2Flist-inner.bin`,
    ];
    await tab.page.getByTestId('queue-urls').fill(lines.join('\n'));
    await tab.page.getByRole('button', { name: 'Add to queue', exact: true }).click();
    const targets = ['bad%E0%A4%A.bin', 'list-good.bin', 'invoice\u202Efdp.exe', 'sub_list-inner.bin'];
    for (const target of targets) await waitForRow(tab, target, `state === 'done'`);
    expect((await rows(tab)).map((row) => row.target)).toEqual(targets);
    // The line no URL is made of stays in the box, and the page says why it was not added.
    expect(await tab.page.getByTestId('queue-urls').inputValue()).toBe('http://[not-a-url');
    await expect(tab.page.getByTestId('queue-message').textContent()).resolves.toContain(
      'not added: http://[not-a-url',
    );
    expect(await tab.page.getByTestId('queue-message').isVisible()).toBe(true);
    // The bidi override is shown as its escape, in the row and in what a screen reader is told.
    const shown = await tab.page.evaluate(() => {
      const row = document.querySelectorAll<HTMLElement>('[data-testid="queue-row"]')[2];
      return [
        row?.querySelector('.name')?.textContent,
        row?.querySelector('.track')?.getAttribute('aria-label'),
        row?.querySelector('button')?.getAttribute('aria-label'),
      ];
    });
    expect(shown).toEqual([
      'invoice\\u202efdp.exe',
      'Progress of invoice\\u202efdp.exe',
      'Resume invoice\\u202efdp.exe',
    ]);
    expect(await opfsSha256(tab, 'sub_list-inner.bin')).toBe(sha.get('sub/list-inner.bin'));
    expect(await opfsSha256(tab, 'invoice\u202Efdp.exe')).toBe(sha.get('invoice\u202Efdp.exe'));
    const folders = await tab.page.evaluate(async () => {
      const found: string[] = [];
      // @ts-expect-error: `entries()` of a directory handle is missing from this TypeScript's DOM types.
      for await (const [name, handle] of (await navigator.storage.getDirectory()).entries())
        if ((handle as FileSystemHandle).kind === 'directory') found.push(name as string);
      return found;
    });
    expect(folders).not.toContain('sub');
  });
});
