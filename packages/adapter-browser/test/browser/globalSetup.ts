import type { TestProject } from 'vitest/node';
import './provided.js';
import { type FaultServer, patternBytes, startFaultServer } from '../../demo/faultServer.js';

/** Files the browser tests read: `/files/small.bin` (1 MiB + 17 bytes) on both servers, `/files/medium.bin` (8 MiB) on the first. */
export const SMALL = patternBytes(1048576 + 17, 7);

let servers: FaultServer[] = [];

export default async function setup(project: TestProject) {
  servers = [await startFaultServer(), await startFaultServer()];
  for (const server of servers) server.setFile('small.bin', SMALL);
  // Bigger than what the browser buffers of a response on its own: a rate limit test reads it under the limit.
  servers[0]?.setFile('medium.bin', patternBytes(8 * 1048576, 9));
  project.provide('filesOrigin', servers[0]?.origin ?? '');
  project.provide('otherOrigin', servers[1]?.origin ?? '');
  return async () => {
    await Promise.all(servers.map((server) => server.close()));
  };
}
