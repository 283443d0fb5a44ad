import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { demoPlugin } from '../../demo/demoPlugin.js';
import { type FaultServer, startFaultServer } from '../../demo/faultServer.js';
import { sourceAliases } from '../../demo/sourceAliases.js';
import { chromiumArgs, chromiumPath } from '../chromium.js';

const demoRoot = fileURLToPath(new URL('../../demo/', import.meta.url));

export const MiB = 1048576;

/** The demo page served by vite, its fault-injecting file server on another origin, and a headless Chromium. */
export interface Demo {
  readonly pageOrigin: string;
  readonly files: FaultServer;
  readonly browser: Browser;
  close(): Promise<void>;
}

export const startDemo = async (): Promise<Demo> => {
  const files = await startFaultServer();
  const vite: ViteDevServer = await createServer({
    configFile: false,
    root: demoRoot,
    logLevel: 'warn',
    plugins: [demoPlugin(files)],
    resolve: { alias: sourceAliases },
    // No HMR socket and no dependency discovery: nothing may reload the page behind a test's back.
    server: { host: '127.0.0.1', port: 0, hmr: false, ws: false },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await vite.listen();
  const pageOrigin = (vite.resolvedUrls?.local[0] ?? '').replace(/\/$/, '');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  return {
    pageOrigin,
    files,
    browser,
    close: async () => {
      await browser.close();
      await vite.close();
      await files.close();
    },
  };
};

/** The demo of a test file and the browser profile of its current test. */
export interface DemoRun {
  readonly demo: Demo;
  readonly context: BrowserContext;
}

/**
 * The demo for the tests of the calling file: started once before them and closed after; a fresh browser profile a
 * test (its own OPFS, IndexedDB and Web Locks), with the served files reset before it and released after.
 * Registers the vitest hooks where it is called.
 */
export const useDemo = (): DemoRun => {
  let demo: Demo | null = null;
  let context: BrowserContext | null = null;
  beforeAll(async () => {
    demo = await startDemo();
  });
  afterAll(async () => {
    await demo?.close();
  });
  beforeEach(async () => {
    demo?.files.reset();
    context = (await demo?.browser.newContext()) ?? null;
  });
  afterEach(async () => {
    demo?.files.release();
    await context?.close();
    context = null;
  });
  return {
    get demo() {
      if (demo === null) throw new Error('the demo runs only inside the tests of the file');
      return demo;
    },
    get context() {
      if (context === null) throw new Error('a browser profile exists only inside a test');
      return context;
    },
  };
};

/** The page's fields, by `data-testid`. */
type Field = 'state' | 'bytes' | 'checkpointed' | 'resumed-from' | 'restarts' | 'sha256' | 'error';

/** One tab on the demo page, and what a test does with it. */
export class DemoTab {
  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
  ) {}

  static async open(demo: Demo, context: BrowserContext, query: Record<string, string>): Promise<DemoTab> {
    const page = await context.newPage();
    const tab = new DemoTab(page, context);
    await tab.goto(`${demo.pageOrigin}/?${new URLSearchParams(query)}`);
    return tab;
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.waitForSelector('body[data-ready=true]');
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.page.waitForSelector('body[data-ready=true]');
  }

  /** Waits until the queue's list has loaded what IndexedDB keeps (R45). */
  async queueReady(): Promise<void> {
    await this.page.waitForSelector('#queue[data-ready=true]');
  }

  click(name: 'Start' | 'Pause' | 'Resume' | 'Cancel'): Promise<void> {
    return this.page.getByRole('button', { name, exact: true }).click();
  }

  async field(name: Field): Promise<string> {
    return (await this.page.getByTestId(name).textContent()) ?? '';
  }

  async number(name: Field): Promise<number> {
    return Number(await this.field(name));
  }

  /** Waits (by polling the page, no fixed delay) until `field` satisfies `test`, or the test's timeout. */
  async waitFor(name: Field, test: string): Promise<string> {
    const handle = await this.page.waitForFunction(
      ([id, body]) => {
        const value = document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
        return new Function('v', `return (${body});`)(value) ? value : null;
      },
      [name, test] as const,
      { timeout: 0, polling: 20 },
    );
    return (await handle.jsonValue()) as string;
  }

  waitForState(state: string): Promise<string> {
    return this.waitFor('state', `v === ${JSON.stringify(state)}`);
  }

  /** The progress bar's label (`30 %`). */
  async percent(): Promise<string> {
    return (await this.page.locator('#percent').textContent()) ?? '';
  }

  /** Waits (by polling the page) until exactly the buttons `names` of the single download are enabled, in order. */
  async waitForEnabled(names: readonly string[]): Promise<void> {
    await this.page.waitForFunction(
      (wanted) =>
        [...document.querySelectorAll<HTMLButtonElement>('.buttons button')]
          .filter((b) => !b.disabled)
          .map((b) => b.textContent?.trim())
          .join(',') === wanted,
      names.join(','),
      { timeout: 0, polling: 20 },
    );
  }

  /** The `<target>.part` size in OPFS (`null` if none) and the checkpoint text in IndexedDB (`null` if none). */
  leftovers(
    target: string,
  ): Promise<{ part: number | null; final: number | null; checkpoint: string | null }> {
    return this.page.evaluate(async (name) => {
      const root = await navigator.storage.getDirectory();
      const size = async (file: string) => {
        try {
          return (await (await root.getFileHandle(file)).getFile()).size;
        } catch {
          return null;
        }
      };
      const checkpoint = await new Promise<string | null>((resolve, reject) => {
        const open = indexedDB.open('rdl');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('checkpoints')) {
            db.close();
            resolve(null);
            return;
          }
          const get = db.transaction('checkpoints').objectStore('checkpoints').get(name);
          get.onsuccess = () => {
            db.close();
            resolve((get.result as string | undefined) ?? null);
          };
          get.onerror = () => reject(get.error);
        };
      });
      return { part: await size(`${name}.part`), final: await size(name), checkpoint };
    }, target);
  }
}
