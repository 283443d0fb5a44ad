/** `proxy-from-env` ships no declarations: the one function rdl calls. */
declare module 'proxy-from-env' {
  /** The proxy URL for `url` under the environment's `*_proxy` and `no_proxy` variables, `''` for none. */
  export function getProxyForUrl(url: string | URL): string;
}
