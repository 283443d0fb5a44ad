import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/** Addresses that a host name has at one port, whatever DNS says (curl's `--resolve host:port:addr,…`). */
export interface ResolvedHost {
  /** A host name (not an IP address), in any letter case. */
  readonly host: string;
  readonly port: number;
  /** IPv4 or IPv6 addresses (no brackets), tried in order. */
  readonly addresses: readonly string[];
}

/** The IP version connections use: 4 or 6 (curl's `-4`, `-6`). */
export type IpFamily = 4 | 6;

/** What `net.connect` and `tls.connect` are given, beside `host` and `port`, to reach a peer. */
export interface DialOptions {
  readonly lookup?: LookupFunction;
  readonly family?: IpFamily;
}

const keyOf = (host: string, port: number): string => `${host.toLowerCase()}:${port}`;

/**
 * How a connection finds the address of its peer (the origin, or the proxy): the addresses given for its name and
 * port (`resolved`), else the system's lookup (`dns.lookup`, as Node's own), only of `family` when one is given.
 * The name stays the peer's own everywhere else: `Host`, SNI and the certificate's check are the URL's.
 */
export class HostLookup {
  readonly #resolved = new Map<string, readonly string[]>();
  readonly #family: IpFamily | null;

  constructor(resolved: readonly ResolvedHost[], family: IpFamily | null) {
    for (const entry of resolved) this.#resolved.set(keyOf(entry.host, entry.port), entry.addresses);
    this.#family = family;
  }

  /** Why `host` (a name or an IP address) cannot be connected to under `family` (an address of the other one). */
  familyProblem(host: string): string | null {
    const version = isIP(host);
    if (this.#family === null || version === 0 || version === this.#family) return null;
    return `${host} is an IPv${version} address, and only IPv${this.#family} is used (-${this.#family})`;
  }

  /** The options that reach `host:port`: a lookup of its own when addresses were given for it, and the family. */
  dialOptions(host: string, port: number): DialOptions {
    const family = this.#family;
    const given = this.#resolved.get(keyOf(host, port));
    if (given === undefined) return family === null ? {} : { family };
    const usable = family === null ? given : given.filter((address) => isIP(address) === family);
    const lookup = ((
      _hostname: string,
      options: { readonly all?: boolean },
      callback: (
        error: NodeJS.ErrnoException | null,
        address: string | LookupAddress[],
        family?: number,
      ) => void,
    ): void => {
      const first = usable[0];
      if (first === undefined) {
        const error: NodeJS.ErrnoException = new Error(
          `${host}:${port} has no IPv${family} address among those given (--resolve)`,
        );
        error.code = 'ENOTFOUND';
        callback(error, '', 0);
      } else if (options.all === true) {
        callback(
          null,
          usable.map((address) => ({ address, family: isIP(address) })),
        );
      } else callback(null, first, isIP(first));
    }) as LookupFunction;
    return { lookup, ...(family === null ? {} : { family }) };
  }
}
