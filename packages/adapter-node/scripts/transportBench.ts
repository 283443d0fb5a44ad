/**
 * `pnpm bench:http`: the HTTP transports alone, NodeFetchHttp against NodeHttp, on a file from nginx on 127.0.0.1:
 * one GET read to its end and discarded (no disk, no core), each run in a fresh process, the transports
 * alternating. `NodeHttp+recycle` gives each chunk back once counted, as core does once it wrote it. Prints wall
 * time, CPU time (user + system) and peak RSS of each run, then the medians.
 *
 * Environment: RDL_BENCH_RUNS (default 5), RDL_BENCH_MIB (1024).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../test/support/nginx.js';
import { writeRepeatedFile } from '../test/support/randomFile.js';
import { median } from './stats.js';

const MiB = 1024 * 1024;
const runs = Number(process.env.RDL_BENCH_RUNS ?? 5);
const sizeMiB = Number(process.env.RDL_BENCH_MIB ?? 1024);
const transports = ['NodeFetchHttp', 'NodeHttp', 'NodeHttp+recycle'] as const;
type Transport = (typeof transports)[number];

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMiB: number;
  readonly bytes: number;
}

/** In the child: one GET through `transport`, every chunk dropped; prints a `Run` as JSON. */
const measure = async (transport: Transport, url: string): Promise<void> => {
  const adapter = await import('@rdl/adapter-node');
  const http = transport === 'NodeFetchHttp' ? new adapter.NodeFetchHttp() : new adapter.NodeHttp();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const signal = new AbortController().signal;
  const result = await http.request({
    method: 'GET',
    url,
    headers: { 'accept-encoding': 'identity' },
    signal,
  })();
  if (result._tag === 'Left') throw new Error(JSON.stringify(result.left));
  const recycle = transport === 'NodeHttp+recycle' ? result.right.recycle : undefined;
  let bytes = 0;
  for await (const chunk of result.right.body) {
    bytes += chunk.byteLength;
    recycle?.(chunk);
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  http.close();
  const run: Run = {
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    bytes,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
};

const main = async (): Promise<void> => {
  const root = await mkdtemp(join(tmpdir(), 'rdl-http-bench-'));
  const server = await startNginx({ root });
  try {
    await writeRepeatedFile(join(root, 'big.bin'), sizeMiB * MiB);
    const url = `${server.origin}/big.bin`;
    const self = fileURLToPath(import.meta.url);
    const results: Record<Transport, Run[]> = { NodeFetchHttp: [], NodeHttp: [], 'NodeHttp+recycle': [] };
    process.stdout.write(
      `${sizeMiB} MiB from nginx on 127.0.0.1, read and discarded, ${runs} alternating runs\n`,
    );
    for (let i = 0; i < runs; i += 1) {
      for (const transport of transports) {
        const child = spawnSync(process.execPath, [self, '--run', transport, url], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`${transport} run failed: ${child.stderr}`);
        const run = JSON.parse(child.stdout) as Run;
        if (run.bytes !== sizeMiB * MiB) throw new Error(`${transport} read ${run.bytes} bytes`);
        results[transport].push(run);
        process.stdout.write(
          `  ${transport.padEnd(16)} wall ${run.wallMs.toFixed(0).padStart(5)} ms  cpu ${run.cpuMs.toFixed(0).padStart(5)} ms  peak RSS ${run.peakRssMiB.toFixed(0)} MiB\n`,
        );
      }
    }
    process.stdout.write('median\n');
    for (const transport of transports) {
      const list = results[transport];
      process.stdout.write(
        `  ${transport.padEnd(16)} wall ${median(list.map((r) => r.wallMs))
          .toFixed(0)
          .padStart(5)} ms  cpu ${median(list.map((r) => r.cpuMs))
          .toFixed(0)
          .padStart(5)} ms  peak RSS ${median(list.map((r) => r.peakRssMiB)).toFixed(0)} MiB\n`,
      );
    }
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
};

const [flag, transport, url] = process.argv.slice(2);
const named = transports.find((name) => name === transport);
if (flag === '--run' && named !== undefined && url !== undefined) {
  await measure(named, url);
} else {
  await main();
}
