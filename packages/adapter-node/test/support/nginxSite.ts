import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { assertBuilt } from './cliProcess.js';
import { type NginxServer, type SlowLocation, startNginx } from './nginx.js';

/**
 * What the command tests download from: nginx on 127.0.0.1 serving `root` at `/` and again at `/slow/`, paced,
 * and a `work` folder where the command runs; both folders fresh under the system's temporary folder.
 */
export interface NginxSite {
  /** The running nginx. Only while the file's tests run, like `root` and `work`. */
  readonly server: NginxServer;
  /** The folder nginx serves. */
  readonly root: string;
  readonly work: string;
  /** A fresh folder under `work`, for one test's run. */
  folder(): Promise<string>;
}

/**
 * An `NginxSite` for the calling test file, its folders named `rdl-<name>-root-…` and `rdl-<name>-work-…`, `/slow/`
 * paced to `slowRate` (nginx `limit_rate`: `10m`). Before the file's first test it checks that the command is
 * built, makes the folders, lets `serve` write the served files in `root`, then starts nginx; after the last it
 * stops nginx and removes both folders. Each test begins paced (`NginxServer.setPaced`). Registers the vitest hooks
 * where it is called.
 */
export const useNginxSite = (
  name: string,
  /** The pace of `/slow/`, or every paced location. */
  slowRate: string | readonly SlowLocation[],
  serve: (root: string) => Promise<void> = async () => undefined,
): NginxSite => {
  let server: NginxServer | undefined;
  let root: string | undefined;
  let work: string | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the nginx site is only there while the file’s tests run');
    return value;
  };

  beforeAll(async () => {
    assertBuilt();
    root = await mkdtemp(join(tmpdir(), `rdl-${name}-root-`));
    work = await mkdtemp(join(tmpdir(), `rdl-${name}-work-`));
    await serve(root);
    const slow = typeof slowRate === 'string' ? [{ prefix: '/slow/', rate: slowRate }] : slowRate;
    server = await startNginx({ root, slow });
  });

  beforeEach(() => server?.setPaced(true));

  afterAll(async () => {
    await server?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  return {
    get server() {
      return started(server);
    },
    get root() {
      return started(root);
    },
    get work() {
      return started(work);
    },
    folder: () => mkdtemp(join(started(work), 'run-')),
  };
};
