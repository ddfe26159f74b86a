import { oneLine, previewOf, truncate, type InspectorEvent } from './events';
import type { EventRow, RowColumns } from './protocol';

const OPCODES: Record<number, string> = { 1: 'text', 2: 'binary' };

/** Builds the compact log row for an event. Called in batches off the receive path. */
export function toRow(ev: InspectorEvent): EventRow {
  const row: EventRow = { seq: ev.seq, t: ev.t, type: ev.type, dir: '', size: -1, label: '', preview: '' };
  switch (ev.type) {
    case 'message':
      row.dir = ev.direction;
      row.size = ev.size;
      row.label = ev.sse ? ev.sse.event : ev.opcode ? OPCODES[ev.opcode] ?? `op ${ev.opcode}` : ev.binary ? 'binary' : 'text';
      row.preview = previewOf(ev.data);
      if (ev.sse?.id !== undefined) row.id = ev.sse.id;
      break;
    case 'ping':
    case 'pong':
      row.dir = ev.direction;
      row.size = ev.size;
      row.label = ev.type;
      row.preview = previewOf(ev.data);
      break;
    case 'request':
      row.dir = 'out';
      row.label = ev.method;
      row.preview = `${ev.purpose}: ${ev.url}`;
      break;
    case 'response':
      row.dir = 'in';
      row.label = String(ev.status);
      row.preview = `HTTP/${ev.httpVersion} ${ev.status} ${ev.statusText}`;
      row.error = ev.status >= 400;
      break;
    case 'timing':
      row.label = 'timing';
      row.preview = [
        ev.dns !== undefined ? `dns ${fmt(ev.dns)}` : '',
        ev.tcp !== undefined ? `tcp ${fmt(ev.tcp)}` : '',
        ev.tls !== undefined ? `tls ${fmt(ev.tls)}` : '',
        ev.ttfb !== undefined ? `ttfb ${fmt(ev.ttfb)}` : '',
        `total ${fmt(ev.total)}`,
        ev.reusedSocket ? 'reused socket' : '',
      ]
        .filter(Boolean)
        .join(' · ');
      break;
    case 'close':
      // HTTP transports have no close code (0 in the event): "0" in a log column reads like one.
      row.label = ev.code === 0 ? 'closed' : String(ev.code);
      row.preview = `closed by ${ev.by}${ev.reason ? `: ${oneLine(ev.reason)}` : ''}`;
      row.error = !ev.wasClean;
      break;
    case 'error':
      row.label = ev.code;
      row.preview = oneLine(ev.message);
      row.error = true;
      break;
    case 'state':
      row.label = ev.state;
      row.preview = `${ev.previous} → ${ev.state}`;
      break;
    case 'poll':
      row.label = ev.outcome;
      row.preview = [ev.reason, ev.heldMs !== undefined ? `held ${fmt(ev.heldMs)}` : '', ev.gapMs !== undefined ? `gap ${fmt(ev.gapMs)}` : '', ev.cursor !== undefined ? `cursor ${ev.cursor}` : ''].filter(Boolean).join(' · ');
      row.error = ev.outcome === 'error';
      break;
    case 'reconnect':
      row.label = `#${ev.attempt}`;
      row.preview = `reconnect in ${fmt(ev.delayMs)}: ${oneLine(ev.reason)}${ev.lastEventId !== undefined ? ` (Last-Event-ID ${ev.lastEventId})` : ''}`;
      break;
    case 'comment':
      row.dir = 'in';
      row.label = 'comment';
      row.preview = truncate(oneLine(ev.text), 120);
      break;
    case 'retry':
      row.dir = 'in';
      row.label = 'retry';
      row.preview = `retry: ${ev.raw}${ev.appliedMs !== undefined ? ` → ${ev.appliedMs} ms` : ' (ignored)'}`;
      break;
    case 'auth':
      row.label = ev.method;
      row.preview = `${ev.carrier}: ${ev.value}${ev.ttlSeconds !== undefined ? ` (expires in ${ev.ttlSeconds} s)` : ''}`;
      break;
    case 'redirect':
      row.label = String(ev.status);
      row.preview = `${ev.followed ? 'followed' : 'not followed'}${ev.crossOrigin ? ' (cross-origin)' : ''}: ${ev.to}${ev.stripped.length ? ` · removed ${ev.stripped.join(', ')}` : ''}`;
      break;
    case 'info':
      row.label = ev.key ?? 'info';
      row.preview = oneLine(ev.message);
      break;
    case 'session':
      row.label = ev.transport;
      row.preview = ev.url;
      break;
  }
  return row;
}

export function fmt(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Rows in the columnar form they cross to the webview in. */
export function toColumns(rows: readonly EventRow[]): RowColumns {
  const n = rows.length;
  const c: RowColumns = { seq: new Array(n), t: new Array(n), type: new Array(n), dir: new Array(n), size: new Array(n), label: new Array(n), preview: new Array(n), ids: [], errors: [] };
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    c.seq[i] = r.seq;
    c.t[i] = r.t;
    c.type[i] = r.type;
    c.dir[i] = r.dir;
    c.size[i] = r.size;
    c.label[i] = r.label;
    c.preview[i] = r.preview;
    if (r.id !== undefined) c.ids.push([i, r.id]);
    if (r.error) c.errors.push(i);
  }
  return c;
}

/** Row objects back from columns (trusted input: the webview checks field by field instead). */
export function fromColumns(c: RowColumns): EventRow[] {
  const rows: EventRow[] = c.seq.map((seq, i) => ({ seq, t: c.t[i], type: c.type[i], dir: c.dir[i], size: c.size[i], label: c.label[i], preview: c.preview[i] }));
  for (const [i, id] of c.ids) rows[i].id = id;
  for (const i of c.errors) rows[i].error = true;
  return rows;
}
