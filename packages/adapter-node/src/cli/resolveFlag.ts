import { isIP } from 'node:net';
import type { DownloadFailure } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import type { IpFamily, ResolvedHost } from '../http1/hostLookup.js';
import { quotedValue } from './quotedValue.js';

/** The longest `--resolve` read: a few hundred addresses, far more than a host has. */
const MAX_ENTRY_CHARS = 8192;

const invalid = (field: string, message: string): DownloadFailure => ({
  _tag: 'InvalidInput',
  field,
  message,
});

const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?$/;

/** One `--resolve` as curl writes it: `host:port:addr[,addr]…`, an IPv6 address bare or in brackets, `+` taken. */
const entryOf = (value: string): E.Either<DownloadFailure, ResolvedHost> => {
  const refuse = (why: string): E.Either<DownloadFailure, never> =>
    E.left(invalid('--resolve', `${quotedValue(value.slice(0, 200))}: ${why}`));
  if (value.length > MAX_ENTRY_CHARS) return refuse(`longer than ${MAX_ENTRY_CHARS} characters`);
  if (value.startsWith('-'))
    return refuse("curl's -host:port removes an entry of its DNS cache: rdl keeps none, leave it out");
  const text = value.startsWith('+') ? value.slice(1) : value;
  const match = /^([^:]*):([^:]*):(.*)$/s.exec(text);
  if (match === null) return refuse('expected host:port:address[,address…]');
  const [, host = '', portText = '', list = ''] = match;
  if (host === '*') return refuse('a * host is not supported: name the host');
  if (!HOST_NAME.test(host) || isIP(host) !== 0) return refuse('the host is not a host name');
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) return refuse('the port is not 1 to 65535');
  const addresses = list.split(',').map((each) => each.trim().replace(/^\[(.*)\]$/, '$1'));
  if (addresses.some((address) => isIP(address) === 0))
    return refuse('an address is not an IPv4 or IPv6 address');
  return E.right({ host: host.toLowerCase().replace(/\.$/, ''), port, addresses });
};

/**
 * `--resolve` (repeatable), `-4` and `-6`, as curl's, read before any request (R30): every entry must parse, a
 * host and port given twice, `-4` with `-6`, an entry with no address of the family asked for, and a URL of the
 * command line whose host is an address of the other family are refused; never a DNS lookup here.
 */
export const resolveFlags = (
  values: {
    readonly resolve?: readonly string[] | undefined;
    readonly ipv4?: boolean | undefined;
    readonly ipv6?: boolean | undefined;
  },
  urls: readonly string[],
): E.Either<
  DownloadFailure,
  { readonly resolve: readonly ResolvedHost[]; readonly ipFamily: IpFamily | null }
> => {
  if (values.ipv4 === true && values.ipv6 === true)
    return E.left(invalid('--ipv4', 'and --ipv6 ask for one IP version each: give one'));
  const ipFamily: IpFamily | null = values.ipv4 === true ? 4 : values.ipv6 === true ? 6 : null;
  const resolve: ResolvedHost[] = [];
  const seen = new Set<string>();
  for (const value of values.resolve ?? []) {
    const entry = entryOf(value);
    if (E.isLeft(entry)) return entry;
    const key = `${entry.right.host}:${entry.right.port}`;
    if (seen.has(key)) return E.left(invalid('--resolve', `${key} is given twice: give its addresses once`));
    seen.add(key);
    if (ipFamily !== null && !entry.right.addresses.some((address) => isIP(address) === ipFamily))
      return E.left(
        invalid('--resolve', `${key} has no IPv${ipFamily} address, and -${ipFamily} uses only those`),
      );
    resolve.push(entry.right);
  }
  if (ipFamily !== null) {
    for (const url of urls) {
      const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
      const version = isIP(host);
      if (version !== 0 && version !== ipFamily)
        return E.left(
          invalid(
            `--ipv${ipFamily}`,
            `${host} is an IPv${version} address: -${ipFamily} uses IPv${ipFamily} only`,
          ),
        );
    }
  }
  return E.right({ resolve, ipFamily });
};
