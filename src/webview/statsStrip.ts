import type { StatsSummary } from '../shared/protocol';
import { h, show } from './dom';
import { fmtBytes, fmtCount, fmtMs, fmtRate } from './format';

interface Item {
  el: HTMLSpanElement;
  value: Text;
}

/**
 * One line of measured numbers for the active session. Built once: every batch of rows
 * brings new stats, and an update only rewrites the values (and classes) that changed.
 */
export class StatsStrip {
  readonly el = h('section', { class: 'stats', id: 'stats', 'aria-label': 'Statistics' });
  private readonly empty = h('span', { class: 'muted' }, 'Statistics appear once a session is running.');
  private items: Record<'in' | 'out' | 'rate' | 'overhead' | 'useless' | 'reconnects' | 'gaps' | 'errors', Item> | undefined;

  constructor() {
    this.update(undefined);
  }

  update(s: StatsSummary | undefined): void {
    if (!s) {
      if (this.items) this.el.replaceChildren(this.empty);
      else if (!this.empty.parentNode) this.el.appendChild(this.empty);
      this.items = undefined;
      return;
    }
    const items = this.items ?? this.build();
    const set = (item: Item, value: string, cls = ''): void => {
      if (item.value.data !== value) item.value.data = value;
      const className = `stat${cls ? ' ' + cls : ''}`;
      if (item.el.className !== className) item.el.className = className;
    };
    set(items.in, `${fmtCount(s.messagesIn)} msg · ${fmtBytes(s.bytesIn)}`);
    set(items.out, `${fmtCount(s.messagesOut)} msg · ${fmtBytes(s.bytesOut)}`);
    set(items.rate, `${fmtRate(s.rateIn, 'msg/s')} · ${fmtBytes(s.byteRateIn)}/s`);
    set(items.overhead, `${fmtBytes(s.overheadPerMessage)}/msg`);
    // Only polling transports poll.
    if (s.polls > 0) set(items.useless, `${fmtCount(s.uselessPolls)} of ${fmtCount(s.polls)} (${Math.round((s.uselessPolls / s.polls) * 100)}%)`, s.uselessPolls / s.polls > 0.5 ? 'warn' : '');
    if (items.useless.el.hidden !== !(s.polls > 0)) show(items.useless.el, s.polls > 0);
    set(items.reconnects, fmtCount(s.reconnects), s.reconnects > 0 ? 'warn' : '');
    set(items.gaps, s.gapP50 !== undefined ? `${fmtMs(s.gapP50)} / ${s.gapP95 !== undefined ? fmtMs(s.gapP95) : '–'}` : '–');
    set(items.errors, fmtCount(s.errors), s.errors > 0 ? 'bad' : '');
  }

  private build(): NonNullable<StatsStrip['items']> {
    const item = (label: string, title: string): Item => {
      const value = document.createTextNode('');
      return { el: h('span', { class: 'stat', title }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value)), value };
    };
    const items = {
      in: item('In', 'Messages and payload bytes received'),
      out: item('Out', 'Messages and payload bytes sent'),
      rate: item('Rate', 'Incoming messages and bytes per second over the last few seconds'),
      overhead: item('Overhead', 'Average bytes on the wire per message that were not payload (HTTP headers, frame headers, SSE field names)'),
      useless: item('Useless polls', 'Polls that returned no new data'),
      reconnects: item('Reconnects', 'Reconnect attempts'),
      gaps: item('Gap p50/p95', 'Gap between an answer and the next request (or reconnect delay), median and 95th percentile'),
      errors: item('Errors', 'Error events'),
    };
    this.el.replaceChildren(...Object.values(items).map((i) => i.el));
    this.items = items;
    return items;
  }
}
