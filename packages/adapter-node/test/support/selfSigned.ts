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

/**
 * Makes a self-signed certificate with /usr/bin/openssl in `dir`; with `name`, one for that DNS name alone (a
 * certificate trusted but for another name than the one asked for).
 */
export const selfSigned = async (dir: string, name?: string): Promise<SelfSigned> => {
  const keyFile = join(dir, name === undefined ? 'key.pem' : `${name}.key.pem`);
  const certFile = join(dir, name === undefined ? 'cert.pem' : `${name}.cert.pem`);
  await run('/usr/bin/openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name ?? 'localhost'}`,
    '-addext',
    name === undefined ? 'subjectAltName=DNS:localhost,IP:127.0.0.1' : `subjectAltName=DNS:${name}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { key: await readFile(keyFile), cert: await readFile(certFile), certFile };
};
