import type { HeaderList, TransportKind } from './events';

/** How the credential travels. Token values are plain here: the session registers them for redaction. */
export type AuthConfig =
  | { method: 'none' }
  /** ?param=token on the connect URL. */
  | { method: 'query'; param: string; token: string }
  /** Authorization: Bearer token. */
  | { method: 'bearer'; token: string }
  /** Cookie: name=value. */
  | { method: 'cookie'; name: string; value: string }
  /** Sec-WebSocket-Protocol: the token as a subprotocol, after an optional marker protocol (e.g. "access_token"). WebSocket only. */
  | { method: 'subprotocol'; token: string; marker?: string }
  /** The first message after open, from a template where {{token}} is replaced. WebSocket only (HTTP transports: sent as the first "send"). */
  | { method: 'first-message'; token: string; template?: string }
  /** Any header: name: value. */
  | { method: 'header'; name: string; value: string }
  /** Fetch a short-lived token first, then place it as `placement` says. */
  | {
      method: 'token-url';
      url: string;
      httpMethod?: 'GET' | 'POST';
      /** Body for POST (JSON text), e.g. credentials for the token endpoint. */
      body?: string;
      /** Headers for the token request (e.g. an API key). */
      headers?: HeaderList;
      /** Dot path to the token in the JSON answer. Default "access_token" then "token". */
      tokenPath?: string;
      /** Dot path to the TTL in seconds. Default "expires_in". */
      ttlPath?: string;
      placement?: Exclude<AuthConfig['method'], 'token-url' | 'none' | 'header'>;
      /** Query parameter / cookie name used by the placement. */
      name?: string;
    };

export interface ReconnectOptions {
  enabled: boolean;
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0 = unlimited. */
  maxAttempts: number;
}

export interface ProxyOptions {
  url: string;
  noProxy?: string[];
}

export interface ConnectOptions {
  url: string;
  transport: TransportKind;
  /** Extra request headers (handshake headers for WebSocket). */
  headers?: HeaderList;
  auth?: AuthConfig;
  /** WebSocket subprotocols to offer. */
  subprotocols?: string[];
  /** Short polling: ms between the end of one poll and the start of the next. */
  intervalMs?: number;
  /** Long polling: client-side limit on how long one request may be held. */
  holdTimeoutMs?: number;
  /** Long polling cursor: a value from the last answer put into the next request. */
  cursor?: { from: 'json' | 'header'; path: string; param: string };
  /** Connect / handshake / response-headers timeout. */
  timeoutMs?: number;
  /** SSE: idle body timeout (no bytes at all for this long ends the connection). 0 = none. */
  idleTimeoutMs?: number;
  /** WebSocket maxPayload in bytes. */
  maxPayload?: number;
  /** SSE: the longest line accepted, in bytes. */
  maxLineBytes?: number;
  /** SSE: clamp for the server's retry field. */
  retryClampMs?: { min: number; max: number };
  reconnect?: Partial<ReconnectOptions>;
  /** Accept invalid TLS certificates for this connection only. */
  insecure?: boolean;
  /** Extra certificate authorities (PEM) trusted for this connection only, on top of Node's bundled roots. */
  ca?: string | string[];
  /**
   * HTTP(S) proxy for every request and WebSocket of this connection: always a CONNECT tunnel,
   * so the origin sees the exact bytes this client wrote. `url` may carry user:password
   * (sent as Proxy-Authorization, never logged). `noProxy` entries bypass it: host names,
   * domains (".example.com" or "example.com" match subdomains too), host:port, IPs, CIDR
   * ranges, or "*". src/transports/proxyEnv.ts builds this from HTTPS_PROXY/HTTP_PROXY/NO_PROXY.
   */
  proxy?: ProxyOptions;
  /** Follow redirects: never, same origin only (default), or across origins (credentials stripped). */
  redirects?: 'none' | 'same-origin' | 'all';
  /** Show secrets in the log instead of redacting them. */
  showSecrets?: boolean;
  /** Further secret values to redact wherever they appear (e.g. secret environment variables substituted into the URL, headers or messages). */
  redactValues?: string[];
  /** Ring buffer cap (events). */
  logCap?: number;
  /** Ring buffer budget in bytes (payloads plus a per-event estimate): big messages cannot exhaust memory. */
  logMaxBytes?: number;
  /** Polling/SSE: where "send" posts to (the other half of a two-way channel). */
  sendUrl?: string;
  /** WebSocket: enable permessage-deflate offer. Default true. */
  perMessageDeflate?: boolean;
}

export const DEFAULTS = {
  intervalMs: 1000,
  holdTimeoutMs: 60_000,
  timeoutMs: 10_000,
  maxPayload: 100 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  retryClampMs: { min: 250, max: 60_000 },
  reconnect: { enabled: false, initialDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 0 } as ReconnectOptions,
  logCap: 100_000,
  logMaxBytes: 512 * 1024 * 1024,
} as const;
