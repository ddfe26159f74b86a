/**
 * The auth matrix: one real session per credential placement a transport allows (plus a
 * no-credential control), each reporting whether the server accepted it, how it said so,
 * how long that took, and what the placement risks. Plain Node: the CLI and the extension
 * host both call it.
 */
import type { InspectorEvent, TransportKind } from '../shared/events';
import { oneLine, previewOf, truncate } from '../shared/events';
import type { AuthConfig, ConnectOptions } from '../shared/options';
import { createSession, type Session } from '../transports/index';

export type AuthPlacementName = 'none' | 'query' | 'bearer' | 'cookie' | 'subprotocol' | 'first-message' | 'token-url';

export interface AuthMatrixOptions {
  /**
   * The endpoint. Used for every placement, unless it contains `{method}` (replaced by the
   * placement name, e.g. the demo server's http://127.0.0.1:PORT/auth/{method}/sse; the
   * control row then uses the bearer URL) or `urls` names a URL for a placement.
   */
  url: string;
  transport: TransportKind;
  /** The credential for the static placements; without it they are skipped. */
  token?: string;
  /** Token endpoint for the short-lived token row; without it that row is skipped. */
  tokenUrl?: string;
  /** Per row: how long to wait for the server's verdict. */
  timeoutMs: number;
  /** Overrides the URL for some placements. */
  urls?: Partial<Record<AuthPlacementName, string>>;
  /** HTTP transports: where the first message goes (without it the first-message row is skipped). */
  sendUrl?: string;
  /** Query parameter name for the token. Default "access_token". */
  queryParam?: string;
  /** Cookie name for the token. Default "session". */
  cookieName?: string;
  /** Marker subprotocol offered before the token. Default "access_token"; "" offers the token alone. */
  subprotocolMarker?: string;
  /** First-message template, {{token}} replaced. Default {"type":"auth","token":"{{token}}"}. */
  firstMessageTemplate?: string;
  /** Token endpoint request: method, JSON body, headers. Default GET. */
  tokenRequest?: { httpMethod?: 'GET' | 'POST'; body?: string; headers?: Array<[string, string]> };
  /** Where the short-lived token goes. Default: query for WebSocket (what browsers can do), bearer otherwise. */
  tokenPlacement?: 'query' | 'bearer' | 'cookie' | 'subprotocol' | 'first-message';
  /** Extra headers on every row (not credentials). */
  headers?: Array<[string, string]>;
  insecure?: boolean;
  /** WebSocket: how long an open connection is watched for an immediate close before it counts as accepted. Default 300. */
  settleMs?: number;
  /** Cancels the run: the current row's session is closed and runAuthMatrix rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called after each row (the extension shows progress with it). */
  onRow?: (row: AuthMatrixRow, done: number, total: number) => void;
}

export type AuthOutcome = 'accepted' | 'rejected' | 'failed' | 'inconclusive' | 'skipped';

export interface AuthMatrixRow {
  placement: AuthPlacementName;
  /** Where the credential travelled, in words ("query parameter access_token"). */
  carrier: string;
  /** URL of this row, secrets redacted. */
  url: string;
  /**
   * accepted / rejected by the server; failed: an error that says nothing about the
   * credential (refused connection, 404, 5xx, protocol error); inconclusive: no verdict in
   * time; skipped: the row needs an input that was not given.
   */
  outcome: AuthOutcome;
  /** How the server said so, in one line (status and body start, close code and reason, first answer). Secrets redacted. */
  evidence: string;
  /** HTTP status of the decisive response, when there was one. */
  status?: number;
  /** WebSocket close code and reason, when the server closed. */
  closeCode?: number;
  closeReason?: string;
  /** First-message rows: the server's first answer (preview, redacted). */
  answer?: string;
  /** ms from the session's start to the verdict (token-url rows include fetching the token). */
  timeMs?: number;
  /** First-message rows: how long the connection was open before the server answered or closed. */
  unauthenticatedMs?: number;
  /** What this placement risks, in one sentence. */
  risk: string;
}

const DEFAULT_QUERY = 'access_token';
const DEFAULT_COOKIE = 'session';
const DEFAULT_MARKER = 'access_token';
const DEFAULT_SETTLE_MS = 300;
/** A first answer that says no (demo: {"kind":"auth-error"}; many servers: {"error":"unauthorized"}). */
const REFUSAL = /\b(auth[-_ ]?error|unauthori[sz]ed|forbidden|denied|invalid[-_ ]?token|not[-_ ]authenticated|auth[-_ ]?failed)\b|"error"\s*:/i;
const AUTH_STATUSES = new Set([401, 403, 407]);

