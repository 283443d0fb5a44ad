/** The tools the single and segments sections compare, their commands, and alternating runs of them. */
import { spawnSync } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { mulberry32 } from '@rdl/core/memory';
import { sha256File } from '../../test/support/randomFile.js';
import { cpuProfDir, rdlBin, rdlShim, say } from './environment.js';
import { type Measure, measure, pad, type Row } from './measure.js';

/**
 * `curl+fsync` is curl followed by `sync <file>` (fdatasync): the durability rdl gives (R19, R20: every byte on disk
 * before the file appears), which plain curl and aria2c leave to the kernel's writeback. `rdl --sha256` checks the
 * file against the SHA-256 given on the command line (R27); `curl+sha256sum` is curl followed by `sha256sum -c` of
 * its file against the same value, timed together: the same check done after the download instead of during it.
 * Plain `rdl` is its adaptive connection count (R43), `rdl -x N` a fixed one.
 */
export type Tool =
  | 'rdl'
  | 'rdl --sha256'
  | 'rdl -x 1'
  | 'rdl -x 16'
  | 'curl'
  | 'curl+fsync'
  | 'curl+sha256sum'
  | 'aria2c -x1'
  | 'aria2c -x4 -s4'
  | 'aria2c -x16 -s16 -k1M';

/**
 * rdl as README runs it, `./node_modules/.bin/rdl` (pnpm's shim of `bin/rdl.js`, then node); straight
 * through node when profiling, which needs node's flags.
 */
export const rdlCommand = (args: readonly string[]): [string, string[]] =>
  cpuProfDir === undefined
    ? [rdlShim, [...args]]
    : [process.execPath, ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, rdlBin, ...args]];

/** aria2c with `flags`, writing over `out` without renaming and without allocating the file first. */
export const aria2cCommand = (flags: readonly string[], url: string, out: string): [string, string[]] => [
  'aria2c',
  [
    ...flags,
    '-q',
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    '--file-allocation=none',
    '-d',
    dirname(out),
    '-o',
    basename(out),
    url,
  ],
];

/** The command of `tool` downloading `url` to `out`; `sha256` is the file's, for the tools that check it. */
export const commandOf = (tool: Tool, url: string, out: string, sha256: string): [string, string[]] => {
  switch (tool) {
    case 'rdl':
      return rdlCommand([url, '-o', out, '--quiet']);
    case 'rdl --sha256':
      return rdlCommand([url, '-o', out, '--quiet', '--sha256', sha256]);
    case 'rdl -x 1':
      return rdlCommand([url, '-o', out, '--quiet', '-x', '1']);
    case 'rdl -x 16':
      return rdlCommand([url, '-o', out, '--quiet', '-x', '16']);
    case 'curl':
      return ['curl', ['-sS', '-f', '-o', out, url]];
    case 'curl+fsync':
      return ['sh', ['-c', 'curl -sS -f -o "$1" "$2" && sync "$1"', 'sh', out, url]];
    case 'curl+sha256sum':
      return [
        'sh',
        [
          '-c',
          'curl -sS -f -o "$1" "$2" && printf "%s  %s\\n" "$3" "$1" | sha256sum -c --status',
          'sh',
          out,
          url,
          sha256,
        ],
      ];
    case 'aria2c -x1':
      return aria2cCommand(['-x1', '-s1'], url, out);
    case 'aria2c -x4 -s4':
      return aria2cCommand(['-x4', '-s4'], url, out);
    case 'aria2c -x16 -s16 -k1M':
      return aria2cCommand(['-x16', '-s16', '-k1M'], url, out);
  }
};

/**
 * Deletes the output, and what a failed run of any tool may have left beside it (an aria2c control file or rdl's
 * checkpoint would make the next run resume, and look fast), then writes back dirty pages, so that one run's
 * writeback does not slow the next.
 */
export const settle = async (out: string): Promise<void> => {
  for (const suffix of ['', '.aria2', '.part', '.rdl.json', '.lock'])
    await rm(`${out}${suffix}`, { force: true });
  spawnSync('sync');
};

/** One row of a table: a tool fetching a file whose size and SHA-256 its output is checked against. */
export interface Entrant {
  readonly name: string;
  readonly tool: Tool;
  readonly url: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Fails unless `out` is the entrant's file, byte for byte. */
export const verify = async (entrant: Entrant, out: string): Promise<void> => {
  const got = (await stat(out)).size;
  if (got !== entrant.bytes) throw new Error(`${entrant.name} wrote ${got} bytes, expected ${entrant.bytes}`);
  const sha = await sha256File(out);
  if (sha !== entrant.sha256)
    throw new Error(`${entrant.name} wrote a file of SHA-256 ${sha}, not ${entrant.sha256}`);
};

/** One unmeasured run of each entrant: the served files into the page cache, and each tool's binaries. */
export const warmUp = async (entrants: readonly Entrant[], out: string, rssFile: string): Promise<void> => {
  for (const e of entrants) {
    const [cmd, args] = commandOf(e.tool, e.url, out, e.sha256);
    await measure(cmd, args, dirname(out), rssFile);
    await settle(out);
  }
};

/**
 * The order of round `round` of `count` tools: a shuffle, seeded by the round so that every bench run takes the same
 * orders. A rotation (A B C, B C A, …) kept every tool after the same one in every round but the first: on these
 * machines a run that follows a long quiet one (curl's paced minute, aria2c's four connections) is 0.1–0.35 s slower
 * (alternating runs of `sleep 12; rdl` and `rdl`, either connection count), and a rotation gave that to one tool only.
 */
export const roundOrder = (count: number, round: number): number[] => {
  const order = Array.from({ length: count }, (_, i) => i);
  const random = mulberry32(0x5eed + round);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
};

/**
 * `runs` rounds of every entrant, in the order `roundOrder` gives each round; each file is checked after its timed
 * run, then deleted. Resolves the measures by entrant name.
 */
export const alternate = async (
  entrants: readonly Entrant[],
  runs: number,
  out: string,
  rssFile: string,
): Promise<Map<string, Measure[]>> => {
  const results = new Map<string, Measure[]>(entrants.map((e) => [e.name, []]));
  const width = Math.max(...entrants.map((e) => e.name.length));
  for (let r = 0; r < runs; r++) {
    for (const index of roundOrder(entrants.length, r)) {
      const e = entrants[index]!;
      const [cmd, args] = commandOf(e.tool, e.url, out, e.sha256);
      const m = await measure(cmd, args, dirname(out), rssFile);
      await verify(e, out);
      results.get(e.name)!.push(m);
      say(`  run ${r + 1}/${runs} ${pad(e.name, width)} ${(m.wallMs / 1000).toFixed(2)} s`);
      await settle(out);
    }
  }
  return results;
};

export const rowsOf = (entrants: readonly Entrant[], results: Map<string, Measure[]>): Row[] =>
  entrants.map((e) => ({ name: e.name, measures: results.get(e.name)!, bytes: e.bytes }));
