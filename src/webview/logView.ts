import type { EventRow } from '../shared/protocol';
import { action, textfield } from './controls';
import { h, icon, select, show } from './dom';
import { compileFilter, KINDS, type CompiledFilter, type DirFilter, type FilterSpec, type KindFilter } from './filter';
import { fmtCount } from './format';
import { LogList } from './logList';

const KIND_LABELS: Record<KindFilter, string> = { messages: 'Messages', http: 'HTTP', control: 'Control', errors: 'Errors' };

export interface LogViewEvents {
  select(row: EventRow, via: 'mouse' | 'keyboard'): void;
  filterChange(spec: FilterSpec): void;
  clear(): void;
  export(format: 'ndjson' | 'har'): void;
}

/**
 * The frame log with its toolbar and counters. Holds rows only (never payloads), at most
 * `cap` of them; the filtered view is the row array itself when no filter is set.
 */
export class LogView {
  readonly el: HTMLElement;
  private rows: EventRow[] = [];
  private view: EventRow[] = this.rows;
  private filter: CompiledFilter;
  private cap = 100_000;
  private localDropped = 0;
  private hostDropped = 0;
  private readonly list: LogList;
  private readonly filterField;
  private readonly filterError: HTMLSpanElement;
  private readonly counter: HTMLSpanElement;
  private readonly dropped: HTMLSpanElement;
  private readonly pauseBtn: HTMLButtonElement;
  private readonly jumpBtn: HTMLButtonElement;
  private readonly kindButtons = new Map<KindFilter, HTMLButtonElement>();
  private readonly empty: HTMLDivElement;
  private readonly sessionActions: HTMLButtonElement[];
  private filterTimer: number | undefined;
  private rowsBelow = 0;
  private shownFollowing: boolean | undefined;

  constructor(
    private spec: FilterSpec,
    private readonly on: LogViewEvents,
  ) {
    this.filter = compileFilter(spec);
    this.list = new LogList({
      select: (row, via) => on.select(row, via),
      followChange: () => this.updateFollow(),
      rendered: (below) => {
        this.rowsBelow = below;
        this.updateFollow();
      },
    });

    const dir = select<DirFilter>('filter-dir', 'Direction', [['all', 'All directions'], ['in', 'Incoming'], ['out', 'Outgoing']], spec.dir);
    dir.addEventListener('change', () => this.setSpec({ ...this.spec, dir: dir.value as DirFilter }));

    const kinds = h('div', { class: 'toggles', role: 'group', 'aria-label': 'Event kinds' });
    for (const k of KINDS) {
      const b = h('button', { type: 'button', class: 'toggle', id: `filter-kind-${k}`, 'aria-pressed': String(spec.kinds.includes(k)), title: `Show ${KIND_LABELS[k].toLowerCase()} (none pressed shows everything)` }, KIND_LABELS[k]);
      b.addEventListener('click', () => {
        const set = new Set(this.spec.kinds);
        if (set.has(k)) set.delete(k);
        else set.add(k);
        this.setSpec({ ...this.spec, kinds: KINDS.filter((x) => set.has(x)) });
      });
      this.kindButtons.set(k, b);
      kinds.appendChild(b);
    }

    this.filterField = textfield('filter-text', 'Filter text or /regex/', { placeholder: 'Filter text or /regex/', value: spec.text });
    this.filterField.classList.add('filter-text');
    const filterIcon = icon('filter');
    filterIcon.slot = 'content-before';
    this.filterField.appendChild(filterIcon);
    this.filterField.addEventListener('input', () => {
      if (this.filterTimer !== undefined) clearTimeout(this.filterTimer);
      this.filterTimer = window.setTimeout(() => {
        this.filterTimer = undefined;
        this.setSpec({ ...this.spec, text: this.filterField.value });
      }, 80);
    });
    this.filterError = h('span', { id: 'filter-error', class: 'inline-error', role: 'alert' });

    this.pauseBtn = action('log-pause', 'debug-pause', 'Pause auto-scroll');
    this.pauseBtn.addEventListener('click', () => {
      if (this.list.following) this.list.setFollowing(false, true);
      else this.jumpToLatest();
    });
    this.jumpBtn = h('button', { type: 'button', id: 'log-jump', class: 'jump-button', title: 'Scroll to the newest row and follow new rows' }, icon('arrow-circle-down'), 'Jump to latest');
    this.jumpBtn.addEventListener('click', () => this.jumpToLatest());
    const clear = action('log-clear', 'clear-all', 'Clear the log');
    clear.addEventListener('click', () => on.clear());
    const exportNdjson = action('log-export-ndjson', 'export', 'Export as NDJSON');
    exportNdjson.addEventListener('click', () => on.export('ndjson'));
    const exportHar = action('log-export-har', 'json', 'Export as HAR');
    exportHar.addEventListener('click', () => on.export('har'));
    this.sessionActions = [clear, exportNdjson, exportHar];

    this.counter = h('span', { id: 'log-count', class: 'muted' });
    this.dropped = h('span', { id: 'log-dropped', class: 'dropped', title: 'The oldest rows were dropped to keep the log within its cap (setting: log cap)' });
    this.empty = h('div', { class: 'log-empty muted', id: 'log-empty' });

    const header = h(
      'div',
      { class: 'row log-header', 'aria-hidden': 'true' },
      h('span', { class: 'cell c-time' }, 'Time'),
      h('span', { class: 'cell c-delta' }, 'Δ'),
      h('span', { class: 'cell c-dir' }),
      h('span', { class: 'cell c-type' }, 'Type'),
      h('span', { class: 'cell c-size' }, 'Size'),
      h('span', { class: 'cell c-id' }, 'ID'),
      h('span', { class: 'cell c-preview' }, 'Preview'),
    );

    this.el = h(
      'section',
      { class: 'log-pane', 'aria-label': 'Frame log' },
      h('div', { class: 'toolbar log-toolbar' }, dir, kinds, h('div', { class: 'filter-box' }, this.filterField, this.filterError), h('div', { class: 'toolbar-actions' }, this.pauseBtn, clear, exportNdjson, exportHar)),
      header,
      h('div', { class: 'log-body' }, this.list.el, this.empty, this.jumpBtn),
      h('div', { class: 'log-status' }, this.counter, this.dropped),
    );
    this.applyFilter();
    this.setSessionAvailable(false);
  }

