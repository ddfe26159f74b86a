import type { EventRow } from '../shared/protocol';
import { h } from './dom';
import { fmtBytes, fmtClock, fmtMs } from './format';

/** Fixed row height (px), as VS Code's lists. CSS uses the same value via --row-height. */
export const ROW_HEIGHT = 22;
/** Rows rendered above and below the visible ones so fast scrolling shows no gaps. */
const OVERSCAN = 3;
/**
 * Browsers cap element heights (Chrome ~33.5M px, Firefox ~17.8M px). Past this, the scroll
 * range is scaled: scrollTop maps linearly onto the row index instead of 1 px = 1 px.
 */
const MAX_SCROLL_PX = 8_000_000;

const TYPE_ICONS: Partial<Record<EventRow['type'], string>> = {
  session: 'play',
  state: 'plug',
  timing: 'watch',
  close: 'close',
  reconnect: 'debug-restart',
  poll: 'sync',
  auth: 'key',
  redirect: 'arrow-swap',
  error: 'error',
  info: 'info',
  comment: 'comment',
  retry: 'history',
};

/** A text cell: its Text node is updated in place, and only exists while there is text. */
interface TextCell {
  el: HTMLSpanElement;
  text: Text | null;
}

interface RowView {
  el: HTMLDivElement;
  time: TextCell;
  delta: TextCell;
  dirIcon: HTMLSpanElement;
  type: TextCell;
  label: TextCell;
  size: TextCell;
  id: TextCell;
  preview: TextCell;
  /** Index in the view this element shows (-1: none), and the rows it was filled from. */
  index: number;
  /** translateY (px) last written. */
  y: number;
  row: EventRow | undefined;
  prev: EventRow | undefined;
}

export interface LogListEvents {
  select(row: EventRow, via: 'mouse' | 'keyboard'): void;
  followChange(following: boolean): void;
  /** After each render: how many rows of the view lie below the visible area. */
  rendered(rowsBelow: number): void;
}

/**
 * The virtualized frame log: a scroll viewport, a spacer that gives the scrollbar its full
 * height, and a small pool of absolutely positioned rows that are recycled as it scrolls.
 * Only the visible rows (+ overscan) exist in the DOM, whatever the number of items.
 */
export class LogList {
  readonly el: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly pool: RowView[] = [];
  private items: readonly EventRow[] = [];
  private selected: number | undefined;
  private _following = true;
  /** Set when the user paused explicitly: reaching the bottom does not resume then. */
  private pinned = false;
  /** scrollTop we set ourselves; the scroll event it causes is not the user's. */
  private expectTop = -1;
  private frame = 0;
  /** aria-setsize on the row elements: the number of rows in the view. */
  private setSize = '0';

  constructor(private readonly on: LogListEvents) {
    this.spacer = h('div', { class: 'log-spacer' });
    this.el = h('div', { id: 'log', class: 'log-viewport', tabindex: 0, role: 'listbox', 'aria-label': 'Frame log' }, this.spacer);
    this.el.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.el.addEventListener('wheel', (e) => {
      if (e.deltaY < 0 && this._following) this.setFollowing(false, false);
    }, { passive: true });
    this.el.addEventListener('click', (e) => this.onClick(e));
    this.el.addEventListener('keydown', (e) => this.onKey(e));
    // layout(), not render(): a following log stays at the bottom when the pane is resized.
    new ResizeObserver(() => this.layout()).observe(this.el);
  }

  get following(): boolean {
    return this._following;
  }

  get selectedSeq(): number | undefined {
    return this.selected;
  }

  /** Replace the item list (same array may be passed after it grew). Renders on the next frame. */
  setItems(items: readonly EventRow[]): void {
    this.items = items;
    this.schedule();
  }

  setSelected(seq: number | undefined): void {
    this.selected = seq;
    this.schedule();
  }