export async function runAuthMatrix(opts: AuthMatrixOptions): Promise<AuthMatrixRow[]> {
  validate(opts);
  const rows: AuthMatrixRow[] = [];
  const placements = placementsFor(opts.transport);
  // One after another: rows stay independent (no shared sockets, no server load from the others) and times comparable.
  for (const placement of placements) {
    throwIfCancelled(opts.signal, 'The auth matrix');
    const row = await runRow(opts, placement);
    // A row cut short by the cancel says nothing about the credential: not reported.
    throwIfCancelled(opts.signal, 'The auth matrix');
    rows.push(row);
    opts.onRow?.(row, rows.length, placements.length);
  }
  return rows;
}

/** Rejects with an AbortError (name 'AbortError') once `signal` has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (!signal?.aborted) return;
  const err = new Error(`${what} was cancelled.`);
  err.name = 'AbortError';
  throw err;
}

function validate(o: AuthMatrixOptions): void {
  if (!o || typeof o.url !== 'string' || o.url === '') throw new Error('The auth matrix needs the URL of an endpoint.');
  if (!['poll', 'long-poll', 'sse', 'ws'].includes(o.transport)) throw new Error(`Unknown transport ${JSON.stringify(o.transport)}: use poll, long-poll, sse or ws.`);
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw new Error(`The timeout must be a positive number of milliseconds, not ${String(o.timeoutMs)}.`);
  for (const u of [o.url.replace('{method}', 'bearer'), o.tokenUrl, o.sendUrl, ...Object.values(o.urls ?? {})]) {
    if (u === undefined) continue;
    try {
      new URL(u);
    } catch {
      throw new Error(`Not a valid URL: ${JSON.stringify(u)}.`);
    }
  }
}

/** The placements a transport allows, control first. */
export function placementsFor(transport: TransportKind): AuthPlacementName[] {
  return transport === 'ws' ? ['none', 'query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url'] : ['none', 'query', 'bearer', 'cookie', 'first-message', 'token-url'];
}

/** What each placement risks, per transport. */
export function placementRisk(p: AuthPlacementName, transport: TransportKind): string {
  switch (p) {
    case 'none':
      return 'Control row: if this is accepted, the endpoint does not require a credential at all.';
    case 'query':
      return 'The URL is written to server, proxy and load-balancer logs (and browser history, Referer): TLS hides it on the wire only; keep such tokens short-lived.';
    case 'bearer':
      return transport === 'ws' || transport === 'sse'
        ? `The safest static carrier, but browsers cannot set headers on ${transport === 'ws' ? 'new WebSocket()' : 'new EventSource()'}: only non-browser clients can use it.`
        : 'The standard carrier for fetch/XHR: not logged in URLs; the token lives in page JavaScript, so XSS can read it.';
    case 'cookie':
      return transport === 'ws'
        ? 'Browsers attach it automatically, so any site can open the socket with it (cross-site WebSocket hijacking) unless the server checks Origin; use HttpOnly, Secure, SameSite.'
        : 'Browsers attach it automatically: needs SameSite and CSRF protection for anything that changes state; use HttpOnly and Secure.';
    case 'subprotocol':
      return 'Sec-WebSocket-Protocol is not meant for secrets: servers and proxies log it, and the server must echo a protocol or browsers drop the connection.';
    case 'first-message':
      return transport === 'ws'
        ? 'The server accepts the connection before knowing who is on it: unauthenticated sockets stay open until the auth message or a deadline.'
        : transport === 'sse'
          ? 'Not possible: an event stream is one request the client cannot write on, so the stream itself goes out without a credential.'
          : 'The polls themselves carry no credential: the server must tie the later message to the polling client, which HTTP does not do for it.';
    case 'token-url':
      return 'A short-lived token limits what a leaked URL or log line is worth, at the cost of one extra request (and a refresh) per connection.';
  }
}

function carrierOf(p: AuthPlacementName, o: AuthMatrixOptions): string {
  switch (p) {
    case 'none':
      return 'no credential';
    case 'query':
      return `query parameter ${o.queryParam ?? DEFAULT_QUERY}`;
    case 'bearer':
      return 'Authorization: Bearer header';
    case 'cookie':
      return `cookie ${o.cookieName ?? DEFAULT_COOKIE}`;
    case 'subprotocol':
      return o.subprotocolMarker === '' ? 'Sec-WebSocket-Protocol (token alone)' : `Sec-WebSocket-Protocol ["${o.subprotocolMarker ?? DEFAULT_MARKER}", token]`;
    case 'first-message':
      return o.transport === 'ws' ? 'first message after open' : 'first message, POSTed to the send URL';
    case 'token-url':
      return `short-lived token from the token endpoint, as ${tokenPlacementOf(o)}`;
  }
}

function tokenPlacementOf(o: AuthMatrixOptions): NonNullable<AuthMatrixOptions['tokenPlacement']> {
  return o.tokenPlacement ?? (o.transport === 'ws' ? 'query' : 'bearer');
}