  get selectedSeq(): number | undefined {
    return this.list.selectedSeq;
  }

  setCap(cap: number): void {
    this.cap = cap;
    this.trim();
    this.refresh();
  }

  setSessionAvailable(available: boolean): void {
    for (const b of this.sessionActions) b.disabled = !available;
  }

  /** Snapshot: replace everything. */
  reset(rows: EventRow[], hostDropped: number): void {
    this.rows = rows.slice();
    this.localDropped = 0;
    this.hostDropped = hostDropped;
    this.trim();
    this.rebuildView();
    if (this.list.selectedSeq !== undefined && this.list.indexOf(this.list.selectedSeq) < 0) this.list.setSelected(undefined);
  }

  append(rows: readonly EventRow[], hostDropped: number): void {
    this.hostDropped = hostDropped;
    const lastSeq = this.rows.length ? this.rows[this.rows.length - 1].seq : -1;
    const active = this.filter.active;
    for (const r of rows) {
      // Re-sent rows (a snapshot raced a batch) would show twice.
      if (r.seq <= lastSeq) continue;
      this.rows.push(r);
      if (active && this.filter.test(r)) this.view.push(r);
    }
    this.trim();
    this.refresh();
  }

  clear(): void {
    this.rows = [];
    this.localDropped = 0;
    this.hostDropped = 0;
    this.list.setSelected(undefined);
    this.rebuildView();
  }

  setSelected(seq: number | undefined): void {
    this.list.setSelected(seq);
  }

  focus(): void {
    this.list.el.focus();
  }

  /** For tests and the status line: rows kept and rows shown. */
  get counts(): { kept: number; shown: number } {
    return { kept: this.rows.length, shown: this.view.length };
  }

  private jumpToLatest(): void {
    this.list.setFollowing(true, false);
    this.list.layout();
  }

  private setSpec(spec: FilterSpec): void {
    this.spec = spec;
    this.applyFilter();
    this.on.filterChange(spec);
  }

  private applyFilter(): void {
    this.filter = compileFilter(this.spec);
    for (const [k, b] of this.kindButtons) b.setAttribute('aria-pressed', String(this.spec.kinds.includes(k)));
    this.filterError.textContent = this.filter.error ?? '';
    show(this.filterError, !!this.filter.error);
    this.filterField.invalid = !!this.filter.error;
    this.rebuildView();
  }

  private rebuildView(): void {
    this.view = this.filter.active ? this.rows.filter(this.filter.test) : this.rows;
    this.list.setItems(this.view);
    this.refresh();
  }

  /** Drops the oldest rows past the cap, from the rows and from the view. */
  private trim(): void {
    const excess = this.rows.length - this.cap;
    if (excess <= 0) return;
    this.rows.splice(0, excess);
    this.localDropped += excess;
    if (this.view !== this.rows) {
      const firstSeq = this.rows.length ? this.rows[0].seq : Infinity;
      let k = 0;
      while (k < this.view.length && this.view[k].seq < firstSeq) k++;
      if (k) this.view.splice(0, k);
    }
  }

  private refresh(): void {
    this.list.setItems(this.view);
    const kept = this.rows.length;
    const shown = this.view.length;
    this.counter.textContent = this.filter.active ? `${fmtCount(shown)} of ${fmtCount(kept)} rows` : `${fmtCount(kept)} rows`;
    const dropped = Math.max(this.hostDropped, this.localDropped);
    this.dropped.textContent = dropped > 0 ? `${fmtCount(dropped)} dropped by the cap` : '';
    show(this.dropped, dropped > 0);
    this.empty.textContent = kept === 0 ? 'No events yet. Connect, or use the demo server.' : shown === 0 ? 'No rows match the filter.' : '';
    show(this.empty, shown === 0);
    this.updateFollow();
  }

  /** Runs after every render (each scroll frame): touches the DOM only when something changed. */
  private updateFollow(): void {
    const following = this.list.following;
    if (following !== this.shownFollowing) {
      this.shownFollowing = following;
      this.pauseBtn.replaceChildren(icon(following ? 'debug-pause' : 'play'));
      this.pauseBtn.title = following ? 'Pause auto-scroll' : 'Resume auto-scroll';
      this.pauseBtn.setAttribute('aria-label', this.pauseBtn.title);
      this.pauseBtn.setAttribute('aria-pressed', String(!following));
    }
    // Only when there is something below to jump to.
    const jump = !following && this.rowsBelow > 0;
    if (jump === this.jumpBtn.hidden) show(this.jumpBtn, jump);
  }
}
