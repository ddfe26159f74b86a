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

/**
 * Rows as they cross to the webview: one array per field. Parsing, cloning and stringifying
 * arrays of strings and numbers is 2–3× cheaper than one object per row (`npm run bench`,
 * host → webview). `ids` and `errors` are sparse: [row index, SSE id] pairs and the indices
 * of error rows. `toColumns`/`fromColumns` (src/shared/rows.ts) convert.
 */
export interface RowColumns {
  seq: number[];
  t: number[];
  type: InspectorEventType[];
  dir: Array<EventRow['dir']>;
  size: number[];
  label: string[];
  preview: string[];
  ids: Array<[number, string]>;
  errors: number[];
}

/** A host message as the webview handles it once checked: rows back as objects. */
export type RowsAsObjects<M> = M extends { rows: RowColumns } ? Omit<M, 'rows'> & { rows: EventRow[] } : M;

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

// ---------------------------------------------------------------------------------------
// Analysis: the auth matrix and the transport comparison (src/analysis), as plain data the
// host has redacted. Mirrors AuthMatrixRow and ComparisonResult without importing them:
// the webview must not depend on the transport core.

export type AuthPlacementView = 'none' | 'query' | 'bearer' | 'cookie' | 'subprotocol' | 'first-message' | 'token-url';
export type AuthOutcomeView = 'accepted' | 'rejected' | 'failed' | 'inconclusive' | 'skipped';

/** One auth matrix row as the panel shows it. Every string has been through the host's redaction. */
export interface AuthMatrixRowView {
  placement: AuthPlacementView;
  /** Where the credential travelled, in words. */
  carrier: string;
  /** The row's URL, redacted. */
  url: string;
  outcome: AuthOutcomeView;
  /** How the server said so, in one line. */
  evidence: string;
  status?: number;
  closeCode?: number;
  /** ms from the session's start to the verdict. */
  timeMs?: number;
  /** First-message rows: how long the connection was open before the server answered or closed. */
  unauthenticatedMs?: number;
  /** What the placement risks, in one sentence. */
  risk: string;
}

export interface AuthMatrixView {
  transport: TransportKind;
  /** The endpoint (a `{method}` template for the demo server), redacted. */
  url: string;
  rows: AuthMatrixRowView[];
  /** Wall clock when the run ended. */
  finishedAt: number;
}

export interface DistributionView {
  p50?: number;
  p95?: number;
  p99?: number;
  samples: number;
}

/** One transport's column of the comparison (src/analysis/compare.ts adds the seq range and full hints). */
export interface TransportComparisonView {
  transport: TransportKind;
  /** URL, secrets redacted. */
  url: string;
  /** False when the session could not open; `error` says why. */
  ok: boolean;
  error?: string;
  /** How long the session ran (session clock, first to last event). */
  ranMs: number;
  /** Distinct source messages received (those carrying a numeric `seq`). */
  delivered: number;
  /** Every incoming message, echoes and messages without `seq` included. */
  messagesIn: number;
  /** Source messages never received: gaps between the lowest and highest `seq` seen. */
  missed: number;
  /** Receive wall time (wallStart + t) minus the payload's `ts`, in ms. */
  latencyMs: DistributionView;
  /** HTTP requests made for the channel: polls, long polls, SSE connects, WebSocket upgrades (sends not included). */
  requests: number;
  /** Requests that brought nothing new (304, 204, same body, empty batch, hold timeout). */
  uselessRequests: number;
  /** Bytes on the wire for the channel, both directions: HTTP headers both ways plus bodies or frames. */
  wireBytes: number;
  /** Payload bytes of the incoming messages. */
  payloadBytes: number;
  /** wireBytes / delivered, and its split into payload and everything else. */
  bytesPerMessage?: number;
  payloadBytesPerMessage?: number;
  overheadBytesPerMessage?: number;
  reconnects: number;
  /** Time nobody was listening: between a poll's answer and the next request, or a reconnect's delay. */
  gapMs: DistributionView;
  /** TCP connections opened (for the channel and the sends). */
  connections: number;
  /** The other direction, when a send URL was given. */
  sends?: { messages: number; failed: number; wireBytes: number; bytesPerSend?: number; requests: number };
  hints: Array<{ id: string; severity: Hint['severity']; message: string }>;
}

/** ComparisonResult as plain data. */
export interface ComparisonView {
  mode: 'concurrent' | 'sequential';
  durationMs: number;
  intervalMs: number;
  /** Wall clock at the start. */
  startedAt: number;
  rows: TransportComparisonView[];
  /** How to read the numbers. */
  notes: string[];
}

export type AnalysisKind = 'auth-matrix' | 'compare';

/** What an auth matrix run needs. Without `url`: the embedded demo server (started if needed), its token and token endpoint. */
export interface AuthMatrixParams {
  transport: TransportKind;
  /** http(s) or ws(s) URL; may contain `{method}`, replaced by each placement's name. */
  url?: string;
  /** The credential. Empty or left out with a URL: the one remembered for the endpoint, if any. */
  token?: string;
  /** Token endpoint (http or https) for the short-lived token row. */
  tokenUrl?: string;
  /** Per row, 100 to 60000 ms. Default 5000. */
  timeoutMs?: number;
}

/** What a comparison run needs. Without `urls`: all four transports on the embedded demo server. */
export interface CompareParams {
  /** How long each transport runs, 1 to 60 s. */
  seconds: number;
  /** One URL per transport to compare (ws(s) for ws, http(s) for the others). */
  urls?: Partial<Record<TransportKind, string>>;
  /** Short-polling interval, 0 to 600000 ms. Default: the realtimeInspector.pollIntervalMs setting. */
  intervalMs?: number;
}

