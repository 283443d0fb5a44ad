import { parseUrl } from '../model/url.js';

/**
 * Query parameters whose presence makes a URL presigned: the signature of AWS SigV4 (`X-Amz-Signature`), of S3
 * SigV2, Alibaba Cloud OSS V1 and CloudFront (`Signature`), of OSS V4 (`x-oss-signature`), of Google Cloud Storage
 * (`X-Goog-Signature`) and of an Azure SAS (`sig`). Names compare without case, percent-decoded.
 */
export const SIGNATURE_PARAMS: readonly string[] = [
  'x-amz-signature',
  'signature',
  'x-oss-signature',
  'x-goog-signature',
  'sig',
];

/**
 * Query parameters that are bearer secrets (R37): the signatures, and the credentials and session tokens that
 * travel with them (`X-Amz-Credential`, `X-Amz-Security-Token`, `AWSAccessKeyId`, `OSSAccessKeyId`,
 * `x-oss-credential`, `x-oss-security-token`, `security-token`, `X-Goog-Credential`). What only says when or how a
 * URL was signed (`Expires`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `se`, `sp`) is no secret and is
 * kept, so that a printed URL still tells when it expires.
 */
export const SECRET_PARAMS: readonly string[] = [
  ...SIGNATURE_PARAMS,
  'x-amz-credential',
  'x-amz-security-token',
  'awsaccesskeyid',
  'ossaccesskeyid',
  'x-oss-credential',
  'x-oss-security-token',
  'security-token',
  'x-goog-credential',
];

/** What a secret's value is replaced with. */
export const REDACTED = 'REDACTED';

/** One `name=value` of a query, after its `?`, `&` or `;`, up to what ends a query in a URL or a line of text. */
const QUERY_PARAM = /([?&;])([^=&;#?\s"'<>]+)=([^&;#\s"'<>]*)/g;

const paramName = (raw: string): string => {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
};

const isSecretParam = (raw: string): boolean => SECRET_PARAMS.includes(paramName(raw));

/**
 * `text` with the value of every secret query parameter (`SECRET_PARAMS`) replaced by `REDACTED` (R37): a URL, or a
 * message with URLs in it, whether it parses or not. The names stay, so a redacted URL is still seen as presigned;
 * everything else is left as it was. Applying it twice changes nothing more.
 */
export const redactSignatures = (text: string): string =>
  text.replace(QUERY_PARAM, (whole, sep: string, name: string) =>
    isSecretParam(name) ? `${sep}${name}=${REDACTED}` : whole,
  );

/** The query parameter names of `url`, as the rules compare them (lower case, percent-decoded). */
const queryNames = (url: string): string[] => {
  const parsed = parseUrl(url);
  if (parsed === null) return [];
  return parsed.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => paramName(pair.split('=')[0] ?? ''));
};

/**
 * Whether `url` is presigned: its query carries a signature (`SIGNATURE_PARAMS`). A 403 to such a URL after bytes
 * came means its signature expired (R18), whether or not anybody can sign it again.
 */
export const isPresigned = (url: string): boolean =>
  queryNames(url).some((name) => SIGNATURE_PARAMS.includes(name));
