import { afterAll, beforeAll, beforeEach } from 'vitest';
import { FaultServer } from './faultServer.js';

/**
 * A fault server for the calling test file: it listens before the file's first test and closes after its last,
 * and its request log starts empty in every test. Registers the vitest hooks where it is called.
 */
export const useFaultServer = (): FaultServer => {
  const server = new FaultServer();
  beforeAll(() => server.listen());
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });
  return server;
};
