/**
 * Field-by-field checks of the Analysis messages (DidRunAuthMatrix, DidCompareTransports,
 * DidChangeAnalysisState), like hostMessages.ts does for the rest: the view only ever sees
 * values of the declared types, strings bounded in length. Rows that do not fit are dropped.
 */
import { TRANSPORT_KINDS, type TransportKind } from '../shared/events';
import type { AnalysisKind, AuthMatrixRowView, AuthMatrixView, AuthOutcomeView, AuthPlacementView, ComparisonView, DistributionView, TransportComparisonView } from '../shared/protocol';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => isNum(v) && v >= 0;
/** Longest string kept per field: the views show sentences, not payloads. */
const TEXT_MAX = 2000;
const text = (v: unknown): string => (isStr(v) ? v.slice(0, TEXT_MAX) : '');
const optNum = (v: unknown): number | undefined => (isNum(v) ? v : undefined);
const isTransport = (v: unknown): v is TransportKind => TRANSPORT_KINDS.includes(v as TransportKind);

const PLACEMENTS: readonly AuthPlacementView[] = ['none', 'query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url'];
const OUTCOMES: readonly AuthOutcomeView[] = ['accepted', 'rejected', 'failed', 'inconclusive', 'skipped'];
const SEVERITIES = ['info', 'warning', 'risk'] as const;

function checkAuthRow(v: unknown): AuthMatrixRowView | undefined {
  if (!isObj(v) || !PLACEMENTS.includes(v.placement as AuthPlacementView) || !OUTCOMES.includes(v.outcome as AuthOutcomeView)) return undefined;
  const row: AuthMatrixRowView = {
    placement: v.placement as AuthPlacementView,
    carrier: text(v.carrier),
    url: text(v.url),
    outcome: v.outcome as AuthOutcomeView,
    evidence: text(v.evidence),
    risk: text(v.risk),
  };
  for (const k of ['status', 'closeCode', 'timeMs', 'unauthenticatedMs'] as const) {
    const n = optNum(v[k]);
    if (n !== undefined) row[k] = n;
  }
  return row;
}

export function checkAuthMatrix(m: Obj): { view: AuthMatrixView; skipped: number } | string {
  if (!isTransport(m.transport)) return 'transport is not a transport';
  if (!Array.isArray(m.rows)) return 'rows is not an array';
  const rows = m.rows.map(checkAuthRow).filter((r): r is AuthMatrixRowView => r !== undefined);
  return { view: { transport: m.transport, url: text(m.url), rows, finishedAt: isNum(m.finishedAt) ? m.finishedAt : 0 }, skipped: m.rows.length - rows.length };
}

function checkDist(v: unknown): DistributionView {
  if (!isObj(v)) return { samples: 0 };
  const d: DistributionView = { samples: isCount(v.samples) ? v.samples : 0 };
  for (const k of ['p50', 'p95', 'p99'] as const) {
    const n = optNum(v[k]);
    if (n !== undefined) d[k] = n;
  }
  return d;
}

function checkTransportRow(v: unknown): TransportComparisonView | undefined {
  if (!isObj(v) || !isTransport(v.transport)) return undefined;
  const n = (k: string): number => (isCount(v[k]) ? (v[k] as number) : 0);
  const row: TransportComparisonView = {
    transport: v.transport,
    url: text(v.url),
    ok: v.ok === true,
    ranMs: n('ranMs'),
    delivered: n('delivered'),
    messagesIn: n('messagesIn'),
    missed: n('missed'),
    latencyMs: checkDist(v.latencyMs),
    requests: n('requests'),
    uselessRequests: n('uselessRequests'),
    wireBytes: n('wireBytes'),
    payloadBytes: n('payloadBytes'),
    reconnects: n('reconnects'),
    gapMs: checkDist(v.gapMs),
    connections: n('connections'),
    hints: Array.isArray(v.hints)
      ? v.hints
          .filter((h): h is Obj => isObj(h) && isStr(h.id) && isStr(h.message))
          .slice(0, 50)
          .map((h) => ({ id: text(h.id), severity: SEVERITIES.includes(h.severity as (typeof SEVERITIES)[number]) ? (h.severity as (typeof SEVERITIES)[number]) : 'info', message: text(h.message) }))
      : [],
  };
  if (isStr(v.error)) row.error = text(v.error);
  for (const k of ['bytesPerMessage', 'payloadBytesPerMessage', 'overheadBytesPerMessage'] as const) {
    if (isCount(v[k])) row[k] = v[k] as number;
  }
  if (isObj(v.sends)) {
    const s = v.sends;
    const c = (k: string): number => (isCount(s[k]) ? (s[k] as number) : 0);
    row.sends = { messages: c('messages'), failed: c('failed'), wireBytes: c('wireBytes'), requests: c('requests'), ...(isCount(s.bytesPerSend) ? { bytesPerSend: s.bytesPerSend } : {}) };
  }
  return row;
}

export function checkComparison(v: unknown): { view: ComparisonView; skipped: number } | string {
  if (!isObj(v)) return 'result is not an object';
  if (!Array.isArray(v.rows)) return 'result.rows is not an array';
  const rows = v.rows.map(checkTransportRow).filter((r): r is TransportComparisonView => r !== undefined);
  return {
    view: {
      mode: v.mode === 'sequential' ? 'sequential' : 'concurrent',
      durationMs: isCount(v.durationMs) ? v.durationMs : 0,
      intervalMs: isCount(v.intervalMs) ? v.intervalMs : 0,
      startedAt: isNum(v.startedAt) ? v.startedAt : 0,
      rows,
      notes: Array.isArray(v.notes) ? v.notes.filter(isStr).slice(0, 20).map(text) : [],
    },
    skipped: v.rows.length - rows.length,
  };
}

export function checkAnalysisState(v: unknown): { kind: AnalysisKind; title: string } | null | string {
  if (v === null) return null;
  if (!isObj(v) || (v.kind !== 'auth-matrix' && v.kind !== 'compare')) return 'running is neither null nor a run';
  return { kind: v.kind, title: text(v.title) };
}
