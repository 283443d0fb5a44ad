import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A self-signed certificate of a day, its RSA 2048 key in `keyFile`, with `subject` and `extensions`. */
const newSelfSigned = async (
  keyFile: string,
  certFile: string,
  subject: string,
  extensions: readonly string[],
): Promise<void> => {
  await run('/usr/bin/openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    subject,
    ...extensions.flatMap((extension) => ['-addext', extension]),
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
};

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
  await newSelfSigned(keyFile, certFile, `/CN=${name ?? 'localhost'}`, [
    name === undefined ? 'subjectAltName=DNS:localhost,IP:127.0.0.1' : `subjectAltName=DNS:${name}`,
  ]);
  return { key: await readFile(keyFile), cert: await readFile(certFile), certFile };
};

/**
 * Makes a self-signed certificate of `subject` and no subjectAltName in `dir`, its files named after `name`: Node
 * checks a host against its CN then, and quotes the CN when it does not match.
 */
export const selfSignedSubject = async (dir: string, name: string, subject: string): Promise<SelfSigned> => {
  const keyFile = join(dir, `${name}.key.pem`);
  const certFile = join(dir, `${name}.cert.pem`);
  await newSelfSigned(keyFile, certFile, subject, []);
  return { key: await readFile(keyFile), cert: await readFile(certFile), certFile };
};

/** A certificate for `localhost` and 127.0.0.1 signed by a CA of its own, whose PEM is `ca`. */
export interface CaSigned {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly ca: Buffer;
}

/**
 * Makes, with /usr/bin/openssl in `dir`, a CA and a certificate it signs for `localhost` and 127.0.0.1 with `digest`
 * and an RSA key of `bits`: with `sha1`, or 768 bits, verification refuses it under a result Node has no name for
 * (its code is `UNSPECIFIED`), and a server must lower OpenSSL's security level (`DEFAULT@SECLEVEL=0`) to serve it.
 */
export const caSigned = async (
  dir: string,
  name: string,
  { digest = 'sha256', bits = 2048 }: { readonly digest?: string; readonly bits?: number } = {},
): Promise<CaSigned> => {
  const file = (suffix: string): string => join(dir, `${name}.${suffix}`);
  await newSelfSigned(file('ca.key'), file('ca.pem'), `/CN=${name} CA`, [
    'basicConstraints=critical,CA:true',
    'keyUsage=keyCertSign,cRLSign',
  ]);
  await run('/usr/bin/openssl', [
    'req',
    '-newkey',
    `rsa:${bits}`,
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    file('key.pem'),
    '-out',
    file('csr.pem'),
  ]);
  await writeFile(file('ext.cnf'), '[leaf]\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run('/usr/bin/openssl', [
    'x509',
    '-req',
    `-${digest}`,
    '-in',
    file('csr.pem'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-set_serial',
    '1',
    '-days',
    '1',
    '-extfile',
    file('ext.cnf'),
    '-extensions',
    'leaf',
    '-out',
    file('cert.pem'),
  ]);
  return {
    key: await readFile(file('key.pem')),
    cert: await readFile(file('cert.pem')),
    ca: await readFile(file('ca.pem')),
  };
};
