/**
 * The one event model. Every transport (short polling, long polling, SSE, WebSocket)
 * emits a stream of these; the log, the stats, the hints, the CLI, the exports and the
 * webview all read the same stream. Documented for people in docs/events.md.
 *
 * Pure types and tiny pure helpers only: imported by Node code and by the webview.
 */

export type TransportKind = 'poll' | 'long-poll' | 'sse' | 'ws';
export const TRANSPORT_KINDS: readonly TransportKind[] = ['poll', 'long-poll', 'sse', 'ws'];

export type ConnectionState = 'connecting' | 'open' | 'closing' | 'closed';

/** Where a credential travelled. `none` means the session carries no token. */
export type AuthMethod = 'none' | 'query' | 'bearer' | 'cookie' | 'subprotocol' | 'first-message' | 'token-url' | 'header';

/** One header as seen on the wire; repeated names stay repeated, order is kept. */
export type HeaderList = Array<[name: string, value: string]>;

interface EventBase {
  /** Sequence number, 0-based, unique within a session; never reused even when the log drops old events. */
  seq: number;
  /** Milliseconds since the session started, from a monotonic clock (fractional). */
  t: number;
}

/** The session started: what was asked for. Always the first event (seq 0). */
export interface SessionStartEvent extends EventBase {
  type: 'session';
  transport: TransportKind;
  /** Target URL, secrets redacted unless the user asked to see them. */
  url: string;
  /** Wall-clock time (ms since epoch) at t = 0, so times can be shown as dates. */
  wallStart: number;
  /** Free-form description of the options in force (interval, timeouts, ...). */
  options: Record<string, string | number | boolean>;
}

export interface StateEvent extends EventBase {
  type: 'state';
  state: ConnectionState;
  previous: ConnectionState;
}

/** An HTTP request left (poll, long poll, SSE connect, WebSocket upgrade, token fetch, "send" over HTTP). */
export interface RequestEvent extends EventBase {
  type: 'request';
  /** Identifies the exchange; the matching response/timing/error events carry it. */
  requestId: number;
  /** What the request was for. */
  purpose: 'poll' | 'long-poll' | 'sse' | 'upgrade' | 'token' | 'send' | 'probe';
  method: string;
  url: string;
  headers: HeaderList;
  /** Bytes of the request line and headers as written. */
  headerBytes: number;
  /** Body bytes sent, 0 for none. */
  bodyBytes: number;
  /** Preview of the request body, if any (redacted). */
  body?: string;
}

export interface ResponseEvent extends EventBase {
  type: 'response';
  requestId: number;
  status: number;
  statusText: string;
  /** "1.1", "2.0", ... */
  httpVersion: string;
  headers: HeaderList;
  /** Bytes of the status line and headers as received. */
  headerBytes: number;
}

/** Timing breakdown of one exchange, from socket events on a monotonic clock. All in ms; undefined when the step did not happen (reused socket, plain TCP). */
export interface TimingEvent extends EventBase {
  type: 'timing';
  requestId: number;
  dns?: number;
  tcp?: number;
  tls?: number;
  /** Time from the request being written to the first byte of the response (or to the 101 upgrade). */
  ttfb?: number;
  /** Whole exchange: from start to the last body byte (or to the upgrade for WebSocket). */
  total: number;
  /** Bytes of body received on the wire, transfer-encoding framing included. */
  bodyWireBytes?: number;
  /** True when the socket was reused from a keep-alive pool. */
  reusedSocket: boolean;
  remoteAddress?: string;
  remotePort?: number;
  /** How long the server held the request (long polling): from request written to response headers. */
  heldMs?: number;
  /** Through a proxy: `dns`/`tcp` are to the proxy, and this is its CONNECT exchange (request written → tunnel open). */
  proxy?: number;
}

/** A server certificate as the client saw it, with why it was refused (or accepted anyway). */
export interface TlsCertificate {
  /** "CN=example.com, O=Example" */
  subject: string;
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  /** subjectAltName as the certificate lists it ("DNS:example.com, IP Address:127.0.0.1"). */
  altNames?: string;
  selfSigned: boolean;
  /** OpenSSL/Node verification code: DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ... */
  code: string;
  /** The reason in words. */
  reason: string;
}

/** One message (a WebSocket data frame/message, an SSE event, or a poll body carrying data). */
export interface MessageEvent extends EventBase {
  type: 'message';
  direction: 'in' | 'out';
  /** Payload size in bytes. */
  size: number;
  binary: boolean;
  /**
   * The full payload: text as a string, binary as bytes. WebSocket messages are recorded
   * without an event object (EventLog.pushMessage: small payloads copied into a slab, large
   * ones kept by reference) and built when read, so each read gives a new object. Redacted
   * when it carried a secret and the user did not ask to see it.
   */
  data: string | Uint8Array;
  /** WebSocket opcode: 1 text, 2 binary. */
  opcode?: number;
  /** SSE fields. */
  sse?: { event: string; id?: string; retry?: number };
  /** Request that carried it (polling, SSE stream, HTTP send). */
  requestId?: number;
  /** Bytes this message cost on the wire beyond its payload (frame header, SSE field names, HTTP overhead share). */
  overheadBytes?: number;
  /** Latency from the server's send time, when the payload carries one (demo server: `ts`). */
  latencyMs?: number;
  /** Set when the payload was redacted because it carried a secret. */
  redacted?: boolean;
}