  /** Pause (pinned) or resume following the newest rows. */
  setFollowing(on: boolean, pinned: boolean): void {
    this.pinned = !on && pinned;
    if (this._following !== on) {
      this._following = on;
      this.on.followChange(on);
    }
    if (on) this.schedule();
  }

  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.layout();
    });
  }

  /** Synchronous layout + render (tests and keyboard use it; normal updates go through schedule). */
  layout(): void {
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    const m = this.metrics();
    this.spacer.style.height = `${m.spacerPx}px`;
    if (this._following) this.scrollTo(Math.max(0, m.spacerPx - m.vh));
    this.render();
  }

  /** Scrolls so that the row at `index` of the view is visible. */
  reveal(index: number): void {
    const m = this.metrics();
    const top = this.topIndex(this.el.scrollTop, m);
    if (index < top) this.scrollTo(this.scrollTopFor(index, m));
    else if (index + 1 > top + m.perPage) this.scrollTo(this.scrollTopFor(index + 1 - m.perPage, m));
    this.render();
  }

  /** Index of a seq in the view (rows arrive in seq order, so a binary search). */
  indexOf(seq: number): number {
    const a = this.items;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = a[mid].seq;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private metrics(): { n: number; vh: number; perPage: number; spacerPx: number; scrollRange: number; indexRange: number } {
    const n = this.items.length;
    const vh = this.el.clientHeight;
    const perPage = vh / ROW_HEIGHT;
    const spacerPx = Math.min(n * ROW_HEIGHT, MAX_SCROLL_PX);
    return { n, vh, perPage, spacerPx, scrollRange: Math.max(0, spacerPx - vh), indexRange: Math.max(0, n - perPage) };
  }

  /** Fractional index of the row at the top edge. Unscaled this is scrollTop / ROW_HEIGHT. */
  private topIndex(scrollTop: number, m: ReturnType<LogList['metrics']>): number {
    return m.scrollRange > 0 ? (Math.min(scrollTop, m.scrollRange) / m.scrollRange) * m.indexRange : 0;
  }

  private scrollTopFor(index: number, m: ReturnType<LogList['metrics']>): number {
    return m.indexRange > 0 ? (Math.max(0, Math.min(index, m.indexRange)) / m.indexRange) * m.scrollRange : 0;
  }

  private scrollTo(top: number): void {
    this.el.scrollTop = top;
    this.expectTop = this.el.scrollTop;
  }

  private onScroll(): void {
    const st = this.el.scrollTop;
    if (Math.abs(st - this.expectTop) >= 1) {
      this.expectTop = -1;
      const atBottom = st + this.el.clientHeight >= this.el.scrollHeight - ROW_HEIGHT / 2;
      if (!atBottom && this._following) this.setFollowing(false, false);
      else if (atBottom && !this._following && !this.pinned) this.setFollowing(true, false);
    }
    this.render();
  }

  private render(): void {
    const m = this.metrics();
    const st = this.el.scrollTop;
    const top = this.topIndex(st, m);
    const first = Math.max(0, Math.floor(top) - OVERSCAN);
    const last = Math.min(m.n, Math.ceil(top + m.perPage) + OVERSCAN);
    const count = Math.max(0, last - first);
    while (this.pool.length < count) this.pool.push(this.createRow());
    // Row i of the view always goes to element i mod pool size: a row that stays in range
    // (small scrolls, a few rows appended while following) keeps its element and text, and
    // only moves. Elements are out of visual order in the DOM: aria-posinset gives the order.
    const size = this.pool.length;
    for (let k = 0; k < size; k++) {
      const rv = this.pool[k];
      // The index this element shows, if any: the one in [first, last) congruent to k.
      const idx = first + ((k - (first % size) + size) % size);
      if (idx >= last) {
        if (!rv.el.hidden) rv.el.hidden = true;
        rv.index = -1;
        continue;
      }
      const row = this.items[idx];
      const prev = idx > 0 ? this.items[idx - 1] : undefined;
      if (rv.el.hidden) rv.el.hidden = false;
      // Unscaled, a row sits at its own offset in the content and scrolling never moves it.
      const y = m.spacerPx === m.n * ROW_HEIGHT ? idx * ROW_HEIGHT : st + (idx - top) * ROW_HEIGHT;
      if (rv.y !== y) {
        rv.y = y;
        rv.el.style.transform = `translateY(${y}px)`;
      }
      if (rv.index !== idx) {
        rv.index = idx;
        rv.el.setAttribute('aria-posinset', String(idx + 1));
      }
      if (rv.row !== row || rv.prev !== prev) this.fill(rv, row, prev);
      const sel = row.seq === this.selected;
      if (rv.el.classList.contains('selected') !== sel) {
        rv.el.classList.toggle('selected', sel);
        rv.el.setAttribute('aria-selected', String(sel));
      }
    }
    const setSize = String(m.n);
    if (this.setSize !== setSize) {
      this.setSize = setSize;
      for (const rv of this.pool) rv.el.setAttribute('aria-setsize', setSize);
    }
    const selView = this.pool.find((rv) => rv.index >= 0 && rv.row?.seq === this.selected);
    if (selView) this.el.setAttribute('aria-activedescendant', selView.el.id);
    else this.el.removeAttribute('aria-activedescendant');
    this.on.rendered(Math.max(0, Math.floor(m.n - (top + m.perPage) + 0.01)));
  }

  private createRow(): RowView {
    const cell = (cls: string): TextCell => ({ el: h('span', { class: cls }), text: null });
    const rv: RowView = {
      el: h('div', { class: 'row', role: 'option', id: `log-row-${this.pool.length}`, 'aria-selected': 'false', 'aria-setsize': this.setSize }),
      time: cell('cell c-time'),
      delta: cell('cell c-delta'),
      dirIcon: h('span', { class: 'cell c-dir codicon', 'aria-hidden': 'true' }),
      type: cell('t-type'),
      label: cell('t-label'),
      size: cell('cell c-size'),
      id: cell('cell c-id'),
      preview: cell('cell c-preview'),
      index: -1,
      y: NaN,
      row: undefined,
      prev: undefined,
    };
    rv.el.append(rv.time.el, rv.delta.el, rv.dirIcon, h('span', { class: 'cell c-type' }, rv.type.el, rv.label.el), rv.size.el, rv.id.el, rv.preview.el);
    this.el.appendChild(rv.el);
    return rv;
  }

  /**
   * Fills a row element. Only what differs from what it shows is written: each write of
   * text, class or title costs style and layout work for that cell, and consecutive rows
   * mostly share type, label, size and direction. Text goes in as Text node data (inert).
   */
  private fill(rv: RowView, row: EventRow, prev: EventRow | undefined): void {
    rv.row = row;
    rv.prev = prev;
    const el = rv.el;
    el.dataset.seq = String(row.seq);
    const cls = `row${row.error || row.type === 'error' ? ' error' : ''}${row.seq === this.selected ? ' selected' : ''}`;
    if (el.className !== cls) el.className = cls;
    setText(rv.time, fmtClock(row.t));
    setText(rv.delta, prev ? `+${fmtMs(row.t - prev.t)}` : '');
    const dirIcon = row.type === 'error' ? 'error' : row.dir === 'in' ? 'arrow-down' : row.dir === 'out' ? 'arrow-up' : TYPE_ICONS[row.type] ?? 'circle-small';
    const iconCls = `cell c-dir codicon codicon-${dirIcon} dir-${row.dir || 'none'}`;
    if (rv.dirIcon.className !== iconCls) rv.dirIcon.className = iconCls;
    setTitle(rv.dirIcon, row.dir === 'in' ? 'incoming' : row.dir === 'out' ? 'outgoing' : row.type);
    setText(rv.type, row.type);
    setText(rv.label, row.label && row.label !== row.type ? row.label : '');
    setText(rv.size, row.size >= 0 ? fmtBytes(row.size) : '');
    setText(rv.id, row.id ?? '');
    setTitle(rv.id.el, row.id !== undefined ? `SSE id ${row.id}` : '');
    setText(rv.preview, row.preview);
    setTitle(rv.preview.el, row.preview);
  }

  private onClick(e: MouseEvent): void {
    const rowEl = (e.target as Element).closest('.row');
    const rv = rowEl && this.pool.find((p) => p.el === rowEl && p.index >= 0);
    if (!rv?.row) return;
    this.el.focus({ preventScroll: true });
    if (rv.row !== this.items[this.items.length - 1] && this._following) this.setFollowing(false, false);
    this.selectRow(rv.row, 'mouse');
  }

  private selectRow(row: EventRow, via: 'mouse' | 'keyboard'): void {
    this.selected = row.seq;
    this.render();
    this.on.select(row, via);
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.items.length;
    if (!n) return;
    const m = this.metrics();
    const page = Math.max(1, Math.floor(m.perPage) - 1);
    let idx = this.selected !== undefined ? this.indexOf(this.selected) : -1;
    const top = this.topIndex(this.el.scrollTop, m);
    let next: number;
    switch (e.key) {
      case 'ArrowDown':
        next = idx < 0 ? Math.ceil(top) : idx + 1;
        break;
      case 'ArrowUp':
        next = idx < 0 ? Math.floor(top + m.perPage) - 1 : idx - 1;
        break;
      case 'PageDown':
        next = (idx < 0 ? Math.ceil(top) : idx) + page;
        break;
      case 'PageUp':
        next = (idx < 0 ? Math.ceil(top) : idx) - page;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = n - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    idx = Math.max(0, Math.min(n - 1, next));
    // Moving through the log is reading it: stop new rows from scrolling the selection away.
    if (idx < n - 1 && this._following) this.setFollowing(false, false);
    this.reveal(idx);
    this.selectRow(this.items[idx], 'keyboard');
  }
}

function setText(cell: TextCell, value: string): void {
  if (!value) {
    cell.text?.remove();
    cell.text = null;
  } else if (!cell.text) cell.text = cell.el.appendChild(document.createTextNode(value));
  else if (cell.text.data !== value) cell.text.data = value;
}

function setTitle(el: HTMLElement, value: string): void {
  if (el.title !== value) el.title = value;
}
