import type { Hint } from '../shared/hints';
import { h, icon, replace } from './dom';
import { fmtCount, inertText } from './format';

const SEVERITY_ICONS: Record<Hint['severity'], string> = { info: 'info', warning: 'warning', risk: 'error' };
const SEVERITY_LABELS: Record<Hint['severity'], string> = { info: 'Info', warning: 'Warning', risk: 'Risk' };

/** Transport trade-off hints for the active session, each with its numbers, why and what to do. */
export class HintsView {
  readonly el: HTMLElement;
  private readonly list = h('div', { class: 'hints-list', id: 'hints-list' });
  /** The number of hints; shown in the tab when the view sits in one (opts.header false). */
  readonly count = h('span', { class: 'count-badge', id: 'hints-count' });

  constructor(opts: { header?: boolean } = {}) {
    const header = opts.header === false ? null : h('div', { class: 'toolbar' }, icon('lightbulb'), h('span', { class: 'section-title' }, 'Hints'), this.count);
    this.el = h('section', { class: 'hints', 'aria-label': 'Hints' }, header, this.list);
    this.update([]);
  }

  update(hints: Hint[]): void {
    this.count.textContent = String(hints.length);
    if (!hints.length) {
      replace(this.list, h('div', { class: 'muted empty-hints' }, 'No hints yet. They appear as the session collects measurements: empty polls, overhead per message, missing SSE ids, heartbeats, reconnects, where the token travels.'));
      return;
    }
    const order: Record<Hint['severity'], number> = { risk: 0, warning: 1, info: 2 };
    replace(
      this.list,
      ...[...hints]
        .sort((a, b) => order[a.severity] - order[b.severity])
        .map((hint) => {
          const numbers = Object.entries(hint.numbers);
          return h(
            'article',
            { class: `hint hint-${hint.severity}`, 'data-hint': hint.id },
            h('div', { class: 'hint-head' }, h('span', { class: `codicon codicon-${SEVERITY_ICONS[hint.severity]} sev-${hint.severity}`, title: SEVERITY_LABELS[hint.severity], 'aria-label': SEVERITY_LABELS[hint.severity], role: 'img' }), h('span', { class: 'hint-message' }, inertText(hint.message))),
            numbers.length ? h('div', { class: 'hint-numbers' }, ...numbers.map(([k, v]) => h('span', { class: 'chip' }, inertText(`${k}: ${typeof v === 'number' ? (Number.isInteger(v) ? fmtCount(v) : v.toFixed(2)) : v}`)))) : null,
            hint.why ? h('div', { class: 'hint-why' }, h('strong', null, 'Why: '), inertText(hint.why)) : null,
            hint.suggestion ? h('div', { class: 'hint-suggestion' }, h('strong', null, 'Try: '), inertText(hint.suggestion)) : null,
          );
        }),
    );
  }
}