/** SSE comment line (": heartbeat"), shown raw. */
export interface CommentEvent extends EventBase {
  type: 'comment';
  text: string;
  requestId?: number;
}

/** SSE `retry:` field received. */
export interface RetryEvent extends EventBase {
  type: 'retry';
  /** Raw value the server sent. */
  raw: string;
  /** The value in ms that will be used after clamping, or undefined when ignored (non-digits). */
  appliedMs?: number;
}

export interface PingPongEvent extends EventBase {
  type: 'ping' | 'pong';
  direction: 'in' | 'out';
  size: number;
  data: Uint8Array;
}

export interface CloseEvent extends EventBase {
  type: 'close';
  /** WebSocket close code, or 0 for HTTP transports. */
  code: number;
  reason: string;
  /** Who initiated the close. */
  by: 'client' | 'server' | 'network';
  wasClean: boolean;
}

/** A reconnect is scheduled (after an error or a close) or happening. */
export interface ReconnectEvent extends EventBase {
  type: 'reconnect';
  attempt: number;
  /** Delay planned before the next attempt. */
  delayMs: number;
  reason: string;
  /** SSE: the Last-Event-ID that will be sent. */
  lastEventId?: string;
}

/** Polling verdict for one poll or long poll. */
export interface PollEvent extends EventBase {
  type: 'poll';
  requestId: number;
  outcome: 'data' | 'unchanged' | 'error' | 'timeout';
  /** Why: '304', '204', 'empty', 'same-body', 'http-5xx', ... */
  reason: string;
  /** Long polling: how long the server held the request. */
  heldMs?: number;
  /** Gap from the previous answer to this request reaching the socket (long polling). */
  gapMs?: number;
  /** Cursor value sent with this request (long polling). */
  cursor?: string;
}

/** Where a credential was put. `value` is redacted unless the user asked to see secrets. */
export interface AuthEvent extends EventBase {
  type: 'auth';
  method: AuthMethod;
  /** Human description of the carrier: "query parameter access_token", "Authorization header", ... */
  carrier: string;
  value: string;
  /** Short-lived tokens: seconds until expiry, as the token endpoint said. */
  ttlSeconds?: number;
}

export interface RedirectEvent extends EventBase {
  type: 'redirect';
  requestId: number;
  status: number;
  from: string;
  to: string;
  crossOrigin: boolean;
  followed: boolean;
  /** Credential carriers removed before following to another origin. */
  stripped: string[];
}

export interface ErrorEvent extends EventBase {
  type: 'error';
  /** One sentence a person understands. */
  message: string;
  /** Machine-readable code: ECONNREFUSED, ENOTFOUND, HTTP_STATUS, BAD_CONTENT_TYPE, TIMEOUT, LINE_TOO_LONG, ... */
  code: string;
  requestId?: number;
  /** Extra detail (status, content type, start of body, cause chain). */
  detail?: string;
  /** True when the session cannot continue. */
  fatal: boolean;
  /** The refused server certificate, when the failure was its verification. */
  tls?: TlsCertificate;
}

/** Something worth a line in the log that is not one of the above: negotiated extension, subprotocol echo, proxy used, ... */
export interface InfoEvent extends EventBase {
  type: 'info';
  message: string;
  key?: string;
  /** key 'tls-insecure': the invalid certificate accepted for this connection. */
  tls?: TlsCertificate;
}

export type InspectorEvent =
  | SessionStartEvent
  | StateEvent
  | RequestEvent
  | ResponseEvent
  | TimingEvent
  | MessageEvent
  | CommentEvent
  | RetryEvent
  | PingPongEvent
  | CloseEvent
  | ReconnectEvent
  | PollEvent
  | AuthEvent
  | RedirectEvent
  | ErrorEvent
  | InfoEvent;

export type InspectorEventType = InspectorEvent['type'];

/** An event before the session stamps it with seq and t. */
export type EventInit = InspectorEvent extends infer E ? (E extends InspectorEvent ? Omit<E, 'seq' | 't'> : never) : never;

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Short single-line preview of a payload, computed lazily (never on the receive hot path). */
export function previewOf(data: string | Uint8Array, max = 120): string {
  if (typeof data === 'string') {
    // oneLine maps each UTF-16 unit to one unit, so max + 1 units are enough to truncate from.
    const s = data.length > max + 1 ? data.slice(0, max + 1) : data;
    return truncate(oneLine(s), max);
  }
  return hexPreview(data, Math.floor(max / 3));
}

export function oneLine(s: string): string {
  // Control characters (incl. ANSI escapes and bidi overrides) shown inert.
  return s.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, (c) => (c === '\n' ? '⏎' : c === '\t' ? ' ' : '·'));
}

export function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export function hexPreview(bytes: Uint8Array, maxBytes = 40): string {
  const n = Math.min(bytes.length, maxBytes);
  let out = '';
  for (let i = 0; i < n; i++) out += (i ? ' ' : '') + bytes[i].toString(16).padStart(2, '0');
  return bytes.length > n ? out + ' …' : out;
}

export function decodeText(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/**
 * Byte length of a string in UTF-8 without allocating, as TextEncoder and Buffer.from encode
 * it: a surrogate pair is 4 bytes, a lone surrogate becomes U+FFFD (3 bytes).
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
