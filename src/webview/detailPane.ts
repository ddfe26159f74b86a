import { decodeText, type HeaderList } from '../shared/events';
import type { EventRow } from '../shared/protocol';
import type { JsonEvent } from '../shared/serialize';
import { h, icon, replace } from './dom';
import { fmtBytes, fmtClock, fmtCount, fmtMs, inertText } from './format';
import { hexView } from './hexView';
import { jsonTree } from './jsonTree';
import { exchangeEvents, payloadBytes, payloadOf, type Payload } from './payload';
import { DETAIL_TABS, type DetailTab } from './state';

/** Most characters put in the Text view; the export has the rest. */
const TEXT_MAX = 1_000_000;
/** Largest payload parsed for the JSON tree. */
const JSON_MAX = 10 * 1024 * 1024;
const TAB_LABELS: Record<DetailTab, string> = { text: 'Text', json: 'JSON', hex: 'Hex', headers: 'Headers', timing: 'Timing' };

type RequestEv = Extract<JsonEvent, { type: 'request' }>;
type ResponseEv = Extract<JsonEvent, { type: 'response' }>;
type TimingEv = Extract<JsonEvent, { type: 'timing' }>;
type RedirectEv = Extract<JsonEvent, { type: 'redirect' }>;

/** The detail pane: one selected event, loaded in full on demand, in five views. */
export class DetailPane {
  readonly el: HTMLElement;
  private readonly title: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly tabs = new Map<DetailTab, HTMLButtonElement>();
  private row: EventRow | undefined;
  private detail: { event: JsonEvent | null; related: JsonEvent[] } | undefined;
  private disposers: Array<() => void> = [];

  constructor(
    private tab: DetailTab,
    private readonly onTab: (tab: DetailTab) => void,
  ) {
    const list = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Detail views' });
    for (const t of DETAIL_TABS) {
      const b = h('button', { type: 'button', role: 'tab', id: `detail-tab-${t}`, class: 'tab', 'aria-controls': 'detail-body' }, TAB_LABELS[t]);
      b.addEventListener('click', () => this.setTab(t));
      b.addEventListener('keydown', (e) => {
        const i = DETAIL_TABS.indexOf(t);
        const next = e.key === 'ArrowRight' ? DETAIL_TABS[(i + 1) % DETAIL_TABS.length] : e.key === 'ArrowLeft' ? DETAIL_TABS[(i + DETAIL_TABS.length - 1) % DETAIL_TABS.length] : undefined;
        if (next) {
          e.preventDefault();
          this.setTab(next);
          this.tabs.get(next)?.focus();
        }
      });
      this.tabs.set(t, b);
      list.appendChild(b);
    }
    this.title = h('div', { class: 'detail-title', id: 'detail-title' });
    this.body = h('div', { class: 'detail-body', id: 'detail-body', role: 'tabpanel', tabindex: 0 });
    this.el = h('section', { class: 'detail-pane', 'aria-label': 'Event detail' }, list, this.title, this.body);
    this.updateTabs();
    this.render();
  }

  get selectedTab(): DetailTab {
    return this.tab;
  }

  setTab(t: DetailTab): void {
    if (t === this.tab) return;
    this.tab = t;
    this.updateTabs();
    this.render();
    this.onTab(t);
  }

  /** A row was selected: show what the row knows while the full event loads. */
  showRow(row: EventRow): void {
    this.row = row;
    this.detail = undefined;
    this.render();
  }

  showDetail(seq: number, event: JsonEvent | null, related: JsonEvent[]): void {
    if (!this.row || this.row.seq !== seq) return;
    this.detail = { event, related };
    this.render();
  }

  clear(): void {
    this.row = undefined;
    this.detail = undefined;
    this.render();
  }

  get seq(): number | undefined {
    return this.row?.seq;
  }

