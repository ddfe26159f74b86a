import { oneLine, TRANSPORT_KINDS, type ConnectionState, type TransportKind } from '../shared/events';
import type { Hint } from '../shared/hints';
import { isConnectionConfig, isToWebview, type ConnectionConfig, type EventRow, type SessionSummary, type StatsSummary, type RowsAsObjects, type ToWebview, type ViewSettings } from '../shared/protocol';
import type { JsonEvent } from '../shared/serialize';
import { checkAnalysisState, checkAuthMatrix, checkComparison } from './analysisMessages';

/**
 * Checks a host message field by field before the view touches it. `isToWebview` only
 * checks `type` (the host is trusted); this guards the view against version skew and bugs:
 * a message that does not fit is dropped with a reason, bad rows inside a batch are skipped.
 */
export type Checked = { ok: true; message: HostMessage; skippedRows: number } | { ok: false; reason: string };

/** A checked host message: rows arrive as columns and leave the checker as objects. */
export type HostMessage = RowsAsObjects<ToWebview>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const STATES: readonly ConnectionState[] = ['connecting', 'open', 'closing', 'closed'];
const ROW_TYPES = new Set(['session', 'state', 'request', 'response', 'timing', 'message', 'comment', 'retry', 'ping', 'pong', 'close', 'reconnect', 'poll', 'auth', 'redirect', 'error', 'info']);
const SEVERITIES = ['info', 'warning', 'risk'];
/** Longest preview kept per row: rows stay small whatever the host sends. */
const PREVIEW_MAX = 240;

/** Returns a clean row (strings made single-line and inert), or undefined when it does not fit. */
export function checkRow(v: unknown): EventRow | undefined {
  if (!isObj(v)) return undefined;
  return cleanRow(v.seq, v.t, v.type, v.dir, v.size, v.label, v.preview, v.id, v.error);
}

function cleanRow(seq: unknown, t: unknown, type: unknown, dir: unknown, size: unknown, label: unknown, preview: unknown, id: unknown, error: unknown): EventRow | undefined {
  if (!isNum(seq) || !isNum(t) || !isStr(type) || !ROW_TYPES.has(type)) return undefined;
  const row: EventRow = {
    seq,
    t,
    type: type as EventRow['type'],
    dir: dir === 'in' || dir === 'out' ? dir : '',
    size: isNum(size) ? size : -1,
    label: isStr(label) ? oneLine(label.slice(0, 80)) : '',
    preview: isStr(preview) ? oneLine(preview.slice(0, PREVIEW_MAX)) : '',
  };
  if (isStr(id)) row.id = oneLine(id.slice(0, 200));
  if (error === true) row.error = true;
  return row;
}

const COLUMNS = ['seq', 't', 'type', 'dir', 'size', 'label', 'preview'] as const;

/** Rows from their columns (RowColumns), each checked like checkRow; undefined when the columns do not line up. */
function checkRows(v: unknown): { rows: EventRow[]; skipped: number } | undefined {
  if (!isObj(v) || !Array.isArray(v.seq)) return undefined;
  const n = v.seq.length;
  for (const k of COLUMNS) {
    const col = v[k];
    if (!Array.isArray(col) || col.length !== n) return undefined;
  }
  const c = v as unknown as Record<(typeof COLUMNS)[number], unknown[]>;
  const ids = new Map<number, unknown>();
  if (Array.isArray(v.ids)) for (const p of v.ids) if (Array.isArray(p) && Number.isInteger(p[0])) ids.set(p[0] as number, p[1]);
  const errors = new Set<unknown>(Array.isArray(v.errors) ? v.errors : []);
  const rows: EventRow[] = [];
  for (let i = 0; i < n; i++) {
    const row = cleanRow(c.seq[i], c.t[i], c.type[i], c.dir[i], c.size[i], c.label[i], c.preview[i], ids.get(i), errors.has(i));
    if (row) rows.push(row);
  }
  return { rows, skipped: n - rows.length };
}

