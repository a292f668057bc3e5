import { BlockList, isIP } from 'node:net';
import type { Config } from '../config.js';

/** Loopback, the proxy `server.trust_proxy: true` has always meant on a single host. */
const LOOPBACK = ['127.0.0.0/8', '::1'];

/**
 * The proxies whose forwarding headers count: `server.trusted_proxies`, or loopback
 * when only the older `server.trust_proxy: true` is set. Empty means trust none.
 */
export function trustedProxyList(server: Pick<Config['server'], 'trust_proxy' | 'trusted_proxies'>): string[] {
  if (server.trusted_proxies.length > 0) return [...server.trusted_proxies];
  return server.trust_proxy ? LOOPBACK : [];
}

/** `::ffff:10.0.0.1` is the IPv4 peer 10.0.0.1 on a dual-stack socket. */
function normalise(address: string): string {
  const a = address.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/**
 * A matcher for a list of IPs and CIDR blocks. Answers are remembered per address (a
 * check builds a native socket address, and every request asks for its peer): at most
 * `REMEMBERED` addresses, then the memory starts over.
 */
export function proxyMatcher(list: readonly string[]): (address: string) => boolean {
  if (list.length === 0) return () => false;
  const blocks = new BlockList();
  for (const entry of list) {
    const [addr = '', bits] = entry.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) blocks.addAddress(addr, type);
    else blocks.addSubnet(addr, Number(bits), type);
  }
  const seen = new Map<string, boolean>();
  return (address) => {
    let answer = seen.get(address);
    if (answer === undefined) {
      const a = normalise(address);
      const family = isIP(a);
      answer = family !== 0 && blocks.check(a, family === 6 ? 'ipv6' : 'ipv4');
      if (seen.size >= REMEMBERED) seen.clear();
      seen.set(address, answer);
    }
    return answer;
  };
}

const REMEMBERED = 1024;

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy; then
 * X-Forwarded-For is read from the right, skipping trusted proxies, and the first
 * untrusted hop is the client (entries left of it were written by whoever sent the
 * request, and may be forged). Garbage in the header ends the walk at the last
 * trusted hop rather than yielding an address somebody typed.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: (address: string) => boolean): string {
  let client = normalise(peer);
  if (!trusted(client) || !forwardedFor) return client;
  const hops = forwardedFor.split(',').map((h) => normalise(h));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trusted(hop)) break;
  }
  return client;
}