export interface ViewSettings {
  logCap: number;
  /** True when the user chose to see secrets for this panel (per action, never persisted). */
  revealSecrets: boolean;
}

export type ToWebview =
  /** Full state after Ready or when the panel becomes visible again. `rows` holds the active session's kept rows. */
  | { type: 'Snapshot'; sessions: SessionSummary[]; activeSessionId?: string; rows: RowColumns; stats?: StatsSummary; hints: Hint[]; settings: ViewSettings; demoUrl?: string; defaults: Partial<ConnectionConfig> }
  /** New rows for a session, batched (a few posts per second at most). */
  | { type: 'DidAppendRows'; sessionId: string; rows: RowColumns; total: number; dropped: number; stats: StatsSummary }
  /** A session was created, changed state, or was renamed. */
  | { type: 'DidChangeSession'; session: SessionSummary }
  /** The hints for a session were recomputed. */
  | { type: 'DidUpdateHints'; sessionId: string; hints: Hint[] }
  /** Answer to DetailRequest: the whole event with its full payload (redacted unless revealed). */
  | { type: 'DidLoadDetail'; sessionId: string; seq: number; event: JsonEvent | null; related: JsonEvent[] }
  /** The log of a session was cleared. */
  | { type: 'DidClear'; sessionId: string }
  /** Something failed: shown inline, the panel keeps running. */
  | { type: 'DidFail'; message: string }
  /** An auth matrix finished (the latest one; re-sent after each Snapshot). */
  | ({ type: 'DidRunAuthMatrix' } & AuthMatrixView)
  /** A transport comparison finished (the latest one; re-sent after each Snapshot). */
  | { type: 'DidCompareTransports'; result: ComparisonView }
  /** An analysis started (`running` says which) or ended (null). */
  | { type: 'DidChangeAnalysisState'; running: { kind: AnalysisKind; title: string } | null };

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
  | { type: 'DidFailInWebview'; message: string }
  /** Run the auth matrix (the demo server when no URL is given) and show it in the Analysis view. */
  | ({ type: 'RunAuthMatrixRequest' } & AuthMatrixParams)
  /** Run the transport comparison (the demo server when no URLs are given) and show it in the Analysis view. */
  | ({ type: 'CompareTransportsRequest' } & CompareParams);

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

const onlyKeys = (v: Record<string, unknown>, allowed: readonly string[]): boolean => Object.keys(v).every((k) => allowed.includes(k));
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** A URL of one of `schemes` ('http:', 'ws:', ...), at most 8 KiB, without spaces or control characters. */
function isUrl(v: unknown, schemes: readonly string[]): v is string {
  if (!isStr(v, 8192) || v === '' || /[\s\u0000-\u001f\u007f]/.test(v)) return false;
  try {
    // `{method}` is a placeholder the auth matrix replaces: check the URL it becomes.
    return schemes.includes(new URL(v.split('{method}').join('bearer')).protocol);
  } catch {
    return false;
  }
}

const ANY_SCHEME = ['http:', 'https:', 'ws:', 'wss:'];
const schemesFor = (t: TransportKind): readonly string[] => (t === 'ws' ? ['ws:', 'wss:'] : ['http:', 'https:']);

/** Checks auth matrix parameters (the webview's RunAuthMatrixRequest, or a command's argument): known fields only, each valid. */
export function isAuthMatrixParams(v: unknown, extraKeys: readonly string[] = []): v is AuthMatrixParams {
  if (!isObj(v) || !onlyKeys(v, ['transport', 'url', 'token', 'tokenUrl', 'timeoutMs', ...extraKeys])) return false;
  if (!TRANSPORTS.includes(v.transport as string)) return false;
  if (v.url !== undefined && !isUrl(v.url, ANY_SCHEME)) return false;
  // A token is one header value or URL parameter: no line breaks, at most 64 KiB.
  if (v.token !== undefined && (!isStr(v.token, 65536) || /[\r\n\u0000]/.test(v.token))) return false;
  if (v.tokenUrl !== undefined && !isUrl(v.tokenUrl, ['http:', 'https:'])) return false;
  return v.timeoutMs === undefined || isInt(v.timeoutMs, 100, 60_000);
}

/** Checks comparison parameters (the webview's CompareTransportsRequest, or a command's argument). */
export function isCompareParams(v: unknown, extraKeys: readonly string[] = []): v is CompareParams {
  if (!isObj(v) || !onlyKeys(v, ['seconds', 'urls', 'intervalMs', ...extraKeys])) return false;
  if (!isInt(v.seconds, 1, 60)) return false;
  if (v.intervalMs !== undefined && !isInt(v.intervalMs, 0, 600_000)) return false;
  if (v.urls === undefined) return true;
  const urls = v.urls;
  if (!isObj(urls)) return false;
  const keys = Object.keys(urls);
  return keys.length > 0 && keys.every((k) => TRANSPORTS.includes(k) && isUrl(urls[k], schemesFor(k as TransportKind)));
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
    case 'RunAuthMatrixRequest':
      return isAuthMatrixParams(v, ['type']);
    case 'CompareTransportsRequest':
      return isCompareParams(v, ['type']);
    default:
      return false;
  }
}

/** Light check of a host message in the webview (the host is trusted; this guards against version skew). */
export function isToWebview(v: unknown): v is ToWebview {
  return isObj(v) && ['Snapshot', 'DidAppendRows', 'DidChangeSession', 'DidUpdateHints', 'DidLoadDetail', 'DidClear', 'DidFail', 'DidRunAuthMatrix', 'DidCompareTransports', 'DidChangeAnalysisState'].includes(v.type as string);
}
