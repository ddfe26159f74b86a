import type { HeaderList, InspectorEvent, TransportKind } from './events';

/**
 * Running statistics over a session's event stream. A pure reducer (`updateStats`) so the
 * live session, an imported recording and the webview all compute the same numbers.
 * Sample arrays are bounded (never more than SAMPLE_CAP values, the most recent ones) so memory stays flat.
 */
export const SAMPLE_CAP = 10_000;
/**
 * When a sample array is full, this many of its oldest values are dropped at once: one
 * shift() per sample moves the whole array (~100 ns at 10,000 values, on every incoming
 * message), a batch trim costs a few ns per sample. A full array keeps at least
 * SAMPLE_CAP - SAMPLE_TRIM of the most recent values.
 */
const SAMPLE_TRIM = 1_000;

export interface SessionStats {
  transport?: TransportKind;
  /** t of the first and last event seen. */
  firstT: number;
  lastT: number;
  messagesIn: number;
  messagesOut: number;
  payloadBytesIn: number;
  payloadBytesOut: number;
  /** Bytes on the wire that were not payload: HTTP headers, frame headers, SSE field names, chunk framing. */
  overheadBytesIn: number;
  overheadBytesOut: number;
  requests: number;
  responses: number;
  /** Responses by status class, e.g. { '2xx': 10, '3xx': 1 }. */
  statusClasses: Record<string, number>;
  httpVersions: Record<string, number>;
  polls: number;
  pollsWithData: number;
  pollsUnchanged: number;
  pollsError: number;
  pollsTimeout: number;
  /** Long polling: how long requests were held (ms). */
  heldMs: number[];
  /** Gaps between an answer and the next request, or reconnect delays (ms). */
  gapMs: number[];
  /** Per-message latency from the server's send time, when known (ms). */
  latencyMs: number[];
  /** Arrival times (t) of incoming messages, for burst and idle analysis. */
  arrivalsT: number[];
  pingsIn: number;
  pingsOut: number;
  pongsIn: number;
  pongsOut: number;
  /** t of the last ping or pong in either direction, or -1. */
  lastHeartbeatT: number;
  reconnects: number;
  closes: number;
  /** Closes the client did not ask for (by the server or the network): what reconnect logic must handle. */
  closesNotByClient: number;
  errors: number;
  /** SSE: messages with and without an id field. */
  sseWithId: number;
  sseWithoutId: number;
  comments: number;
  /** Distinct values of server-identifying response headers (server, via, x-served-by, x-backend, set-cookie affinity). */
  backends: string[];
  /** Requests that carried data out (HTTP "send" requests). */
  sendRequests: number;
  /** Every `auth` event's method and carrier, in order, without values. */
  authCarriers: Array<{ method: string; carrier: string }>;
  /** Response header lookups the hints need (lower-cased name -> last value). */
  lastResponseHeaders: Record<string, string>;
  /** Response headers of the first response (handshake or first poll). */
  firstResponseHeaders: Record<string, string>;
  state: string;
}

export function createStats(transport?: TransportKind): SessionStats {
  return {
    transport,
    firstT: -1,
    lastT: 0,
    messagesIn: 0,
    messagesOut: 0,
    payloadBytesIn: 0,
    payloadBytesOut: 0,
    overheadBytesIn: 0,
    overheadBytesOut: 0,
    requests: 0,
    responses: 0,
    statusClasses: {},
    httpVersions: {},
    polls: 0,
    pollsWithData: 0,
    pollsUnchanged: 0,
    pollsError: 0,
    pollsTimeout: 0,
    heldMs: [],
    gapMs: [],
    latencyMs: [],
    arrivalsT: [],
    pingsIn: 0,
    pingsOut: 0,
    pongsIn: 0,
    pongsOut: 0,
    lastHeartbeatT: -1,
    reconnects: 0,
    closes: 0,
    closesNotByClient: 0,
    errors: 0,
    sseWithId: 0,
    sseWithoutId: 0,
    comments: 0,
    backends: [],
    sendRequests: 0,
    authCarriers: [],
    lastResponseHeaders: {},
    firstResponseHeaders: {},
    state: 'connecting',
  };
}

function pushSample(arr: number[], v: number): void {
  if (arr.length >= SAMPLE_CAP) arr.splice(0, arr.length - SAMPLE_CAP + SAMPLE_TRIM);
  arr.push(v);
}

/** Cookie names load balancers use for sticky sessions (AWS ALB/ELB, HAProxy, nginx sticky, F5, ingress-nginx, Traefik, GCP, Azure ARR). */
export const AFFINITY_COOKIE = /^(AWSALB|AWSALBCORS|AWSALBAPP-\d+|AWSELB|SERVERID|route|BIGipServer.*|INGRESSCOOKIE|_traefik_.*|GCLB|ARRAffinity|ARRAffinitySameSite)$/i;

const BACKEND_HEADERS = ['server', 'via', 'x-served-by', 'x-backend', 'x-backend-server', 'x-server-id', 'x-instance', 'fly-request-id'];

/**
 * What a message without SSE fields or latency adds to the stats: updateStats for such a
 * message, without the event object (the compact receive path, see EventLog.pushMessage).
 */
export function updateStatsForMessage(s: SessionStats, t: number, direction: 'in' | 'out', size: number, overheadBytes: number): void {
  if (s.firstT < 0) s.firstT = t;
  s.lastT = t;
  countMessage(s, t, direction, size, overheadBytes, undefined);
}