function urlFor(o: AuthMatrixOptions, p: AuthPlacementName): string {
  const explicit = o.urls?.[p];
  if (explicit) return explicit;
  // The control row asks a protected URL: the bearer one stands for all.
  return o.url.split('{method}').join(p === 'none' ? 'bearer' : p);
}

function authFor(o: AuthMatrixOptions, p: AuthPlacementName): AuthConfig | string {
  const token = o.token;
  switch (p) {
    case 'none':
      return { method: 'none' };
    case 'token-url':
      if (!o.tokenUrl) return 'no token endpoint given';
      return {
        method: 'token-url',
        url: o.tokenUrl,
        httpMethod: o.tokenRequest?.httpMethod,
        body: o.tokenRequest?.body,
        headers: o.tokenRequest?.headers,
        placement: tokenPlacementOf(o),
        name: tokenPlacementOf(o) === 'cookie' ? (o.cookieName ?? DEFAULT_COOKIE) : (o.queryParam ?? DEFAULT_QUERY),
      };
    default:
      break;
  }
  if (!token) return 'no token given';
  switch (p) {
    case 'query':
      return { method: 'query', param: o.queryParam ?? DEFAULT_QUERY, token };
    case 'bearer':
      return { method: 'bearer', token };
    case 'cookie':
      return { method: 'cookie', name: o.cookieName ?? DEFAULT_COOKIE, value: token };
    case 'subprotocol':
      return { method: 'subprotocol', token, marker: o.subprotocolMarker === '' ? undefined : (o.subprotocolMarker ?? DEFAULT_MARKER) };
    case 'first-message':
      if (o.transport === 'sse') return 'an event stream opens with the request alone; the client cannot write on it';
      if (o.transport !== 'ws' && !o.sendUrl) return 'no send URL given (HTTP transports send the first message as a request to it)';
      return { method: 'first-message', token, template: o.firstMessageTemplate };
  }
}

interface Verdict {
  outcome: AuthOutcome;
  evidence: string;
  t?: number;
  status?: number;
  closeCode?: number;
  closeReason?: string;
  answer?: string;
  unauthenticatedMs?: number;
}

async function runRow(o: AuthMatrixOptions, placement: AuthPlacementName): Promise<AuthMatrixRow> {
  const url = urlFor(o, placement);
  const auth = authFor(o, placement);
  const base = { placement, carrier: carrierOf(placement, o), risk: placementRisk(placement, o.transport) };
  if (typeof auth === 'string') return { ...base, url: redactQuery(url), outcome: 'skipped', evidence: `Skipped: ${auth}.` };
  const options: ConnectOptions = {
    url,
    transport: o.transport,
    auth,
    headers: o.headers,
    timeoutMs: o.timeoutMs,
    holdTimeoutMs: o.timeoutMs,
    // One poll is enough for a verdict.
    intervalMs: 60_000,
    sendUrl: o.sendUrl,
    insecure: o.insecure,
    reconnect: { enabled: false, maxAttempts: 1 },
    logCap: 2_000,
  };
  const session = createSession(options);
  const cancel = (): void => void session.close().catch(() => undefined);
  o.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const v = await verdictOf(session, o, placement);
    return {
      ...base,
      url: session.redactUrl(url),
      outcome: v.outcome,
      evidence: v.evidence,
      status: v.status,
      closeCode: v.closeCode,
      closeReason: v.closeReason,
      answer: v.answer,
      timeMs: v.t === undefined ? undefined : Math.round(v.t * 10) / 10,
      unauthenticatedMs: v.unauthenticatedMs === undefined ? undefined : Math.round(v.unauthenticatedMs * 10) / 10,
    };
  } finally {
    o.signal?.removeEventListener('abort', cancel);
    await session.close().catch(() => undefined);
  }
}