export function checkSession(v: unknown): SessionSummary | undefined {
  if (!isObj(v) || !isStr(v.id) || !isStr(v.name) || !isStr(v.url)) return undefined;
  if (!TRANSPORT_KINDS.includes(v.transport as TransportKind) || !STATES.includes(v.state as ConnectionState)) return undefined;
  return {
    id: v.id,
    name: v.name,
    transport: v.transport as TransportKind,
    url: v.url,
    state: v.state as ConnectionState,
    readOnly: v.readOnly === true,
    total: isNum(v.total) ? v.total : 0,
    dropped: isNum(v.dropped) ? v.dropped : 0,
  };
}

export function checkStats(v: unknown): StatsSummary | undefined {
  if (!isObj(v)) return undefined;
  const n = (k: string): number => (isNum(v[k]) ? (v[k] as number) : 0);
  const s: StatsSummary = {
    messagesIn: n('messagesIn'),
    messagesOut: n('messagesOut'),
    bytesIn: n('bytesIn'),
    bytesOut: n('bytesOut'),
    rateIn: n('rateIn'),
    byteRateIn: n('byteRateIn'),
    overheadPerMessage: n('overheadPerMessage'),
    polls: n('polls'),
    uselessPolls: n('uselessPolls'),
    reconnects: n('reconnects'),
    errors: n('errors'),
  };
  if (isNum(v.gapP50)) s.gapP50 = v.gapP50;
  if (isNum(v.gapP95)) s.gapP95 = v.gapP95;
  return s;
}

function checkHints(v: unknown): Hint[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Hint[] = [];
  for (const x of v) {
    if (!isObj(x) || !isStr(x.id) || !isStr(x.message)) continue;
    const numbers: Record<string, number | string> = {};
    if (isObj(x.numbers)) for (const [k, val] of Object.entries(x.numbers)) if (isStr(val) || isNum(val)) numbers[k] = val;
    out.push({
      id: x.id,
      severity: SEVERITIES.includes(x.severity as string) ? (x.severity as Hint['severity']) : 'info',
      transport: isStr(x.transport) ? (x.transport as Hint['transport']) : 'any',
      message: x.message,
      numbers,
      why: isStr(x.why) ? x.why : '',
      suggestion: isStr(x.suggestion) ? x.suggestion : '',
    });
  }
  return out;
}

function checkSettings(v: unknown): ViewSettings {
  const cap = isObj(v) && isNum(v.logCap) && v.logCap >= 1 ? Math.floor(v.logCap) : 100_000;
  return { logCap: cap, revealSecrets: isObj(v) && v.revealSecrets === true };
}

/** Keeps only the fields of a partial ConnectionConfig that have the right types. */
export function checkDefaults(v: unknown): Partial<ConnectionConfig> {
  const d: Partial<ConnectionConfig> = {};
  if (!isObj(v)) return d;
  if (isStr(v.url)) d.url = v.url;
  if (v.transport === 'auto' || TRANSPORT_KINDS.includes(v.transport as TransportKind)) d.transport = v.transport as ConnectionConfig['transport'];
  if (Array.isArray(v.headers)) d.headers = v.headers.filter((x): x is [string, string] => Array.isArray(x) && x.length === 2 && isStr(x[0]) && isStr(x[1]));
  // Reuse the protocol's own auth check: a config that differs only in `auth` passes iff auth is valid.
  if (isConnectionConfig({ url: '', transport: 'auto', headers: [], auth: v.auth, subprotocols: [], reconnect: false, insecure: false })) d.auth = v.auth as ConnectionConfig['auth'];
  if (Array.isArray(v.subprotocols)) d.subprotocols = v.subprotocols.filter(isStr);
  for (const k of ['intervalMs', 'holdTimeoutMs', 'timeoutMs'] as const) if (isNum(v[k])) d[k] = v[k] as number;
  if (typeof v.reconnect === 'boolean') d.reconnect = v.reconnect;
  if (typeof v.insecure === 'boolean') d.insecure = v.insecure;
  if (isStr(v.sendUrl)) d.sendUrl = v.sendUrl;
  return d;
}

function isJsonEvent(v: unknown): v is JsonEvent {
  return isObj(v) && isStr(v.type) && ROW_TYPES.has(v.type) && isNum(v.seq) && isNum(v.t);
}

