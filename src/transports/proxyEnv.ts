import { BlockList, isIP } from 'node:net';
import type { ProxyOptions } from '../shared/options';

/**
 * Proxy settings from the environment, the way curl and most command-line tools read them,
 * and the NO_PROXY matching the transports apply to every connection (redirect hops too).
 * Pure: no I/O, the environment is passed in.
 */

export type ProxyEnv = Record<string, string | undefined>;

/**
 * The proxy to use for `url` according to `env`, or undefined to connect directly.
 *
 * - https:/wss: use `https_proxy`, then `HTTPS_PROXY`.
 * - http:/ws: use `http_proxy`, then `HTTP_PROXY`, except that upper-case HTTP_PROXY is
 *   ignored when `REQUEST_METHOD` is set: under CGI it can be set by a request header
 *   ("httpoxy"), as curl and Go also do.
 * - `no_proxy`, then `NO_PROXY`: comma- or space-separated; see `bypassesProxy`.
 * - A proxy value without a scheme ("proxy:3128") means http://.
 *
 * The returned `noProxy` list goes into ConnectOptions.proxy so redirect hops to other hosts
 * are matched too.
 */
export function proxyFromEnv(url: string | URL, env: ProxyEnv = process.env): ProxyOptions | undefined {
  let target: URL;
  try {
    target = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const secure = target.protocol === 'https:' || target.protocol === 'wss:';
  if (!secure && target.protocol !== 'http:' && target.protocol !== 'ws:') return undefined;
  const raw = secure ? pick(env.https_proxy, env.HTTPS_PROXY) : pick(env.http_proxy, env.REQUEST_METHOD ? undefined : env.HTTP_PROXY);
  if (!raw) return undefined;
  const proxyUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const noProxy = parseNoProxy(pick(env.no_proxy, env.NO_PROXY) ?? '');
  if (bypassesProxy(target, noProxy)) return undefined;
  return noProxy.length ? { url: proxyUrl, noProxy } : { url: proxyUrl };
}

function pick(lower: string | undefined, upper: string | undefined): string | undefined {
  const v = lower !== undefined ? lower : upper;
  const t = v?.trim();
  return t ? t : undefined;
}

/** Splits a NO_PROXY value into entries (commas and/or whitespace). */
export function parseNoProxy(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' || protocol === 'wss:' ? 443 : 80;
}

/**
 * True when `target` must not go through the proxy. Entries (case-insensitive):
 * - `*`: nothing is proxied;
 * - `example.com`, `.example.com`, `*.example.com`: that host and every subdomain (curl's rule);
 * - `host:port`, `.example.com:8443`, `[::1]:8080`: as above, on that port only;
 * - `127.0.0.1`, `::1`, `[::1]`: that address; `10.0.0.0/8`, `fd00::/8`: a CIDR range (IP literals only, no DNS).
 */
export function bypassesProxy(target: URL | { hostname: string; port: number }, noProxy: readonly string[] | undefined): boolean {
  if (!noProxy || noProxy.length === 0) return false;
  let host: string;
  let port: number;
  if (target instanceof URL) {
    host = target.hostname;
    port = target.port ? Number(target.port) : defaultPort(target.protocol);
  } else {
    host = target.hostname;
    port = target.port;
  }
  host = stripBrackets(host.toLowerCase()).replace(/\.$/, '');
  const hostIp = isIP(host);
  for (const raw of noProxy) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    // host:port, [v6]:port; a bare IPv6 address has several colons and no port.
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracket) {
      entry = bracket[1];
      entryPort = bracket[2] ? Number(bracket[2]) : undefined;
    } else {
      const m = /^([^:]+):(\d+)$/.exec(entry);
      if (m) {
        entry = m[1];
        entryPort = Number(m[2]);
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    if (entry.includes('/')) {
      if (hostIp && cidrContains(entry, host, hostIp)) return true;
      continue;
    }
    if (isIP(entry)) {
      if (hostIp && sameIp(entry, host)) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (!domain) continue;
    if (host === domain || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function sameIp(a: string, b: string): boolean {
  const fa = isIP(a);
  const fb = isIP(b);
  if (fa !== fb) return false;
  const list = new BlockList();
  list.addAddress(a, fa === 6 ? 'ipv6' : 'ipv4');
  return list.check(b, fb === 6 ? 'ipv6' : 'ipv4');
}

function cidrContains(cidr: string, host: string, hostFamily: number): boolean {
  const [net, bits] = cidr.split('/');
  const family = isIP(net);
  const prefix = Number(bits);
  if (!family || family !== hostFamily || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) return false;
  const list = new BlockList();
  const type = family === 6 ? 'ipv6' : 'ipv4';
  list.addSubnet(net, prefix, type);
  return list.check(host, type);
}
