/**
 * The typed message protocol between the extension host and the inspector webview.
 * Every message is a member of `ToWebview` or `FromWebview`, discriminated on `type`.
 * Messages are named as requests (`XxxRequest`, webview asks) or facts (`DidXxx`, host tells).
 *
 * Handshake: the webview posts `Ready`; the host answers with `Snapshot` and posts nothing
 * before that. A hidden webview receives nothing; when it becomes visible again the host
 * sends a fresh `Snapshot` instead of replaying a backlog.
 *
 * Whatever arrives from the other side is `unknown` until `isFromWebview` / `isToWebview`
 * has checked it.
 */
import type { ConnectionState, InspectorEventType, TransportKind } from './events';
import type { Hint } from './hints';
import type { JsonEvent } from './serialize';

/** One row of the frame log: small, fixed fields, built host-side in batches (never per frame on the hot path). */
export interface EventRow {
  seq: number;
  /** ms since session start. */
  t: number;
  type: InspectorEventType;
  /** 'in' | 'out' for messages and ping/pong; '' otherwise. */
  dir: '' | 'in' | 'out';
  /** Payload size in bytes (messages, ping/pong), or -1. */
  size: number;
  /** Short label: opcode ("text", "binary"), SSE event name, HTTP status, state, error code. */
  label: string;
  /** Single-line, inert preview (control and bidi characters replaced). */
  preview: string;
  /** SSE id when present. */
  id?: string;
  /** Set for error events and failed polls. */
  error?: boolean;
}

/** Aggregates shown in the stats strip. */
export interface StatsSummary {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Messages per second over the last few seconds. */
  rateIn: number;
  /** Bytes per second over the last few seconds. */
  byteRateIn: number;
  /** Average non-payload bytes per message. */
  overheadPerMessage: number;
  polls: number;
  uselessPolls: number;
  reconnects: number;
  gapP50?: number;
  gapP95?: number;
  errors: number;
}

export interface SessionSummary {
  id: string;
  /** Display name (saved connection name or URL host). */
  name: string;
  transport: TransportKind;
  /** URL with secrets redacted. */
  url: string;
  state: ConnectionState;
  /** Read-only sessions come from an import. */
  readOnly: boolean;
  total: number;
  dropped: number;
}

/** What the connection form submits. Secrets typed into the form go to the host, which stores them in SecretStorage. */
export interface ConnectionConfig {
  url: string;
  transport: TransportKind | 'auto';
  headers: Array<[string, string]>;
  auth:
    | { method: 'none' }
    | { method: 'query'; param: string; token: string }
    | { method: 'bearer'; token: string }
    | { method: 'cookie'; name: string; token: string }
    | { method: 'header'; name: string; token: string }
    | { method: 'subprotocol'; token: string; marker?: string }
    | { method: 'first-message'; token: string; template?: string }
    | { method: 'token-url'; tokenUrl: string; httpMethod: 'GET' | 'POST'; body?: string; tokenPath?: string; placement: 'bearer' | 'query' | 'cookie' | 'subprotocol' | 'first-message' };
  subprotocols: string[];
  intervalMs?: number;
  holdTimeoutMs?: number;
  timeoutMs?: number;
  reconnect: boolean;
  insecure: boolean;
  sendUrl?: string;
}

export interface ViewSettings {
  logCap: number;
  /** True when the user chose to see secrets for this panel (per action, never persisted). */
  revealSecrets: boolean;
}

export type ToWebview =
  /** Full state after Ready or when the panel becomes visible again. `rows` holds the active session's kept rows. */
  | { type: 'Snapshot'; sessions: SessionSummary[]; activeSessionId?: string; rows: EventRow[]; stats?: StatsSummary; hints: Hint[]; settings: ViewSettings; demoUrl?: string; defaults: Partial<ConnectionConfig> }
  /** New rows for a session, batched (a few posts per second at most). */
  | { type: 'DidAppendRows'; sessionId: string; rows: EventRow[]; total: number; dropped: number; stats: StatsSummary }
  /** A session was created, changed state, or was renamed. */
  | { type: 'DidChangeSession'; session: SessionSummary }
  /** The hints for a session were recomputed. */
  | { type: 'DidUpdateHints'; sessionId: string; hints: Hint[] }
  /** Answer to DetailRequest: the whole event with its full payload (redacted unless revealed). */
  | { type: 'DidLoadDetail'; sessionId: string; seq: number; event: JsonEvent | null; related: JsonEvent[] }
  /** The log of a session was cleared. */
  | { type: 'DidClear'; sessionId: string }
  /** Something failed: shown inline, the panel keeps running. */
  | { type: 'DidFail'; message: string };

