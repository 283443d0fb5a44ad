import type { TestProject } from 'vitest/node';
import './provided.js';
import { type FaultServer, patternBytes, startFaultServer } from '../../demo/faultServer.js';

/** Files the browser tests read: `/files/small.bin` (1 MiB + 17 bytes) on both servers, `/files/medium.bin` (8 MiB) on the first. */
export const SMALL = patternBytes(1048576 + 17, 7);
/** `/files/text.txt` on the first: text that gzip shrinks, as a stored-gzip object of an object store is. */
export const TEXT = new TextEncoder().encode(
  Array.from({ length: 12_000 }, (_, i) => `line ${i} ${(i * 7919) % 10007} the quick brown fox\n`).join(''),
);

let servers: FaultServer[] = [];

export default async function setup(project: TestProject) {
  servers = [await startFaultServer(), await startFaultServer()];
  for (const server of servers) server.setFile('small.bin', SMALL);
  // Bigger than what the browser buffers of a response on its own: a rate limit test reads it under the limit.
  servers[0]?.setFile('medium.bin', patternBytes(8 * 1048576, 9));
  servers[0]?.setFile('text.txt', TEXT);
  project.provide('filesOrigin', servers[0]?.origin ?? '');
  project.provide('otherOrigin', servers[1]?.origin ?? '');
  return async () => {
    await Promise.all(servers.map((server) => server.close()));
  };
}
