/** What every section of the bench shares: sizes from the environment, where the tools are, output, clean-up. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NginxOptions, type NginxServer, nginxBinary, startNginx } from '../../test/support/nginx.js';

export const MiB = 1024 * 1024;
export const runsOr = (fallback: number): number => Number(process.env.RDL_BENCH_RUNS ?? fallback);
export const sizeMiB = Number(process.env.RDL_BENCH_MIB ?? 1024);
export const bigMiB = Number(process.env.RDL_BENCH_BIG_MIB ?? 4096);
export const cpuProfDir = process.env.RDL_BENCH_CPU_PROF;
/** rdl's memory goal, whatever its options (the hash's worker thread counts too). */
export const rssGoalMiB = 96;
/** The statfs type of a tmpfs (TMPFS_MAGIC). */
export const tmpfsMagic = 0x01021994;

// This runs compiled, from scripts/dist/scripts/bench/.
export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const rdlBin = join(packageDir, 'bin/rdl.js');
export const rdlShim = existsSync(join(packageDir, '../../node_modules/.bin/rdl'))
  ? join(packageDir, '../../node_modules/.bin/rdl')
  : join(packageDir, 'bin/rdl.js');
export const timeBin = '/usr/bin/time';

export const say = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};
export const ensureTools = (): void => {
  const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (
    existsSync(nginxBinary()) &&
    have('curl') &&
    have('aria2c') &&
    existsSync(timeBin) &&
    existsSync('/usr/bin/strace')
  )
    return;
  say('Installing nginx, curl, aria2c, GNU time and strace (scripts/ensure-tools.sh)…');
  const r = spawnSync('sh', [join(packageDir, 'scripts/ensure-tools.sh')], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error('scripts/ensure-tools.sh failed: the bench needs nginx, curl, aria2c, time, strace');
};

/**
 * What an interrupted bench must still undo: nginx, and the temp folders, which on a tmpfs hold RAM until they are
 * removed. Each section adds its clean-up while it runs.
 */
export const onInterrupt = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([...onInterrupt].map((undo) => undo())).then(() => process.exit(130));
  });
}
export const cleanedUpAfter = async <T>(cleanUp: () => Promise<void>, body: () => Promise<T>): Promise<T> => {
  onInterrupt.add(cleanUp);
  try {
    return await body();
  } finally {
    onInterrupt.delete(cleanUp);
    await cleanUp();
  }
};

/**
 * Runs `body` against an nginx started with `options`; after it, even when interrupted, stops nginx and removes
 * `folders()` (the section's temp folders, which on a tmpfs hold RAM).
 */
export const withNginx = async <T>(
  options: NginxOptions,
  folders: () => readonly string[],
  body: (server: NginxServer) => Promise<T>,
): Promise<T> => {
  const server = await startNginx(options);
  return cleanedUpAfter(
    async () => {
      await server.stop();
      for (const dir of folders()) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
    () => body(server),
  );
};

/** The compiled bench's own folder, where a section finds the scripts it runs in a child process. */
export const benchDistDir = dirname(fileURLToPath(import.meta.url));