/** Runs one session until the server has said yes or no (or the time is up). */
function verdictOf(session: Session, o: AuthMatrixOptions, placement: AuthPlacementName): Promise<Verdict> {
  const isWs = o.transport === 'ws';
  const firstMessage = placement === 'first-message' || (placement === 'token-url' && tokenPlacementOf(o) === 'first-message');
  const settleMs = o.settleMs ?? DEFAULT_SETTLE_MS;
  const mainRequests = new Set<number>();
  let lastMain: Extract<InspectorEvent, { type: 'response' }> | undefined;
  let openT: number | undefined;
  let authSentT: number | undefined;
  return new Promise<Verdict>((resolve) => {
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (v: Verdict): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      off();
      resolve(v);
    };
    const off = session.onEvent((ev) => {
      switch (ev.type) {
        case 'request':
          if (ev.purpose !== 'token' && ev.purpose !== 'send') mainRequests.add(ev.requestId);
          break;
        case 'response':
          if (!mainRequests.has(ev.requestId)) break;
          lastMain = ev;
          // SSE and polls: a 2xx on the channel itself is the server's yes (first-message over polling waits for the send).
          if (!isWs && !firstMessage && ev.status >= 200 && ev.status < 300) finish({ outcome: 'accepted', evidence: `HTTP ${ev.status} ${ev.statusText}`.trim(), status: ev.status, t: ev.t });
          break;
        case 'state':
          if (ev.state === 'open' && isWs && openT === undefined) {
            openT = ev.t;
            if (!firstMessage) {
              // A server may accept the handshake and close at once; watch briefly.
              timers.push(setTimeout(() => finish({ outcome: 'accepted', evidence: `HTTP 101 Switching Protocols; still open after ${settleMs} ms`, status: 101, t: openT }), settleMs));
            }
          }
          break;
        case 'message':
          if (!isWs || openT === undefined) break;
          if (ev.direction === 'out') {
            if (authSentT === undefined) authSentT = ev.t;
            break;
          }
          if (!firstMessage) {
            finish({ outcome: 'accepted', evidence: 'HTTP 101 Switching Protocols; messages flowing', status: 101, t: openT });
            break;
          }
          if (authSentT !== undefined) {
            const text = previewOf(ev.data, 160);
            const refused = typeof ev.data === 'string' && REFUSAL.test(ev.data);
            finish({ outcome: refused ? 'rejected' : 'accepted', evidence: `first answer: ${text}`, answer: text, t: ev.t, unauthenticatedMs: ev.t - openT, status: 101 });
          }
          break;
        case 'close':
          if (isWs && openT !== undefined) {
            // Closed by the server before it said yes: a refusal, whatever the code (1008, 4401, even 1000).
            finish({
              outcome: ev.by === 'server' ? 'rejected' : 'failed',
              evidence: `closed by the ${ev.by} with ${ev.code}${ev.reason ? ` "${truncate(oneLine(ev.reason), 120)}"` : ''}`,
              closeCode: ev.code,
              closeReason: ev.reason,
              t: ev.t,
              status: 101,
              unauthenticatedMs: firstMessage ? ev.t - openT : undefined,
            });
          }
          break;
        default:
          break;
      }
    });
    timers.push(
      setTimeout(() => {
        if (!isWs && o.transport === 'long-poll' && mainRequests.size > 0 && !lastMain) {
          // A refusal comes at once; a request the server holds has passed its auth check.
          finish({ outcome: 'accepted', evidence: `held open ${o.timeoutMs} ms without an answer (a refusal would come at once)`, t: session.now() });
          return;
        }
        if (firstMessage && isWs && openT !== undefined) {
          finish({ outcome: 'inconclusive', evidence: `no answer to the auth message within ${o.timeoutMs} ms; the connection stayed open unauthenticated`, unauthenticatedMs: session.now() - openT, status: 101 });
          return;
        }
        finish({ outcome: 'inconclusive', evidence: `no verdict within ${o.timeoutMs} ms` });
      }, o.timeoutMs),
    );
    session.connect().then(
      () => {
        // Polling with first-message auth: open means the poll and the auth message both got through.
        if (!isWs && firstMessage) finish({ outcome: 'accepted', evidence: `HTTP ${lastMain?.status ?? 200}; the first message was accepted by the send URL`, status: lastMain?.status, t: session.now() });
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        const code = (err as { code?: string }).code;
        const status = lastMain?.status;
        if (status !== undefined && AUTH_STATUSES.has(status)) {
          finish({ outcome: 'rejected', evidence: message, status, t: lastMain?.t });
        } else if (code === 'TOKEN_STATUS' || code === 'TOKEN_FETCH' || code === 'TOKEN_NOT_JSON' || code === 'TOKEN_MISSING') {
          finish({ outcome: 'failed', evidence: `token endpoint: ${message}`, t: session.now() });
        } else {
          finish({ outcome: 'failed', evidence: message, status, t: lastMain?.t ?? session.now() });
        }
      },
    );
  });
}

/** Masks token-looking query values of a URL shown for a skipped row (no session exists to redact it). */
function redactQuery(url: string): string {
  return url.replace(/([?&](?:access_token|token|auth|key|jwt|session)=)[^&#]*/gi, '$1«redacted»');
}

/** Plain-text table of the matrix for the CLI. */
export function formatAuthMatrix(rows: readonly AuthMatrixRow[]): string {
  const head = ['placement', 'result', 'time', 'how the server said so'];
  const body = rows.map((r) => [r.placement, r.outcome, r.timeMs === undefined ? '' : `${r.timeMs} ms`, truncate(oneLine(r.evidence), 100)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  for (let i = 0; i < rows.length; i++) {
    out.push(line(body[i]));
    out.push(`${' '.repeat(widths[0] + 2)}risk: ${rows[i].risk}`);
  }
  return out.join('\n');
}
