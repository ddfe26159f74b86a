import type { StatsSummary } from '../shared/protocol';
import { h, replace } from './dom';
import { fmtBytes, fmtCount, fmtMs, fmtRate } from './format';

/** One line of measured numbers for the active session. */
export class StatsStrip {
  readonly el = h('section', { class: 'stats', id: 'stats', 'aria-label': 'Statistics' });

  constructor() {
    this.update(undefined);
  }

  update(s: StatsSummary | undefined): void {
    if (!s) {
      replace(this.el, h('span', { class: 'muted' }, 'Statistics appear once a session is running.'));
      return;
    }
    const item = (label: string, value: string, title: string, cls = ''): HTMLElement =>
      h('span', { class: `stat${cls ? ' ' + cls : ''}`, title }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value));
    const useless = `${fmtCount(s.uselessPolls)} of ${fmtCount(s.polls)} (${s.polls > 0 ? Math.round((s.uselessPolls / s.polls) * 100) : 0}%)`;
    const gaps = s.gapP50 !== undefined ? `${fmtMs(s.gapP50)} / ${s.gapP95 !== undefined ? fmtMs(s.gapP95) : '–'}` : '–';
    replace(
      this.el,
      item('In', `${fmtCount(s.messagesIn)} msg · ${fmtBytes(s.bytesIn)}`, 'Messages and payload bytes received'),
      item('Out', `${fmtCount(s.messagesOut)} msg · ${fmtBytes(s.bytesOut)}`, 'Messages and payload bytes sent'),
      item('Rate', `${fmtRate(s.rateIn, 'msg/s')} · ${fmtBytes(s.byteRateIn)}/s`, 'Incoming messages and bytes per second over the last few seconds'),
      item('Overhead', `${fmtBytes(s.overheadPerMessage)}/msg`, 'Average bytes on the wire per message that were not payload (HTTP headers, frame headers, SSE field names)'),
      // Only polling transports poll.
      s.polls > 0 ? item('Useless polls', useless, 'Polls that returned no new data', s.uselessPolls / s.polls > 0.5 ? 'warn' : '') : null,
      item('Reconnects', fmtCount(s.reconnects), 'Reconnect attempts', s.reconnects > 0 ? 'warn' : ''),
      item('Gap p50/p95', gaps, 'Gap between an answer and the next request (or reconnect delay), median and 95th percentile'),
      item('Errors', fmtCount(s.errors), 'Error events', s.errors > 0 ? 'bad' : ''),
    );
  }
}
