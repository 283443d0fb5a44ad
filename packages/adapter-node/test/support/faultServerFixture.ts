import { afterAll, beforeAll, beforeEach } from 'vitest';
import { FaultServer } from './faultServer.js';
import { selfSigned } from './selfSigned.js';
import { makeTempDir } from './tempDir.js';

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

/**
 * An https fault server for the calling describe block, its certificate self-signed for localhost and 127.0.0.1
 * (`selfSigned`), serving `body` at `/file.bin`; `certFile` is the certificate's PEM file, for `--cacert`. Registers
 * the vitest hooks where it is called.
 */
export const useHttpsFaultServer = (body: Buffer): { server: () => FaultServer; certFile: () => string } => {
  let server: FaultServer | null = null;
  let certFile = '';
  let cleanup: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const temp = await makeTempDir('rdl-https-cert-');
    cleanup = temp.cleanup;
    const certificate = await selfSigned(temp.dir);
    certFile = certificate.certFile;
    server = await FaultServer.start({ tls: certificate });
    server.serve('/file.bin', body);
  });
  afterAll(async () => {
    await server?.close();
    await cleanup();
  });
  return {
    server: () => {
      if (server === null) throw new Error('the https server listens only while the block’s tests run');
      return server;
    },
    certFile: () => certFile,
  };
};