export function checkHostMessage(data: unknown): Checked {
  if (!isToWebview(data)) return { ok: false, reason: isObj(data) && isStr(data.type) ? `unknown message type ${JSON.stringify(data.type.slice(0, 40))}` : 'not a protocol message' };
  const m = data as unknown as Obj;
  const bad = (what: string): Checked => ({ ok: false, reason: `${String(m.type)}: ${what}` });
  switch (data.type) {
    case 'Snapshot': {
      if (!Array.isArray(m.sessions)) return bad('sessions is not an array');
      const rows = checkRows(m.rows);
      if (!rows) return bad('rows are not columns of equal length');
      const sessions = m.sessions.map(checkSession).filter((s): s is SessionSummary => s !== undefined);
      const activeSessionId = isStr(m.activeSessionId) ? m.activeSessionId : undefined;
      const message: HostMessage = {
        type: 'Snapshot',
        sessions,
        activeSessionId,
        rows: rows.rows,
        stats: checkStats(m.stats),
        hints: checkHints(m.hints) ?? [],
        settings: checkSettings(m.settings),
        demoUrl: isStr(m.demoUrl) ? m.demoUrl : undefined,
        defaults: checkDefaults(m.defaults),
      };
      return { ok: true, message, skippedRows: rows.skipped };
    }
    case 'DidAppendRows': {
      if (!isStr(m.sessionId)) return bad('sessionId is not a string');
      const rows = checkRows(m.rows);
      if (!rows) return bad('rows are not columns of equal length');
      if (!isNum(m.total) || !isNum(m.dropped)) return bad('total or dropped is not a number');
      const stats = checkStats(m.stats);
      if (!stats) return bad('stats is missing');
      return { ok: true, message: { type: 'DidAppendRows', sessionId: m.sessionId, rows: rows.rows, total: m.total, dropped: m.dropped, stats }, skippedRows: rows.skipped };
    }
    case 'DidChangeSession': {
      const session = checkSession(m.session);
      if (!session) return bad('session does not have the expected fields');
      return { ok: true, message: { type: 'DidChangeSession', session }, skippedRows: 0 };
    }
    case 'DidUpdateHints': {
      const hints = checkHints(m.hints);
      if (!isStr(m.sessionId) || !hints) return bad('sessionId or hints missing');
      return { ok: true, message: { type: 'DidUpdateHints', sessionId: m.sessionId, hints }, skippedRows: 0 };
    }
    case 'DidLoadDetail': {
      if (!isStr(m.sessionId) || !isNum(m.seq)) return bad('sessionId or seq missing');
      if (m.event !== null && !isJsonEvent(m.event)) return bad('event is not an event');
      const related = Array.isArray(m.related) ? m.related.filter(isJsonEvent) : [];
      return { ok: true, message: { type: 'DidLoadDetail', sessionId: m.sessionId, seq: m.seq, event: m.event as JsonEvent | null, related }, skippedRows: 0 };
    }
    case 'DidClear':
      if (!isStr(m.sessionId)) return bad('sessionId missing');
      return { ok: true, message: { type: 'DidClear', sessionId: m.sessionId }, skippedRows: 0 };
    case 'DidFail':
      if (!isStr(m.message)) return bad('message is not a string');
      return { ok: true, message: { type: 'DidFail', message: m.message }, skippedRows: 0 };
    case 'DidRunAuthMatrix': {
      const c = checkAuthMatrix(m);
      if (typeof c === 'string') return bad(c);
      return { ok: true, message: { type: 'DidRunAuthMatrix', ...c.view }, skippedRows: c.skipped };
    }
    case 'DidCompareTransports': {
      const c = checkComparison(m.result);
      if (typeof c === 'string') return bad(c);
      return { ok: true, message: { type: 'DidCompareTransports', result: c.view }, skippedRows: c.skipped };
    }
    case 'DidChangeAnalysisState': {
      const running = checkAnalysisState(m.running);
      if (typeof running === 'string') return bad(running);
      return { ok: true, message: { type: 'DidChangeAnalysisState', running }, skippedRows: 0 };
    }
    default: {
      const unhandled: never = data;
      return { ok: false, reason: `unhandled message ${JSON.stringify(unhandled)}` };
    }
  }
}
