/**
 * The Analysis view: buttons that ask the host for an auth matrix or a transport comparison,
 * and their results: the matrix as a table, the comparison as two bar charts (bytes per
 * message split into payload and overhead; latency p50 and p95) and a table of every metric.
 *
 * Charts are plain elements whose widths are set through element.style (allowed by the CSP,
 * unlike style attributes in markup); colours come from --vscode-charts-* in styles.css.
 * Every string from the host goes through textContent (h()) after inertText.
 */
import type { TransportKind } from '../shared/events';
import type { AnalysisKind, AuthMatrixParams, AuthMatrixRowView, AuthMatrixView, AuthOutcomeView, CompareParams, ComparisonView, TransportComparisonView } from '../shared/protocol';
import { isAuthMatrixParams, isCompareParams } from '../shared/protocol';
import { TRANSPORT_LABELS as TRANSPORT_NAMES } from './connectionForm';
import { button, type VscodeButton } from './controls';
import { h, icon, replace, select, show } from './dom';
import { fmtBytes, fmtCount, inertText } from './format';
import { COMPARE_SECONDS, type AnalysisPrefs, type CompareSeconds } from './state';

const TRANSPORT_ORDER: readonly TransportKind[] = ['ws', 'sse', 'long-poll', 'poll'];

const OUTCOME_ICONS: Record<AuthOutcomeView, string> = { accepted: 'pass', rejected: 'error', failed: 'warning', inconclusive: 'question', skipped: 'circle-slash' };
const OUTCOME_TITLES: Record<AuthOutcomeView, string> = {
  accepted: 'The server accepted the credential here',
  rejected: 'The server refused the request (for the control row: as it should)',
  failed: 'An error that says nothing about the credential (refused connection, 404, protocol error)',
  inconclusive: 'No verdict within the time limit',
  skipped: 'Needs an input that was not given, or the transport cannot carry it',
};
const SEVERITY_ICONS = { risk: 'error', warning: 'warning', info: 'info' } as const;

export interface AnalysisEvents {
  runAuthMatrix(params: AuthMatrixParams): void;
  compare(params: CompareParams): void;
  /** The connection bar's endpoint, or why it cannot be used. */
  formTarget(): AuthMatrixParams | string;
  /** The choices changed (persist them). */
  change(prefs: AnalysisPrefs): void;
}

/** A number as the tables show it: whole numbers with separators, others with one decimal. */
function num(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  if (Number.isInteger(n)) return fmtCount(n);
  const [whole, tenths] = Math.abs(n).toFixed(1).split('.');
  return `${n < 0 ? '-' : ''}${fmtCount(Number(whole))}.${tenths}`;
}

/** Milliseconds as the analysis measures them (to a tenth). */
function ms(n: number | undefined): string {
  return n === undefined ? '–' : `${num(n)} ms`;
}

function bytesPer(n: number | undefined): string {
  if (n === undefined) return '–';
  return n < 1024 ? `${n.toFixed(n < 100 && !Number.isInteger(n) ? 1 : 0)} B` : fmtBytes(n);
}

export class AnalysisView {
  readonly el: HTMLElement;
  private readonly target: HTMLSelectElement;
  private readonly transport: HTMLSelectElement;
  private readonly seconds: HTMLSelectElement;
  private readonly runMatrix: VscodeButton;
  private readonly runCompare: VscodeButton;
  private readonly status = h('span', { class: 'analysis-status', id: 'analysis-status', role: 'status', 'aria-live': 'polite' });
  private readonly error = h('div', { class: 'form-errors', id: 'analysis-error', role: 'alert' });
  private readonly empty = h(
    'div',
    { class: 'muted analysis-empty', id: 'analysis-empty' },
    'Run the auth matrix to see which placements of a token the server accepts and what each one risks, or compare the four transports side by side on the same message source. ',
    'For your own endpoints, also see the commands "Realtime Inspector: Run Auth Matrix…" and "Compare Transports…".',
  );
  private readonly matrixBox = h('section', { class: 'analysis-block', id: 'auth-matrix', 'aria-label': 'Auth matrix' });
  private readonly compareBox = h('section', { class: 'analysis-block', id: 'comparison', 'aria-label': 'Transport comparison' });
  private running: { kind: AnalysisKind; title: string } | null = null;

