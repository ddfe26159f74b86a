/**
 * ConnectOptions as the extension builds them: from the panel's form, with the settings
 * filling what the connection leaves unset, and made safe to save. Saved connections
 * themselves use the shared workspace file (src/shared/environments.ts). No `vscode` import.
 */
import type { TransportKind } from '../shared/events';
import type { AuthConfig, ConnectOptions, ProxyOptions } from '../shared/options';
import type { ConnectionConfig } from '../shared/protocol';
import { bypassesProxy, parseNoProxy, proxyFromEnv } from '../transports/proxyEnv';
import { Redactor, redactUrl } from '../transports/redact';
import type { InspectorSettings, ProxySettings } from './settings';

/** "host/path (transport)" for a connection without a name. */
export function defaultName(url: string, transport: TransportKind): string {
  try {
    const u = new URL(url);
    const path = u.pathname === '/' ? '' : u.pathname;
    return `${u.host}${path} (${transport})`;
  } catch {
    return `${url} (${transport})`;
  }
}

function originOf(url: string): string {
  try {
    const u = new URL(url);
    return u.origin === 'null' ? `${u.protocol}//${u.host}` : u.origin;
  } catch {
    return url;
  }
}

/**
 * SecretStorage key under which the last credential typed for an endpoint is remembered
 * (one per origin, carrier and name), so connecting again does not mean pasting it again.
 */
export function rememberedKey(kind: string, url: string, name?: string): string {
  return `remembered/${kind}/${originOf(url)}${name ? `/${name}` : ''}`;
}

/**
 * The panel form's configuration as options (no settings applied: what the person chose).
 * An empty token takes the value remembered for the endpoint, looked up by `remembered`.
 */
/** PromiseLike under the name VS Code's API uses. */
type Thenable<T> = PromiseLike<T>;

export async function optionsFromConfig(
  config: ConnectionConfig,
  transport: TransportKind,
  remembered: (key: string) => Thenable<string | undefined> | string | undefined = () => undefined,
): Promise<{ options: ConnectOptions; typed: Map<string, string> }> {
  const url = config.url.trim();
  const typed = new Map<string, string>();
  const token = async (kind: string, value: string, name?: string): Promise<string> => {
    const key = rememberedKey(kind, url, name);
    if (value) {
      typed.set(key, value);
      return value;
    }
    const kept = await remembered(key);
    if (!kept) throw new Error(`The ${kind === 'cookie' ? 'cookie value' : kind === 'header' ? `${name} value` : 'token'} is empty and none is remembered for ${originOf(url)}.`);
    return kept;
  };
  const a = config.auth;
  let auth: AuthConfig | undefined;
  switch (a.method) {
    case 'none':
      auth = undefined;
      break;
    case 'query':
      auth = { method: 'query', param: a.param, token: await token('query', a.token, a.param) };
      break;
    case 'bearer':
      auth = { method: 'bearer', token: await token('bearer', a.token) };
      break;
    case 'cookie':
      auth = { method: 'cookie', name: a.name, value: await token('cookie', a.token, a.name) };
      break;
    case 'header':
      auth = { method: 'header', name: a.name, value: await token('header', a.token, a.name.toLowerCase()) };
      break;
    case 'subprotocol':
      auth = { method: 'subprotocol', token: await token('subprotocol', a.token), ...(a.marker ? { marker: a.marker } : {}) };
      break;
    case 'first-message':
      auth = { method: 'first-message', token: await token('first-message', a.token), ...(a.template ? { template: a.template } : {}) };
      break;
    case 'token-url':
      auth = { method: 'token-url', url: a.tokenUrl, httpMethod: a.httpMethod, placement: a.placement, ...(a.body ? { body: a.body } : {}), ...(a.tokenPath ? { tokenPath: a.tokenPath } : {}) };
      if (a.body) typed.set(rememberedKey('token-body', a.tokenUrl), a.body);
      break;
  }
  const options: ConnectOptions = { url, transport };
  if (config.headers.length) options.headers = config.headers.map(([k, v]): [string, string] => [k, v]);
  if (auth) options.auth = auth;
  if (config.subprotocols.length) options.subprotocols = [...config.subprotocols];
  if (config.intervalMs !== undefined) options.intervalMs = config.intervalMs;
  if (config.holdTimeoutMs !== undefined) options.holdTimeoutMs = config.holdTimeoutMs;
  if (config.timeoutMs !== undefined) options.timeoutMs = config.timeoutMs;
  if (config.sendUrl) options.sendUrl = config.sendUrl;
  if (config.insecure) options.insecure = true;
  options.reconnect = { enabled: config.reconnect };
  return { options, typed };
}

