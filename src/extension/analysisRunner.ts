/**
 * The auth matrix and the transport comparison as the extension runs them: parameters from
 * a command or the panel (already checked by isAuthMatrixParams / isCompareParams) become
 * analysis options, defaulting to the embedded demo server; the results come back as the
 * protocol's plain views with every string through the host's edge redaction, so nothing
 * the webview or the API receives can hold the credential. No `vscode` import: tested
 * against the real demo server.
 */
import { runAuthMatrix, type AuthMatrixRow } from '../analysis/authMatrix';
import { runComparison, type ComparisonResult, type Distribution } from '../analysis/compare';
import type { TransportKind } from '../shared/events';
import { TRANSPORT_KINDS } from '../shared/events';
import type { AuthMatrixParams, AuthMatrixView, CompareParams, ComparisonView, DistributionView } from '../shared/protocol';
import { rememberedKey } from './connectOptions';
import type { DemoEndpoints } from './demoChoices';
import { EdgeRedactor } from './edgeRedaction';

export const DEFAULT_AUTH_MATRIX_TIMEOUT_MS = 5000;

/** What the runner needs from the host. */
export interface AnalysisDeps {
  /** The demo server, started if needed. */
  demo(): Promise<DemoEndpoints>;
  /** A remembered credential (SecretStorage) by key; undefined when none. */
  remembered(key: string): PromiseLike<string | undefined>;
  /** Short-polling interval when the parameters give none (the pollIntervalMs setting). */
  pollIntervalMs: number;
  /** Connect timeout per transport for the comparison (the timeoutMs setting). */
  connectTimeoutMs: number;
}

export interface RunHooks {
  signal?: AbortSignal;
  /** Progress in words, for the notification. */
  progress?: (message: string, fraction: number) => void;
}

/** The carriers whose remembered token the auth matrix may reuse, most specific first. */
const REMEMBERED_KINDS: ReadonlyArray<[string, string | undefined]> = [
  ['bearer', undefined],
  ['query', 'access_token'],
  ['cookie', 'session'],
  ['subprotocol', undefined],
  ['first-message', undefined],
];

/** The token remembered for an endpoint (typed for an earlier connection to its origin), if any. */
export async function rememberedToken(url: string, remembered: AnalysisDeps['remembered']): Promise<string | undefined> {
  const target = url.split('{method}').join('bearer');
  for (const [kind, name] of REMEMBERED_KINDS) {
    const v = await remembered(rememberedKey(kind, target, name));
    if (v) return v;
  }
  return undefined;
}

/** A short label for an endpoint, without credentials: "127.0.0.1:41234". */
export function endpointLabel(url: string): string {
  try {
    return new URL(url.split('{method}').join('bearer')).host;
  } catch {
    return 'the endpoint';
  }
}

const TRANSPORT_TITLES: Record<TransportKind, string> = { poll: 'short polling', 'long-poll': 'long polling', sse: 'SSE', ws: 'WebSocket' };

/** The run's title for the notification and the panel, without credentials. */
export function analysisTitle(kind: 'auth-matrix', params: AuthMatrixParams): string;
export function analysisTitle(kind: 'compare', params: CompareParams): string;
export function analysisTitle(kind: 'auth-matrix' | 'compare', params: AuthMatrixParams | CompareParams): string {
  if (kind === 'auth-matrix') {
    const p = params as AuthMatrixParams;
    return `Auth matrix: ${TRANSPORT_TITLES[p.transport]} on ${p.url === undefined ? 'the demo server' : endpointLabel(p.url)}`;
  }
  const p = params as CompareParams;
  const kinds = p.urls ? TRANSPORT_KINDS.filter((k) => p.urls![k]) : TRANSPORT_KINDS;
  return `Transport comparison: ${kinds.length === 4 ? 'all four transports' : kinds.map((k) => TRANSPORT_TITLES[k]).join(', ')} on ${p.urls ? [...new Set(kinds.map((k) => endpointLabel(p.urls![k]!)))].join(', ') : 'the demo server'}, ${p.seconds} s`;
}

/** Runs the auth matrix for checked parameters; resolves with the redacted view, rejects with one redacted sentence (AbortError when cancelled). */
export async function runAuthMatrixView(params: AuthMatrixParams, deps: AnalysisDeps, hooks: RunHooks = {}): Promise<AuthMatrixView> {
  const redactor = new EdgeRedactor();
  let url: string;
  let token = params.token || undefined;
  let tokenUrl = params.tokenUrl;
  let sendUrl: string | undefined;
  if (params.url === undefined) {
    const demo = await deps.demo();
    // The CLI's template: one demo route per placement.
    url = demo.authUrl(params.transport, 'query').replace('/auth/query/', '/auth/{method}/');
    token ??= demo.demoToken;
    tokenUrl ??= demo.urls.token;
    // HTTP transports send the first message as a request; the demo refuses it for polling, which the matrix shows.
    sendUrl = params.transport === 'ws' ? undefined : demo.urls.send;
    redactor.addSecret(demo.demoToken);
  } else {
    url = params.url.trim();
    token ??= await rememberedToken(url, deps.remembered);
    if (!token && !tokenUrl) {
      throw new Error(`The auth matrix needs a token or a token endpoint for ${redactor.url(url)}: type one (none is remembered for ${endpointLabel(url)}).`);
    }
  }
  redactor.addSecret(token);
  const total = params.transport === 'ws' ? 7 : 6;
  hooks.progress?.(`0 of ${total} placements`, 0);
  let rows: AuthMatrixRow[];
  try {
    rows = await runAuthMatrix({
      url,
      transport: params.transport,
      token,
      tokenUrl,
      sendUrl,
      timeoutMs: params.timeoutMs ?? DEFAULT_AUTH_MATRIX_TIMEOUT_MS,
      signal: hooks.signal,
      onRow: (row, done, n) => hooks.progress?.(`${done} of ${n} placements (${row.placement}: ${row.outcome})`, done / n),
    });
  } catch (err) {
    throw redactedError(err, redactor);
  }
  return authMatrixView(rows, params.transport, url, redactor);
}