  constructor(
    private readonly prefs: AnalysisPrefs,
    private readonly on: AnalysisEvents,
  ) {
    this.target = select(
      'am-target',
      'Auth matrix target',
      [
        ['demo', 'Demo server'],
        ['form', 'Connection bar URL'],
      ],
      prefs.target,
    );
    this.transport = select(
      'am-transport',
      'Auth matrix transport (demo server)',
      TRANSPORT_ORDER.map((t) => [t, TRANSPORT_NAMES[t]] as const),
      prefs.transport,
    );
    this.seconds = select(
      'cmp-seconds',
      'Comparison duration per transport',
      COMPARE_SECONDS.map((s) => [String(s), `${s} s`] as const),
      String(prefs.seconds),
    );
    this.runMatrix = button('am-run', 'Run auth matrix', { icon: 'shield', secondary: true, title: 'Try every placement of the token (query, bearer, cookie, subprotocol, first message, short-lived token) plus a no-credential control' });
    this.runCompare = button('cmp-run', 'Compare transports', { icon: 'graph', secondary: true, title: 'Run short polling, long polling, SSE and WebSocket on the demo server for the same time and measure each' });
    this.target.addEventListener('change', () => {
      this.prefs.target = this.target.value === 'form' ? 'form' : 'demo';
      this.syncControls();
      this.on.change(this.prefs);
    });
    this.transport.addEventListener('change', () => {
      this.prefs.transport = this.transport.value as TransportKind;
      this.on.change(this.prefs);
    });
    this.seconds.addEventListener('change', () => {
      this.prefs.seconds = Number(this.seconds.value) as CompareSeconds;
      this.on.change(this.prefs);
    });
    this.runMatrix.addEventListener('click', () => this.requestMatrix());
    this.runCompare.addEventListener('click', () => this.requestCompare());
    show(this.error, false);
    show(this.matrixBox, false);
    show(this.compareBox, false);

    this.el = h(
      'section',
      { class: 'analysis', id: 'analysis', 'aria-label': 'Analysis' },
      h(
        'div',
        { class: 'analysis-controls' },
        h('div', { class: 'analysis-group' }, this.target, this.transport, this.runMatrix),
        h('div', { class: 'analysis-group' }, this.seconds, this.runCompare),
        this.status,
      ),
      this.error,
      this.empty,
      this.compareBox,
      this.matrixBox,
    );
    this.syncControls();
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  setRunning(running: { kind: AnalysisKind; title: string } | null): void {
    this.running = running;
    replace(this.status, ...(running ? [icon('loading', 'codicon-modifier-spin'), ` ${inertText(running.title)}…`] : []));
    this.syncControls();
  }

  showAuthMatrix(v: AuthMatrixView): void {
    show(this.empty, false);
    show(this.matrixBox, true);
    const head = h(
      'h4',
      { class: 'analysis-title' },
      icon('shield'),
      `Auth matrix · ${TRANSPORT_NAMES[v.transport]}`,
      h('span', { class: 'analysis-sub mono', id: 'auth-matrix-url' }, inertText(v.url)),
      v.finishedAt ? h('span', { class: 'analysis-sub' }, timeOf(v.finishedAt)) : null,
    );
    const table = h(
      'table',
      { class: 'analysis-table auth-table', id: 'auth-matrix-table' },
      h('thead', null, h('tr', null, ...['Placement', 'Carrier', 'Outcome', 'How the server said so', 'Time to verdict', 'Risk'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, ...v.rows.map((r) => this.matrixRow(r))),
    );
    const counts = new Map<AuthOutcomeView, number>();
    for (const r of v.rows) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
    const summary = h('div', { class: 'muted analysis-summary', id: 'auth-matrix-summary' }, [...counts].map(([k, n]) => `${n} ${k}`).join(' · ') || 'No rows.');
    replace(this.matrixBox, head, summary, h('div', { class: 'table-scroll' }, table));
  }

  private matrixRow(r: AuthMatrixRowView): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-placement': r.placement, class: `outcome-row-${r.outcome}` },
      h('th', { scope: 'row', class: 'mono' }, r.placement === 'none' ? 'none (control)' : r.placement),
      h('td', null, inertText(r.carrier)),
      h('td', { class: 'outcome-cell' }, h('span', { class: `outcome outcome-${r.outcome}`, title: OUTCOME_TITLES[r.outcome] }, icon(OUTCOME_ICONS[r.outcome]), r.outcome)),
      h(
        'td',
        { class: 'evidence' },
        inertText(r.evidence),
        r.unauthenticatedMs !== undefined ? h('div', { class: 'muted' }, `open unauthenticated for ${ms(r.unauthenticatedMs)}`) : null,
      ),
      h('td', { class: 'num' }, ms(r.timeMs)),
      h('td', { class: 'risk' }, inertText(r.risk)),
    );
  }

  showComparison(v: ComparisonView): void {
    show(this.empty, false);
    show(this.compareBox, true);
    const rows = [...v.rows].sort((a, b) => TRANSPORT_ORDER.indexOf(a.transport) - TRANSPORT_ORDER.indexOf(b.transport));
    const head = h(
      'h4',
      { class: 'analysis-title' },
      icon('graph'),
      'Transport comparison',
      h(
        'span',
        { class: 'analysis-sub', id: 'comparison-summary' },
        `${rows.length} transport${rows.length === 1 ? '' : 's'} · ${(v.durationMs / 1000).toFixed(1)} s each · ${v.mode} · short-poll interval ${fmtCount(v.intervalMs)} ms`,
      ),
      v.startedAt ? h('span', { class: 'analysis-sub' }, timeOf(v.startedAt)) : null,
    );
    const failed = rows.filter((r) => !r.ok);
    replace(
      this.compareBox,
      head,
      // Charts beside the table when there is room, above it otherwise.
      h('div', { class: 'comparison-body' }, h('div', { class: 'charts' }, bytesChart(rows), latencyChart(rows)), h('div', { class: 'table-scroll' }, comparisonTable(rows))),
      failed.length ? h('div', { class: 'comparison-errors', id: 'comparison-errors' }, ...failed.map((r) => h('div', { class: 'error-text' }, icon('error'), ` ${TRANSPORT_NAMES[r.transport]}: ${inertText(r.error ?? 'failed')}`))) : null,
      v.notes.length ? h('ul', { class: 'analysis-notes', id: 'comparison-notes' }, ...v.notes.map((n) => h('li', null, inertText(n)))) : null,
    );
  }

  private syncControls(): void {
    const busy = this.running !== null;
    this.runMatrix.disabled = busy;
    this.runCompare.disabled = busy;
    // The connection bar names its own transport.
    show(this.transport, this.prefs.target === 'demo');
  }

  private fail(message: string): void {
    replace(this.error, h('div', null, icon('error'), ' ', message));
    show(this.error, true);
  }

  private requestMatrix(): void {
    if (this.running) return;
    show(this.error, false);
    const params: AuthMatrixParams | string = this.prefs.target === 'demo' ? { transport: this.prefs.transport } : this.on.formTarget();
    if (typeof params === 'string') return this.fail(params);
    // The host drops what fails its guard; saying why here is kinder.
    if (!isAuthMatrixParams(params)) return this.fail('The URL or token in the connection bar cannot be used for the auth matrix (the URL must be http(s) or ws(s), the token one line).');
    this.on.runAuthMatrix(params);
  }

  private requestCompare(): void {
    if (this.running) return;
    show(this.error, false);
    const params: CompareParams = { seconds: this.prefs.seconds };
    if (isCompareParams(params)) this.on.compare(params);
  }
}

function timeOf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `at ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One labelled chart: a caption, a legend, and a row per transport. */
function chart(id: string, caption: string, legend: Array<[string, string]>, rows: HTMLElement[]): HTMLElement {
  return h(
    'figure',
    { class: 'chart', id },
    h('figcaption', null, h('span', { class: 'chart-caption' }, caption), h('span', { class: 'legend' }, ...legend.map(([cls, label]) => h('span', { class: 'legend-item' }, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), label)))),
    h('div', { class: 'chart-rows' }, ...rows),
  );
}

/** A bar segment `value / max` of the track wide. */
function segment(cls: string, value: number, max: number, title: string): HTMLElement {
  const el = h('span', { class: `bar ${cls}`, title });
  el.style.width = `${max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0}%`;
  return el;
}

function chartRow(t: TransportKind, track: HTMLElement, value: string, cls = ''): HTMLElement {
  track.setAttribute('aria-hidden', 'true');
  return h('div', { class: `chart-row${cls ? ' ' + cls : ''}`, 'data-transport': t }, h('span', { class: 'chart-label' }, TRANSPORT_NAMES[t]), track, h('span', { class: 'chart-value' }, value));
}

function bytesChart(rows: TransportComparisonView[]): HTMLElement {
  const max = Math.max(0, ...rows.map((r) => (r.ok ? (r.bytesPerMessage ?? 0) : 0)));
  return chart(
    'chart-bytes',
    'Bytes on the wire per message',
    [
      ['payload', 'payload'],
      ['overhead', 'overhead (headers, framing, empty polls)'],
    ],
    rows.map((r) => {
      if (!r.ok || r.bytesPerMessage === undefined) return chartRow(r.transport, h('span', { class: 'track' }), r.ok ? 'no messages' : 'failed', 'no-data');
      const payload = r.payloadBytesPerMessage ?? 0;
      const overhead = r.overheadBytesPerMessage ?? Math.max(0, r.bytesPerMessage - payload);
      const track = h('span', { class: 'track stacked' }, segment('payload', payload, max, `payload ${bytesPer(payload)}`), segment('overhead', overhead, max, `overhead ${bytesPer(overhead)}`));
      // The legend names the two parts; the table below has every number.
      return chartRow(r.transport, track, `${bytesPer(r.bytesPerMessage)} = ${bytesPer(payload)} + ${bytesPer(overhead)}`);
    }),
  );
}

function latencyChart(rows: TransportComparisonView[]): HTMLElement {
  const max = Math.max(0, ...rows.map((r) => (r.ok ? (r.latencyMs.p95 ?? r.latencyMs.p50 ?? 0) : 0)));
  return chart(
    'chart-latency',
    'Latency from the server’s send time',
    [
      ['p50', 'p50 (median)'],
      ['p95', 'p95'],
    ],
    rows.map((r) => {
      const { p50, p95 } = r.latencyMs;
      if (!r.ok || p50 === undefined) return chartRow(r.transport, h('span', { class: 'track' }), r.ok ? 'no samples' : 'failed', 'no-data');
      const track = h('span', { class: 'track pair' }, segment('p50', p50, max, `p50 ${ms(p50)}`), segment('p95', p95 ?? p50, max, `p95 ${ms(p95 ?? p50)}`));
      return chartRow(r.transport, track, `${num(p50)} · ${ms(p95)}`);
    }),
  );
}

type Metric = [label: string, title: string, cell: (r: TransportComparisonView) => string | HTMLElement, warn?: (r: TransportComparisonView) => boolean];

function comparisonTable(rows: TransportComparisonView[]): HTMLTableElement {
  const dist3 = (r: TransportComparisonView): string => (r.latencyMs.samples === 0 ? '–' : `${num(r.latencyMs.p50)} / ${num(r.latencyMs.p95)} / ${num(r.latencyMs.p99)}`);
  const metrics: Metric[] = [
    ['Messages delivered', 'Distinct source messages received (by their "seq")', (r) => num(r.delivered)],
    ['Missed (seq gaps)', 'Source messages never received: gaps between the lowest and highest "seq" seen', (r) => num(r.missed), (r) => r.missed > 0],
    ['Latency p50 / p95 / p99 (ms)', 'Receive time minus the payload\'s "ts"', dist3],
    ['Requests (useless)', 'HTTP requests for the channel; in brackets those that brought nothing new', (r) => `${num(r.requests)} (${num(r.uselessRequests)})`, (r) => r.requests > 0 && r.uselessRequests / r.requests > 0.5],
    ['Bytes per message', 'Everything the channel put on the wire, both directions, divided by the messages delivered', (r) => bytesPer(r.bytesPerMessage)],
    ['  payload + overhead', 'The split of bytes per message', (r) => (r.bytesPerMessage === undefined ? '–' : `${bytesPer(r.payloadBytesPerMessage)} + ${bytesPer(r.overheadBytesPerMessage)}`)],
    ['Reconnects', 'Reconnect attempts during the run', (r) => num(r.reconnects), (r) => r.reconnects > 0],
    ['Gap p50 / p95 (ms)', 'Time nobody was listening: between an answer and the next request, or a reconnect delay', (r) => (r.gapMs.samples === 0 ? '–' : `${num(r.gapMs.p50)} / ${num(r.gapMs.p95)}`)],
    ['Connections', 'TCP connections opened', (r) => num(r.connections)],
  ];
  if (rows.some((r) => r.sends)) {
    metrics.push(['Sends (bytes per send)', 'Messages sent the other way during the run', (r) => (r.sends ? `${num(r.sends.messages)}${r.sends.failed ? ` +${num(r.sends.failed)} failed` : ''} (${bytesPer(r.sends.bytesPerSend)})` : '–')]);
  }
  metrics.push(['Hints', 'Trade-off hints for this transport, by severity (hover for the messages)', hintCounts]);
  return h(
    'table',
    { class: 'analysis-table comparison-table', id: 'comparison-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Metric'),
        ...rows.map((r) => h('th', { scope: 'col', class: `num${r.ok ? '' : ' failed'}`, 'data-transport': r.transport, title: inertText(r.url) }, r.ok ? null : icon('error'), TRANSPORT_NAMES[r.transport])),
      ),
    ),
    h(
      'tbody',
      null,
      ...metrics.map(([label, title, cell, warn]) =>
        h('tr', null, h('th', { scope: 'row', title, class: label.startsWith('  ') ? 'sub-metric' : '' }, label.trim()), ...rows.map((r) => h('td', { class: `num${warn?.(r) ? ' warn' : ''}`, 'data-transport': r.transport }, cell(r)))),
      ),
    ),
  );
}

function hintCounts(r: TransportComparisonView): HTMLElement {
  if (!r.hints.length) return h('span', { class: 'muted' }, 'none');
  const el = h('span', { class: 'hint-counts', title: r.hints.map((x) => `${x.severity}: ${inertText(x.message)}`).join('\n') });
  const words: string[] = [];
  for (const sev of ['risk', 'warning', 'info'] as const) {
    const n = r.hints.filter((x) => x.severity === sev).length;
    if (!n) continue;
    words.push(`${n} ${sev === 'risk' ? (n === 1 ? 'risk' : 'risks') : sev === 'warning' ? (n === 1 ? 'warning' : 'warnings') : 'info'}`);
    el.append(h('span', { class: `hint-count sev-${sev}`, 'data-severity': sev }, icon(SEVERITY_ICONS[sev]), String(n)));
  }
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', words.join(', '));
  return el;
}
