import { writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createServer as createHttps, type Server } from 'node:https';
import { type AddressInfo, createServer as createNet, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { caSigned } from './selfSigned.js';
import { makeTempDir } from './tempDir.js';

/** The servers `useRefusingTlsServers` starts, each refusing https in one way. */
export type Refusal =
  /** Its certificate is signed with SHA-1 (verify: `CA signature digest algorithm too weak`, code UNSPECIFIED). */
  | 'sha1'
  /** Its certificate's key is 768-bit RSA (verify: `EE certificate key too weak`, code UNSPECIFIED). */
  | 'weakKey'
  /** Plain HTTP: it answers the ClientHello with an HTTP 400. */
  | 'plain'
  /** It speaks TLS 1.0 only. */
  | 'tls10'
  /** TLS 1.3 with a client certificate required: refused by an alert after the client's handshake ended. */
  | 'clientCert'
  /** It resets the connection at the ClientHello (passing: retried). */
  | 'reset'
  /** It closes the connection at the ClientHello (passing: retried). */
  | 'closed';

export interface RefusingTlsServers {
  /** `https://localhost:<port>/f` of the server refusing in that way. */
  url(refusal: Refusal): string;
  /** The TCP connections that server accepted. */
  connections(refusal: Refusal): number;
  /** The CAs that signed the certificates: trusted, a certificate is refused for what it is, not for its CA. */
  readonly ca: () => Buffer;
  /** The CA's PEM file, for `--cacert`. */
  readonly caFile: () => string;
}

/**
 * Starts, for the calling describe block, one local server for each refusal (certificates made by /usr/bin/openssl in a
 * temporary folder), and stops them after it. Registers the vitest hooks where it is called.
 */
export const useRefusingTlsServers = (): RefusingTlsServers => {
  const servers = new Map<Refusal, { server: Server | NetServer; port: number; connections: number }>();
  let ca = Buffer.alloc(0);
  let caFile = '';
  let cleanup = async (): Promise<void> => {};
  beforeAll(async () => {
    const temp = await makeTempDir('rdl-tls-refusals-');
    cleanup = temp.cleanup;
    const sha1 = await caSigned(temp.dir, 'sha1', { digest: 'sha1' });
    const weakKey = await caSigned(temp.dir, 'weak', { bits: 768 });
    const sound = await caSigned(temp.dir, 'sound');
    ca = Buffer.concat([sha1.ca, weakKey.ca, sound.ca]);
    caFile = join(temp.dir, 'cas.pem');
    await writeFile(caFile, ca);
    const ok = (_: unknown, response: ServerResponse): void => void response.end('hello');
    const weakest = { ciphers: 'DEFAULT@SECLEVEL=0' };
    const made: Record<Refusal, Server | NetServer> = {
      sha1: createHttps({ key: sha1.key, cert: sha1.cert, ...weakest }, ok),
      weakKey: createHttps({ key: weakKey.key, cert: weakKey.cert, ...weakest }, ok),
      plain: createNet((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
      }),
      tls10: createHttps(
        { key: sound.key, cert: sound.cert, ...weakest, minVersion: 'TLSv1', maxVersion: 'TLSv1' },
        ok,
      ),
      clientCert: createHttps(
        { key: sound.key, cert: sound.cert, requestCert: true, rejectUnauthorized: true, ca },
        ok,
      ),
      reset: createNet((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.resetAndDestroy());
      }),
      closed: createNet((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.end());
      }),
    };
    for (const [refusal, server] of Object.entries(made) as [Refusal, Server | NetServer][]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const entry = { server, port: (server.address() as AddressInfo).port, connections: 0 };
      server.on('connection', () => (entry.connections += 1));
      servers.set(refusal, entry);
    }
  });
  afterAll(async () => {
    for (const { server } of servers.values()) {
      (server as Server).closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
    await cleanup();
  });
  const entry = (refusal: Refusal) => {
    const found = servers.get(refusal);
    if (found === undefined) throw new Error('the servers listen only while the block’s tests run');
    return found;
  };
  return {
    url: (refusal) => `https://localhost:${entry(refusal).port}/f`,
    connections: (refusal) => entry(refusal).connections,
    ca: () => ca,
    caFile: () => caFile,
  };
};