/** The rows as the panel shows them: fields the view needs, every string redacted. */
export function authMatrixView(rows: readonly AuthMatrixRow[], transport: TransportKind, url: string, redactor: EdgeRedactor): AuthMatrixView {
  const t = (s: string): string => redactor.text(s);
  return {
    transport,
    url: redactor.url(url),
    finishedAt: Date.now(),
    rows: rows.map((r) => ({
      placement: r.placement,
      carrier: t(r.carrier),
      url: redactor.url(r.url),
      outcome: r.outcome,
      evidence: t(r.evidence),
      ...(r.status === undefined ? {} : { status: r.status }),
      ...(r.closeCode === undefined ? {} : { closeCode: r.closeCode }),
      ...(r.timeMs === undefined ? {} : { timeMs: r.timeMs }),
      ...(r.unauthenticatedMs === undefined ? {} : { unauthenticatedMs: r.unauthenticatedMs }),
      risk: t(r.risk),
    })),
  };
}

/** Runs the comparison for checked parameters; resolves with the redacted view. */
export async function runComparisonView(params: CompareParams, deps: AnalysisDeps, hooks: RunHooks = {}): Promise<ComparisonView> {
  const redactor = new EdgeRedactor();
  let urls: Partial<Record<TransportKind, string>>;
  if (params.urls === undefined) {
    const demo = await deps.demo();
    urls = { poll: demo.urls.poll, 'long-poll': demo.urls['long-poll'], sse: demo.urls.sse, ws: demo.urls.ws };
  } else {
    urls = {};
    for (const k of TRANSPORT_KINDS) if (params.urls[k]) urls[k] = params.urls[k]!.trim();
  }
  const durationMs = params.seconds * 1000;
  const started = Date.now();
  // Time is the only progress a comparison has: every transport runs for the whole duration.
  const ticker = hooks.progress
    ? setInterval(() => {
        const s = Math.min(params.seconds, (Date.now() - started) / 1000);
        hooks.progress!(`${s.toFixed(0)} of ${params.seconds} s`, s / params.seconds);
      }, 500)
    : undefined;
  let result: ComparisonResult;
  try {
    result = await runComparison({
      urls,
      durationMs,
      intervalMs: params.intervalMs ?? deps.pollIntervalMs,
      timeoutMs: deps.connectTimeoutMs,
      signal: hooks.signal,
    });
  } catch (err) {
    throw redactedError(err, redactor);
  } finally {
    if (ticker) clearInterval(ticker);
  }
  return comparisonView(result, redactor);
}

const dist = (d: Distribution): DistributionView => ({ ...d });

/** ComparisonResult as plain data: hints reduced to id, severity and message; strings redacted. */
export function comparisonView(result: ComparisonResult, redactor: EdgeRedactor): ComparisonView {
  const t = (s: string): string => redactor.text(s);
  return {
    mode: result.mode,
    durationMs: result.durationMs,
    intervalMs: result.intervalMs,
    startedAt: result.startedAt,
    notes: result.notes.map(t),
    rows: result.rows.map((r) => ({
      transport: r.transport,
      url: redactor.url(r.url),
      ok: r.ok,
      ...(r.error === undefined ? {} : { error: t(r.error) }),
      ranMs: r.ranMs,
      delivered: r.delivered,
      messagesIn: r.messagesIn,
      missed: r.missed,
      latencyMs: dist(r.latencyMs),
      requests: r.requests,
      uselessRequests: r.uselessRequests,
      wireBytes: r.wireBytes,
      payloadBytes: r.payloadBytes,
      ...(r.bytesPerMessage === undefined ? {} : { bytesPerMessage: r.bytesPerMessage, payloadBytesPerMessage: r.payloadBytesPerMessage, overheadBytesPerMessage: r.overheadBytesPerMessage }),
      reconnects: r.reconnects,
      gapMs: dist(r.gapMs),
      connections: r.connections,
      ...(r.sends ? { sends: { ...r.sends } } : {}),
      hints: r.hints.map((h) => ({ id: h.id, severity: h.severity, message: t(h.message) })),
    })),
  };
}

/** The error with its message redacted; an AbortError keeps its name so callers can tell a cancel from a failure. */
function redactedError(err: unknown, redactor: EdgeRedactor): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const out = new Error(redactor.text(e.message));
  out.name = e.name;
  return out;
}

export const isCancel = (err: unknown): boolean => err instanceof Error && err.name === 'AbortError';