export type FromWebview =
  /** The webview is loaded and listening. */
  | { type: 'Ready' }
  /** Open a connection with this configuration. */
  | { type: 'ConnectRequest'; config: ConnectionConfig }
  /** Close a session's connection. */
  | { type: 'DisconnectRequest'; sessionId: string }
  /** Send a message: text, JSON (validated), or binary given as hex or base64. */
  | { type: 'SendRequest'; sessionId: string; data: string; format: 'text' | 'json' | 'hex' | 'base64' }
  /** WebSocket ping. */
  | { type: 'PingRequest'; sessionId: string }
  /** Show another session in the panel. */
  | { type: 'SelectSessionRequest'; sessionId: string }
  /** Load one event in full for the detail pane. */
  | { type: 'DetailRequest'; sessionId: string; seq: number }
  /** Clear a session's log. */
  | { type: 'ClearRequest'; sessionId: string }
  /** Export a session. */
  | { type: 'ExportRequest'; sessionId: string; format: 'ndjson' | 'har' }
  /** Start the embedded demo server (if needed) and fill the form with its URL for a transport. */
  | { type: 'UseDemoRequest'; transport: TransportKind }
  /** An error inside the webview, reported to the host log. */
  | { type: 'DidFailInWebview'; message: string };

const TRANSPORTS = ['poll', 'long-poll', 'sse', 'ws'];
const isStr = (v: unknown, max = 1_000_000): v is string => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSessionId = (v: unknown): v is string => isStr(v, 64) && /^[\w-]+$/.test(v);

function isHeaderList(v: unknown): v is Array<[string, string]> {
  return Array.isArray(v) && v.length <= 200 && v.every((h) => Array.isArray(h) && h.length === 2 && isStr(h[0], 1024) && isStr(h[1], 65536));
}

function isAuth(v: unknown): v is ConnectionConfig['auth'] {
  if (!isObj(v) || !isStr(v.method, 32)) return false;
  const token = isStr(v.token, 65536);
  switch (v.method) {
    case 'none':
      return true;
    case 'query':
      return token && isStr(v.param, 256);
    case 'bearer':
      return token;
    case 'cookie':
    case 'header':
      return token && isStr(v.name, 256);
    case 'subprotocol':
      return token && (v.marker === undefined || isStr(v.marker, 256));
    case 'first-message':
      return token && (v.template === undefined || isStr(v.template, 65536));
    case 'token-url':
      return (
        isStr(v.tokenUrl, 8192) &&
        (v.httpMethod === 'GET' || v.httpMethod === 'POST') &&
        (v.body === undefined || isStr(v.body, 65536)) &&
        (v.tokenPath === undefined || isStr(v.tokenPath, 256)) &&
        ['bearer', 'query', 'cookie', 'subprotocol', 'first-message'].includes(v.placement as string)
      );
    default:
      return false;
  }
}

export function isConnectionConfig(v: unknown): v is ConnectionConfig {
  if (!isObj(v)) return false;
  return (
    isStr(v.url, 8192) &&
    (v.transport === 'auto' || TRANSPORTS.includes(v.transport as string)) &&
    isHeaderList(v.headers) &&
    isAuth(v.auth) &&
    Array.isArray(v.subprotocols) &&
    v.subprotocols.length <= 32 &&
    v.subprotocols.every((s) => isStr(s, 1024)) &&
    (v.intervalMs === undefined || (isNum(v.intervalMs) && v.intervalMs >= 0)) &&
    (v.holdTimeoutMs === undefined || (isNum(v.holdTimeoutMs) && v.holdTimeoutMs >= 0)) &&
    (v.timeoutMs === undefined || (isNum(v.timeoutMs) && v.timeoutMs >= 0)) &&
    typeof v.reconnect === 'boolean' &&
    typeof v.insecure === 'boolean' &&
    (v.sendUrl === undefined || isStr(v.sendUrl, 8192))
  );
}

/** Checks a message from the webview. Anything that fails is logged and dropped by the caller. */
export function isFromWebview(v: unknown): v is FromWebview {
  if (!isObj(v) || !isStr(v.type, 64)) return false;
  switch (v.type) {
    case 'Ready':
      return true;
    case 'ConnectRequest':
      return isConnectionConfig(v.config);
    case 'DisconnectRequest':
    case 'PingRequest':
    case 'SelectSessionRequest':
    case 'ClearRequest':
      return isSessionId(v.sessionId);
    case 'SendRequest':
      return isSessionId(v.sessionId) && isStr(v.data, 64 * 1024 * 1024) && ['text', 'json', 'hex', 'base64'].includes(v.format as string);
    case 'DetailRequest':
      return isSessionId(v.sessionId) && isNum(v.seq) && Number.isInteger(v.seq) && v.seq >= 0;
    case 'ExportRequest':
      return isSessionId(v.sessionId) && (v.format === 'ndjson' || v.format === 'har');
    case 'UseDemoRequest':
      return TRANSPORTS.includes(v.transport as string);
    case 'DidFailInWebview':
      return isStr(v.message, 10_000);
    default:
      return false;
  }
}

/** Light check of a host message in the webview (the host is trusted; this guards against version skew). */
export function isToWebview(v: unknown): v is ToWebview {
  return isObj(v) && ['Snapshot', 'DidAppendRows', 'DidChangeSession', 'DidUpdateHints', 'DidLoadDetail', 'DidClear', 'DidFail'].includes(v.type as string);
}