/** The options a session runs with: the connection's own, and the settings for whatever it leaves unset. */
export function withSettings(o: ConnectOptions, s: InspectorSettings): ConnectOptions {
  return {
    ...o,
    intervalMs: o.intervalMs ?? s.pollIntervalMs,
    holdTimeoutMs: o.holdTimeoutMs ?? s.longPollHoldTimeoutMs,
    timeoutMs: o.timeoutMs ?? s.timeoutMs,
    redirects: o.redirects ?? s.followRedirects,
    reconnect: { enabled: s.reconnect.enabled, maxDelayMs: s.reconnect.maxDelayMs, ...o.reconnect },
    logCap: o.logCap ?? s.logCap,
  };
}

/**
 * Applies VS Code's proxy settings: `http.proxy` (or, when empty, HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY from the environment, as VS Code itself does), `http.noProxy`, `http.proxySupport`
 * "off", and `http.proxyStrictSSL` false, which stops certificate checks for proxied connections
 * only. A proxy set on the connection itself wins.
 */
export function withProxySettings(o: ConnectOptions, p: ProxySettings, env: Record<string, string | undefined> = process.env): ConnectOptions {
  if (o.proxy || p.support === 'off') return o;
  let proxy: ProxyOptions | undefined;
  if (p.proxy) {
    // Bypass is decided per connection by dial(), redirects included.
    const noProxy = [...p.noProxy, ...parseNoProxy(env.no_proxy ?? env.NO_PROXY ?? '')];
    proxy = { url: p.proxy, noProxy: noProxy.length ? noProxy : undefined };
  } else {
    proxy = proxyFromEnv(o.url, env);
    if (proxy && p.noProxy.length) proxy = { ...proxy, noProxy: [...(proxy.noProxy ?? []), ...p.noProxy] };
  }
  if (!proxy) return o;
  if (p.strictSSL) return { ...o, proxy };
  // proxyStrictSSL off loosens certificate checks only when this connection really goes through
  // the proxy; a host on the no-proxy list keeps full checks.
  let target: URL;
  try {
    target = new URL(o.url);
  } catch {
    return { ...o, proxy };
  }
  return bypassesProxy(target, proxy.noProxy) ? { ...o, proxy } : { ...o, proxy, insecure: true };
}

/** Query parameters (and a URL password) that look like credentials, by the transports' own redaction rules. */
export function secretPartsOfUrl(url: string): { params: string[]; password: boolean } {
  const r = new Redactor(false);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { params: [], password: false };
  }
  const params: string[] = [];
  for (const [k, v] of u.searchParams) {
    if (redactUrl(`http://x/?${encodeURIComponent(k)}=${encodeURIComponent(v)}`, r).includes('«redacted') && !params.includes(k)) params.push(k);
  }
  return { params, password: u.password !== '' };
}

/**
 * Makes options safe to save in the workspace file: a token typed into the URL's query
 * string moves into query auth (so toSavedConnection puts it in the secret store).
 * Returns a reason when that cannot be done.
 */
export function moveUrlTokenToAuth(o: ConnectOptions): { options: ConnectOptions } | { error: string } {
  const { params, password } = secretPartsOfUrl(o.url);
  if (password) return { error: 'The URL holds a password (user:password@host). Remove it from the URL and use an auth method instead, so it can be kept in secret storage.' };
  if (!params.length) return { options: o };
  if ((o.auth && o.auth.method !== 'none') || params.length > 1) {
    const list = params.map((p) => `"${p}"`).join(', ');
    return { error: `The URL's query parameter${params.length > 1 ? 's' : ''} ${list} look${params.length > 1 ? '' : 's'} like a credential. Remove ${params.length > 1 ? 'them' : 'it'} from the URL and use query-parameter auth instead, so the token is kept in secret storage.` };
  }
  const u = new URL(o.url);
  const param = params[0];
  const token = u.searchParams.get(param) ?? '';
  u.searchParams.delete(param);
  return { options: { ...o, url: u.toString(), auth: { method: 'query', param, token } } };
}