  private updateTabs(): void {
    for (const [t, b] of this.tabs) {
      const on = t === this.tab;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    this.body.setAttribute('aria-labelledby', `detail-tab-${this.tab}`);
  }

  private render(): void {
    for (const d of this.disposers) d();
    this.disposers = [];
    const row = this.row;
    if (!row) {
      replace(this.title);
      replace(this.body, h('div', { class: 'empty-state' }, icon('list-flat'), h('p', null, 'Select a row to see its payload, headers and timing.'), h('p', { class: 'muted' }, 'Use ↑ and ↓ in the log to move through events.')));
      return;
    }
    replace(
      this.title,
      h('span', { class: 'detail-seq' }, `#${row.seq}`),
      h('span', null, `${row.type}${row.label && row.label !== row.type ? ' · ' + row.label : ''}`),
      h('span', { class: 'muted' }, fmtClock(row.t)),
      row.dir ? h('span', { class: 'muted' }, row.dir === 'in' ? 'incoming' : 'outgoing') : null,
      row.size >= 0 ? h('span', { class: 'muted' }, fmtBytes(row.size)) : null,
    );
    if (!this.detail) {
      replace(this.body, h('div', { class: 'muted loading' }, icon('loading', 'codicon-modifier-spin'), ' Loading…'));
      return;
    }
    const ev = this.detail.event;
    if (!ev) {
      replace(this.body, h('div', { class: 'muted' }, 'This event is no longer in the log (dropped by the cap or cleared).'));
      return;
    }
    try {
      replace(this.body, ...this.renderTab(ev, this.detail.related));
    } catch (e) {
      replace(this.body, h('div', { class: 'inline-error' }, `Could not show this event: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private renderTab(ev: JsonEvent, related: JsonEvent[]): Node[] {
    const p = payloadOf(ev);
    const notes: Node[] = [];
    if (ev.type === 'message' && ev.redacted) notes.push(h('div', { class: 'note' }, icon('lock'), ' This payload carried a secret and is shown redacted.'));
    switch (this.tab) {
      case 'text':
        return [...notes, ...textView(ev, p)];
      case 'json':
        return [...notes, ...jsonView(ev, p)];
      case 'hex': {
        if (p.kind === 'none') return [h('div', { class: 'muted' }, 'This event has no payload.')];
        const v = hexView(p);
        this.disposers.push(v.dispose);
        return [...notes, v.el];
      }
      case 'headers':
        return headersView(exchangeEvents(ev, related));
      case 'timing':
        return timingView(exchangeEvents(ev, related));
    }
  }
}

function pre(text: string, cls = 'text-view'): HTMLPreElement {
  return h('pre', { class: cls }, inertText(text));
}

function textView(ev: JsonEvent, p: Payload): Node[] {
  if (p.kind === 'none') return [h('div', { class: 'muted' }, 'No payload. All fields of the event:'), pre(JSON.stringify(ev, null, 2))];
  if (p.kind === 'binary') {
    const bytes = payloadBytes(p, TEXT_MAX);
    return [
      h('div', { class: 'note' }, icon('file-binary'), ` Binary payload, ${fmtCount(p.size)} bytes, decoded as UTF-8 (invalid sequences show as �). The Hex tab shows the bytes.`),
      pre(decodeText(bytes)),
      p.size > bytes.length ? h('div', { class: 'muted' }, `Showing the first ${fmtCount(bytes.length)} of ${fmtCount(p.size)} bytes.`) : null,
    ].filter((n): n is HTMLDivElement | HTMLPreElement => n !== null);
  }
  const capped = p.text.length > TEXT_MAX;
  return [pre(capped ? p.text.slice(0, TEXT_MAX) : p.text), capped ? h('div', { class: 'muted' }, `Showing the first ${fmtCount(TEXT_MAX)} of ${fmtCount(p.text.length)} characters.`) : null].filter((n): n is HTMLDivElement | HTMLPreElement => n !== null);
}

function jsonView(ev: JsonEvent, p: Payload): Node[] {
  const out: Node[] = [];
  if (p.kind === 'text') {
    out.push(h('h4', null, 'Payload'));
    if (p.text.length > JSON_MAX) out.push(h('div', { class: 'muted' }, `The payload is too large to show as a tree (${fmtBytes(p.size)}); the Text tab shows it.`));
    else {
      try {
        out.push(jsonTree(JSON.parse(p.text)));
      } catch (e) {
        out.push(h('div', { class: 'muted', id: 'json-not-json' }, `The payload is not JSON: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
  } else if (p.kind === 'binary') out.push(h('h4', null, 'Payload'), h('div', { class: 'muted' }, 'Binary payload: see the Hex tab.'));
  // The event's own fields, without repeating a (possibly huge) payload.
  const fields: Record<string, unknown> = { ...ev };
  if ((ev.type === 'message' || ev.type === 'ping' || ev.type === 'pong') && typeof fields.data === 'string') fields.data = `‹payload, ${fmtCount(p.kind === 'none' ? 0 : p.size)} bytes›`;
  out.push(h('h4', null, 'Event fields'), jsonTree(fields, 1));
  return out;
}

function headerTable(headers: HeaderList | undefined): HTMLElement {
  if (!headers || headers.length === 0) return h('div', { class: 'muted' }, 'No headers.');
  const table = h('table', { class: 'kv' });
  const tbody = h('tbody');
  for (const [name, value] of headers) tbody.appendChild(h('tr', null, h('th', { scope: 'row' }, inertText(String(name))), h('td', null, inertText(String(value)))));
  table.appendChild(tbody);
  return table;
}

function headersView(events: JsonEvent[]): Node[] {
  const out: Node[] = [];
  for (const e of events) {
    if (e.type === 'request') {
      const r = e as RequestEv;
      out.push(
        h('h4', null, icon('arrow-up', 'dir-out'), ` Request · ${r.purpose}`),
        h('div', { class: 'mono request-line' }, inertText(`${r.method} ${r.url}`)),
        headerTable(r.headers),
        h('div', { class: 'muted' }, `${fmtCount(r.headerBytes)} header bytes${r.bodyBytes ? ` · ${fmtCount(r.bodyBytes)} body bytes` : ''}`),
      );
      if (r.body) out.push(h('div', { class: 'caption' }, 'Body'), pre(r.body));
    } else if (e.type === 'response') {
      const r = e as ResponseEv;
      out.push(
        h('h4', null, icon('arrow-down', 'dir-in'), ` Response`),
        h('div', { class: `mono request-line${r.status >= 400 ? ' error-text' : ''}` }, inertText(`HTTP/${r.httpVersion} ${r.status} ${r.statusText}`)),
        headerTable(r.headers),
        h('div', { class: 'muted' }, `${fmtCount(r.headerBytes)} header bytes`),
      );
    } else if (e.type === 'redirect') {
      const r = e as RedirectEv;
      out.push(
        h('h4', null, icon('arrow-swap'), ` Redirect ${r.status}`),
        h('div', { class: 'mono' }, inertText(`${r.from} → ${r.to}`)),
        h('div', { class: 'muted' }, `${r.followed ? 'Followed' : 'Not followed'}${r.crossOrigin ? ', cross-origin' : ''}${r.stripped.length ? `; removed ${r.stripped.join(', ')}` : ''}`),
      );
    }
  }
  if (!out.length) return [h('div', { class: 'muted' }, 'No HTTP exchange is related to this event. WebSocket frames after the upgrade carry no headers; select the upgrade request to see them.')];
  return out;
}

const PHASES = [
  ['dns', 'DNS lookup', 'wf-dns'],
  ['tcp', 'TCP connect', 'wf-tcp'],
  ['tls', 'TLS handshake', 'wf-tls'],
  ['ttfb', 'Waiting (TTFB)', 'wf-ttfb'],
] as const;

function timingView(events: JsonEvent[]): Node[] {
  const requests = new Map<number, RequestEv>();
  for (const e of events) if (e.type === 'request') requests.set(e.requestId, e as RequestEv);
  const out: Node[] = [];
  for (const e of events) {
    if (e.type !== 'timing') continue;
    const t = e as TimingEv;
    const req = requests.get(t.requestId);
    const total = Math.max(t.total, 0.001);
    const rows: Array<[string, number, number, string]> = [];
    let at = 0;
    for (const [key, label, cls] of PHASES) {
      const d = t[key];
      if (d === undefined) continue;
      const name = key === 'ttfb' && req?.purpose === 'upgrade' ? 'Upgrade (to 101)' : key === 'ttfb' && t.heldMs !== undefined ? `Waiting (held ${fmtMs(t.heldMs)})` : label;
      rows.push([name, at, d, cls]);
      at += d;
    }
    const rest = t.total - at;
    if (rest > 0.01) rows.push([req?.purpose === 'upgrade' ? 'After upgrade' : 'Content download', at, rest, 'wf-download']);
    const wf = h('div', { class: 'waterfall', role: 'table', 'aria-label': 'Timing waterfall' });
    for (const [name, start, dur, cls] of rows) {
      const bar = h('div', { class: `wf-bar ${cls}` });
      // Positions are data-driven numbers set as style properties (allowed by the CSP, unlike style attributes).
      bar.style.left = `${(start / total) * 100}%`;
      bar.style.width = `max(2px, ${(dur / total) * 100}%)`;
      wf.appendChild(h('div', { class: 'wf-row', role: 'row' }, h('span', { class: 'wf-label', role: 'cell' }, name), h('span', { class: 'wf-track', role: 'cell' }, bar), h('span', { class: 'wf-value', role: 'cell' }, fmtMs(dur))));
    }
    wf.appendChild(h('div', { class: 'wf-row wf-total', role: 'row' }, h('span', { class: 'wf-label', role: 'cell' }, 'Total'), h('span', { class: 'wf-track', role: 'cell' }), h('span', { class: 'wf-value', role: 'cell' }, fmtMs(t.total))));
    const facts = [
      t.reusedSocket ? 'reused a keep-alive socket (no DNS/TCP/TLS)' : 'new connection',
      t.remoteAddress ? `remote ${t.remoteAddress}${t.remotePort ? ':' + t.remotePort : ''}` : '',
      t.bodyWireBytes !== undefined ? `${fmtCount(t.bodyWireBytes)} body bytes on the wire` : '',
    ].filter(Boolean);
    out.push(h('h4', null, icon('watch'), ` ${req ? `${req.purpose} · ${req.method} request #${t.requestId}` : `request #${t.requestId}`}`), wf, h('div', { class: 'muted' }, inertText(facts.join(' · '))));
  }
  if (!out.length) return [h('div', { class: 'muted' }, 'No timing is related to this event. Timings belong to HTTP exchanges: polls, the SSE request, the WebSocket upgrade, sends over HTTP.')];
  return out;
}
