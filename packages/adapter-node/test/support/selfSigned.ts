import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A self-signed certificate for `localhost` and 127.0.0.1 (CN and subjectAltName). */
export interface SelfSigned {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** The certificate's PEM file, for `extraCaFile` / `NODE_EXTRA_CA_CERTS`. */
  readonly certFile: string;
}

/** Makes a self-signed certificate with /usr/bin/openssl in `dir`. */
export const selfSigned = async (dir: string): Promise<SelfSigned> => {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await run('/usr/bin/openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { key: await readFile(keyFile), cert: await readFile(certFile), certFile };
};
