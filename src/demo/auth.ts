/**
 * Credentials for the demo server's /auth/<method>/<transport> routes: the long-lived demo
 * token, short-lived tokens issued by /token, and where each method expects to find them.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type DemoTransport = 'poll' | 'long-poll' | 'sse' | 'ws';
export type DemoAuthMethod = 'query' | 'bearer' | 'cookie' | 'subprotocol' | 'first-message' | 'token-url' | 'subprotocol-noecho';

export const DEMO_TRANSPORTS: readonly DemoTransport[] = ['poll', 'long-poll', 'sse', 'ws'];
export const DEMO_AUTH_METHODS: readonly DemoAuthMethod[] = ['query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url', 'subprotocol-noecho'];
/** Methods that only make sense during a WebSocket handshake or on an open WebSocket. */
export const WS_ONLY_METHODS: readonly DemoAuthMethod[] = ['subprotocol', 'subprotocol-noecho', 'first-message'];

/** Fixed so docs, the CLI help and people can quote it. */
export const DEMO_TOKEN = 'demo-token-3f9a7c2e1b5d4a60';
export const DEMO_CLIENT_ID = 'demo';
export const DEMO_CLIENT_SECRET = 'demo-secret';

export const QUERY_PARAM = 'access_token';
export const COOKIE_NAME = 'session';
/** The marker subprotocol offered next to the token, and echoed back on success. */
export const SUBPROTOCOL_MARKER = 'access_token';

/** Bounds the issued-token table so a client hammering /token cannot grow memory forever. */
const MAX_ISSUED = 10_000;
/** Expired tokens are remembered this long so a late client hears "expired", not "unknown". */
const REMEMBER_EXPIRED_MS = 10 * 60_000;

export type TokenCheck = { ok: true } | { ok: false; reason: string };

export class TokenStore {
  /** token -> expiry (Date.now() ms). Map keeps insertion order, which is expiry order. */
  private readonly issued = new Map<string, number>();

  constructor(
    private readonly ttlSeconds: number,
    readonly demoToken: string = DEMO_TOKEN,
  ) {}

  issue(): { token: string; expiresIn: number } {
    this.prune();
    const token = `st-${randomBytes(12).toString('hex')}`;
    this.issued.set(token, Date.now() + this.ttlSeconds * 1000);
    return { token, expiresIn: this.ttlSeconds };
  }

  /** `issuedOnly`: the token-url variant, which rejects the long-lived demo token. */
  check(token: string, issuedOnly: boolean): TokenCheck {
    if (token === this.demoToken) {
      return issuedOnly ? { ok: false, reason: 'This endpoint accepts only short-lived tokens from /token; the long-lived demo token is not valid here.' } : { ok: true };
    }
    const expiry = this.issued.get(token);
    if (expiry === undefined) return { ok: false, reason: 'The token is not one this server knows (neither the demo token nor one issued by /token).' };
    if (Date.now() >= expiry) return { ok: false, reason: 'The token has expired; fetch a fresh one from /token.' };
    return { ok: true };
  }

  private prune(): void {
    const cutoff = Date.now() - REMEMBER_EXPIRED_MS;
    for (const [token, expiry] of this.issued) {
      if (expiry > cutoff && this.issued.size < MAX_ISSUED) break;
      this.issued.delete(token);
    }
  }
}

/** Where a credential was looked for and what was found. */
export interface FoundCredential {
  token?: string;
  /** Human description of where the token was expected, for rejection messages. */
  expected: string;
  /** A carrier was present but malformed (e.g. "Authorization: Basic ..."). */
  malformed?: string;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        out.set(name, value);
      }
    }
  }
  return out;
}

function bearer(headers: IncomingHttpHeaders): { token?: string; malformed?: string } {
  const h = headers.authorization;
  if (!h) return {};
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(h);
  if (m) return { token: m[1] };
  return { malformed: `The Authorization header is not "Bearer <token>" (got scheme "${h.trim().split(/\s+/)[0] ?? ''}").` };
}

/** Finds the credential for the header/query/cookie-carried methods. */
export function findCredential(method: 'query' | 'bearer' | 'cookie' | 'token-url', url: URL, headers: IncomingHttpHeaders): FoundCredential {
  switch (method) {
    case 'query':
      return { token: url.searchParams.get(QUERY_PARAM) || undefined, expected: `query parameter "${QUERY_PARAM}"` };
    case 'bearer': {
      const b = bearer(headers);
      return { token: b.token, malformed: b.malformed, expected: 'header "Authorization: Bearer <token>"' };
    }
    case 'cookie':
      return { token: parseCookies(headers.cookie).get(COOKIE_NAME) || undefined, expected: `cookie "${COOKIE_NAME}"` };
    case 'token-url': {
      // A token fetched from /token may be placed any of the usual ways.
      const b = bearer(headers);
      const cookies = parseCookies(headers.cookie);
      const token = b.token ?? (url.searchParams.get(QUERY_PARAM) || url.searchParams.get('token') || cookies.get(COOKIE_NAME) || cookies.get('token') || undefined);
      return { token, malformed: token ? undefined : b.malformed, expected: `a token from /token, as "Authorization: Bearer", query parameter "${QUERY_PARAM}" or cookie "${COOKIE_NAME}"` };
    }
  }
}

const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Sec-WebSocket-Protocol as a list; undefined when the header breaks RFC 6455 syntax. */
export function parseSubprotocols(header: string | undefined): string[] | undefined {
  if (header === undefined) return [];
  const list = header.split(',').map((s) => s.trim());
  if (list.some((s) => !TOKEN_CHARS.test(s)) || new Set(list).size !== list.length) return undefined;
  return list;
}

/**
 * Subprotocol auth: the token is any offered protocol other than the marker (clients send
 * ["access_token", token]; some omit the marker). Returns what to echo on success.
 */
export function checkSubprotocols(store: TokenStore, offered: string[]): { ok: true; echo: string } | { ok: false; reason: string } {
  const candidates = offered.filter((p) => p !== SUBPROTOCOL_MARKER);
  if (candidates.length === 0) {
    return { ok: false, reason: `No token in Sec-WebSocket-Protocol: offer ["${SUBPROTOCOL_MARKER}", "<token>"].` };
  }
  let last: TokenCheck = { ok: false, reason: '' };
  for (const c of candidates) {
    last = store.check(c, false);
    if (last.ok) return { ok: true, echo: offered.includes(SUBPROTOCOL_MARKER) ? SUBPROTOCOL_MARKER : c };
  }
  return { ok: false, reason: last.ok ? '' : last.reason };
}

/** Parses a first-message auth frame; a reason string when it is not one. */
export function parseAuthMessage(text: string): { token: string } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: 'The first message must be JSON: {"type":"auth","token":"<token>"}.' };
  }
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== 'auth') {
    return { reason: 'The first message must be {"type":"auth","token":"<token>"}.' };
  }
  const token = (value as { token?: unknown }).token;
  if (typeof token !== 'string' || token === '') return { reason: 'The auth message has no "token" string.' };
  return { token };
}
