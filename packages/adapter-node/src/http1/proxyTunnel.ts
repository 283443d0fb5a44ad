import { connect, type Socket } from 'node:net';
import type { AbortSignalLike, HttpFailure, ProxyFailure } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import type { DialOptions } from './hostLookup.js';
import type { ProxyEndpoint } from './proxyRoute.js';
import { ResponseHeadParser } from './responseHead.js';

/** `host:port` as a request target or `Host` names it: an IPv6 literal in brackets. */
export const authorityOf = (host: string, port: number): string =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Opens a tunnel to `host:port` through `proxy` (RFC 9110 §9.3.6): a TCP connection to the proxy, `CONNECT
 * host:port` with the proxy's credentials (the only place they go: the origin never sees them, R37), and its
 * answer read up to its blank line. Resolves the socket, paused, once a 2xx came with nothing after it (the client
 * speaks first in TLS, so a byte there is garbage); otherwise why not, as `ProxyRefused`: `unreachable` when the
 * proxy could not be reached or closed before answering, `refused` with the status of any other answer,
 * `malformed` for a head that breaks HTTP (over 64 KiB included). Never rejects; an abort destroys the socket.
 * `userAgent` is the CONNECT's `user-agent` (`null`: none), as the requests'. `connectTimeoutMs` (`null`: none) bounds the TCP connect to the proxy, and then its answer to CONNECT: a proxy
 * that never accepts, or accepts and stays silent, is `unreachable` past it, retried as one that refuses (R25);
 * without it only core's stall timeout would end the wait, and no message would name the proxy.
 */
export const openTunnel = (
  proxy: ProxyEndpoint,
  host: string,
  port: number,
  signal: AbortSignalLike,
  connectTimeoutMs: number | null,
  userAgent: string | null,
  /** How the proxy's address is found (`--resolve`, `-4`, `-6`). Default: the system's lookup. */
  dial: DialOptions = {},
): Promise<E.Either<HttpFailure, Socket>> =>
  new Promise((resolve) => {
    const target = authorityOf(host, port);
    const parser = new ResponseHeadParser();
    const socket = connect({ host: proxy.host, port: proxy.port, ...dial });
    socket.setNoDelay(true);
    let connected = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = (what: () => string): void => {
      if (connectTimeoutMs === null) return;
      clearTimeout(timer);
      timer = setTimeout(
        () => refused('unreachable', `${what()} within ${connectTimeoutMs / 1000} s (connect timeout)`),
        connectTimeoutMs,
      );
      timer.unref();
    };
    const settle = (result: E.Either<HttpFailure, Socket>): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (E.isLeft(result)) socket.destroy();
      resolve(result);
    };
    const refused = (reason: ProxyFailure['reason'], message: string, status: number | null = null): void =>
      settle(E.left({ _tag: 'ProxyRefused', proxy: proxy.shown, reason, status, message }));
    const onAbort = (): void => settle(E.left({ _tag: 'Aborted' }));
    const onError = (error: Error): void =>
      refused(
        'unreachable',
        `${connected ? 'the connection failed' : 'cannot be reached'}: ${error.message}`,
      );
    const onClose = (): void =>
      refused('unreachable', `closed the connection before answering CONNECT ${target}`);
    const onData = (chunk: Buffer): void => {
      const step = parser.feed(chunk, 0, chunk.length);
      if (step._tag === 'More') return;
      const status = step._tag === 'Head' ? step.head.status : 0;
      if (step._tag === 'Invalid')
        refused('malformed', `invalid answer to CONNECT ${target}: ${step.message}`);
      else if (status < 200 || status > 299) {
        const message = `answered HTTP ${status} to CONNECT ${target}${refusalHint(status, proxy)}`;
        refused('refused', message, status);
      } else if (step.end < chunk.length)
        refused('malformed', `sent bytes after its answer to CONNECT ${target}`);
      else {
        socket.pause();
        settle(E.right(socket));
      }
    };
    socket.on('connect', () => {
      connected = true;
      bound(() => `did not answer CONNECT ${target}`);
      const credentials =
        proxy.authorization === null ? '' : `proxy-authorization: ${proxy.authorization}\r\n`;
      const agent = userAgent === null ? '' : `user-agent: ${userAgent}\r\n`;
      socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n${credentials}${agent}\r\n`, 'latin1');
    });
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    bound(() => `cannot be reached: TCP connect to ${authorityOf(proxy.host, proxy.port)} not done`);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });

/**
 * What a 407 means for the user: credentials to add to the proxy URL, or the ones there were refused (some
 * proxies, tinyproxy among them, answer wrong ones with 401).
 */
export const refusalHint = (status: number, proxy: ProxyEndpoint): string => {
  if (status !== 407 && status !== 401) return '';
  return proxy.authorization === null
    ? ' (it wants credentials: give them in the proxy URL, http://user:password@host:port)'
    : ' (it refused the credentials of the proxy URL)';
};
