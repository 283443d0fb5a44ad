import { lazyBuiltin } from './lazyBuiltin.js';

/** Loaded for a CA file or `tls.ca` only. */
const crypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');

/**
 * The BEGIN line of a certificate as Node reads a CA (OpenSSL's `PEM_read_bio_X509_AUX`): `CERTIFICATE`, the older
 * `X509 CERTIFICATE`, and `TRUSTED CERTIFICATE`, OpenSSL's certificate with its trust settings (`openssl x509
 * -trustout`, RHEL's ca-bundle.trust.crt). Its label is the group.
 */
const BEGIN = /-----BEGIN ((?:TRUSTED |X509 )?CERTIFICATE)-----/g;

/**
 * Why `pem` cannot serve as CA certificates, said of the file or option that holds it ("holds no valid
 * certificate"), or `null` when every certificate in it parses. Node's `createSecureContext` skips a CA it cannot
 * read without a word: a file of garbage, or one cut short, would trust nothing and say nothing.
 */
export const caCertificatesProblem = (pem: string): string | null => {
  const blocks = [...pem.matchAll(BEGIN)].map((begin) => ({
    label: begin[1] as string,
    text: pem.slice((begin.index ?? 0) + begin[0].length),
  }));
  if (blocks.length === 0) return 'holds no PEM certificate';
  const bad = blocks.findIndex(({ label, text }) => !parses(label, text));
  if (bad === -1) return null;
  return blocks.length === 1
    ? 'holds no valid certificate'
    : `holds a certificate that does not parse (${bad + 1} of ${blocks.length})`;
};

/**
 * Whether the text after a BEGIN line of `label` is a certificate up to its END line. `X509Certificate` reads a
 * trusted one as Node's TLS does, the certificate at its start, its trust settings after it.
 */
const parses = (label: string, text: string): boolean => {
  const end = text.indexOf(`-----END ${label}-----`);
  if (end === -1) return false;
  try {
    new (crypto().X509Certificate)(`-----BEGIN ${label}-----${text.slice(0, end)}-----END ${label}-----`);
    return true;
  } catch {
    return false;
  }
};