function countMessage(s: SessionStats, t: number, direction: 'in' | 'out', size: number, overheadBytes: number, requestId: number | undefined): void {
  if (direction === 'in') {
    s.messagesIn++;
    s.payloadBytesIn += size;
    // Polling messages carry their request's HTTP headers in overheadBytes; those are already
    // counted from the request/response events, so only other transports add them here.
    if (!httpCarried(s)) s.overheadBytesIn += overheadBytes;
    pushSample(s.arrivalsT, t);
  } else {
    s.messagesOut++;
    s.payloadBytesOut += size;
    if (!httpCarried(s) && requestId === undefined) s.overheadBytesOut += overheadBytes;
  }
}

export function updateStats(s: SessionStats, ev: InspectorEvent): void {
  if (s.firstT < 0) s.firstT = ev.t;
  s.lastT = ev.t;
  switch (ev.type) {
    case 'session':
      s.transport = ev.transport;
      break;
    case 'state':
      s.state = ev.state;
      break;
    case 'message':
      countMessage(s, ev.t, ev.direction, ev.size, ev.overheadBytes ?? 0, ev.requestId);
      if (ev.sse) {
        if (ev.sse.id !== undefined && ev.sse.id !== '') s.sseWithId++;
        else s.sseWithoutId++;
      }
      if (ev.latencyMs !== undefined) pushSample(s.latencyMs, ev.latencyMs);
      break;
    case 'request':
      s.requests++;
      s.overheadBytesOut += ev.headerBytes;
      if (ev.purpose === 'send') s.sendRequests++;
      break;
    case 'response': {
      s.responses++;
      s.overheadBytesIn += ev.headerBytes;
      const cls = statusClass(ev.status);
      s.statusClasses[cls] = (s.statusClasses[cls] ?? 0) + 1;
      s.httpVersions[ev.httpVersion] = (s.httpVersions[ev.httpVersion] ?? 0) + 1;
      // The HTTP helper logs a repeated response head with the same header list: the lookups
      // and backends it gave are the ones already folded in.
      if (lastHeaderList.get(s) === ev.headers && s.responses > 1) break;
      lastHeaderList.set(s, ev.headers);
      const map: Record<string, string> = {};
      for (const [k, v] of ev.headers) map[k.toLowerCase()] = v;
      if (s.responses === 1) s.firstResponseHeaders = map;
      s.lastResponseHeaders = map;
      for (const h of BACKEND_HEADERS) {
        const v = map[h];
        if (v !== undefined) {
          const id = `${h}: ${v}`;
          if (!s.backends.includes(id) && s.backends.length < 100) s.backends.push(id);
        }
      }
      // Load-balancer affinity cookies name the backend too (the map above keeps only the last Set-Cookie).
      for (const [k, v] of ev.headers) {
        if (k.toLowerCase() !== 'set-cookie') continue;
        const eq = v.indexOf('=');
        if (eq <= 0 || !AFFINITY_COOKIE.test(v.slice(0, eq).trim())) continue;
        const semi = v.indexOf(';');
        const id = `set-cookie ${v.slice(0, eq).trim()}: ${v.slice(eq + 1, semi < 0 ? v.length : semi)}`;
        if (!s.backends.includes(id) && s.backends.length < 100) s.backends.push(id);
      }
      break;
    }
    case 'poll':
      s.polls++;
      if (ev.outcome === 'data') s.pollsWithData++;
      else if (ev.outcome === 'unchanged') s.pollsUnchanged++;
      else if (ev.outcome === 'timeout') s.pollsTimeout++;
      else s.pollsError++;
      if (ev.heldMs !== undefined) pushSample(s.heldMs, ev.heldMs);
      if (ev.gapMs !== undefined) pushSample(s.gapMs, ev.gapMs);
      break;
    case 'ping':
      if (ev.direction === 'in') s.pingsIn++;
      else s.pingsOut++;
      s.lastHeartbeatT = ev.t;
      break;
    case 'pong':
      if (ev.direction === 'in') s.pongsIn++;
      else s.pongsOut++;
      s.lastHeartbeatT = ev.t;
      break;
    case 'comment':
      s.comments++;
      break;
    case 'reconnect':
      s.reconnects++;
      pushSample(s.gapMs, ev.delayMs);
      break;
    case 'close':
      s.closes++;
      if (ev.by !== 'client') s.closesNotByClient++;
      break;
    case 'error':
      s.errors++;
      break;
    case 'auth':
      s.authCarriers.push({ method: ev.method, carrier: ev.carrier });
      break;
    case 'timing':
      if (ev.bodyWireBytes !== undefined) {
        // Chunk framing and similar: wire body bytes beyond the payload are counted as overhead by the transport per message; nothing to add here.
      }
      break;
    default:
      break;
  }
}

/** The header list the last response folded into each stats object carried. */
const lastHeaderList = new WeakMap<SessionStats, HeaderList>();

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];
function statusClass(status: number): string {
  const c = Math.floor(status / 100);
  return STATUS_CLASSES[c] ?? `${c}xx`;
}

function httpCarried(s: SessionStats): boolean {
  return s.transport === 'poll' || s.transport === 'long-poll';
}

/** Percentile (0..100) of a sample set, nearest-rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function statsFromEvents(events: Iterable<InspectorEvent>): SessionStats {
  const s = createStats();
  for (const ev of events) updateStats(s, ev);
  return s;
}
