// proxy-from-env ships no types; this is the one function the transport calls (its README's API).
declare module 'proxy-from-env' {
  /**
   * The proxy URL the environment names for `url` (`<SCHEME>_PROXY`, then `ALL_PROXY`, lower or
   * upper case), or `''` when there is none or `NO_PROXY` lists its host.
   */
  export function getProxyForUrl(url: string): string;
}
