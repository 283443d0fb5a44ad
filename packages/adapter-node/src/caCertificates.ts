import { lazyBuiltin } from './lazyBuiltin.js';

/** Loaded for a CA file or `tls.ca` only. */
const crypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/**
 * Why `pem` cannot serve as CA certificates, said of the file or option that holds it ("holds no valid
 * certificate"), or `null` when every certificate in it parses. Node's `createSecureContext` skips a CA it cannot
 * read without a word: a file of garbage, or one cut short, would trust nothing and say nothing.
 */
export const caCertificatesProblem = (pem: string): string | null => {
  const blocks = pem.split(BEGIN).slice(1);
  if (blocks.length === 0) return 'holds no PEM certificate';
  const bad = blocks.findIndex((block) => !parses(block));
  if (bad === -1) return null;
  return blocks.length === 1
    ? 'holds no valid certificate'
    : `holds a certificate that does not parse (${bad + 1} of ${blocks.length})`;
};

/** Whether the text after a BEGIN line is a certificate up to its END line. */
const parses = (block: string): boolean => {
  const end = block.indexOf(END);
  if (end === -1) return false;
  try {
    new (crypto().X509Certificate)(`${BEGIN}${block.slice(0, end)}${END}`);
    return true;
  } catch {
    return false;
  }
};
