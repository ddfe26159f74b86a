import type { SessionSummary } from '../shared/protocol';
import { TRANSPORT_LABELS } from './connectionForm';
import { h, icon, replace, show } from './dom';
import { fmtCount, inertText } from './format';

/** Session picker: shown when there is more than one session. Read-only (imported) ones carry a lock. */
export class SessionTabs {
  readonly el = h('nav', { class: 'session-tabs', id: 'sessions', role: 'tablist', 'aria-label': 'Sessions' });

  constructor(private readonly onSelect: (id: string) => void) {
    show(this.el, false);
  }

  update(sessions: readonly SessionSummary[], activeId: string | undefined): void {
    show(this.el, sessions.length > 1);
    replace(
      this.el,
      ...sessions.map((s) => {
        const active = s.id === activeId;
        const b = h(
          'button',
          { type: 'button', role: 'tab', class: `session-tab${active ? ' active' : ''}`, 'aria-selected': String(active), 'data-session': s.id, title: `${inertText(s.url)}\n${fmtCount(s.total)} events${s.readOnly ? '\nRead-only: imported recording' : ''}` },
          h('span', { class: `dot state-${s.state}`, 'aria-hidden': 'true' }),
          inertText(s.name),
          h('span', { class: 'muted' }, ` ${TRANSPORT_LABELS[s.transport]}`),
          s.readOnly ? h('span', { class: 'readonly-mark' }, icon('lock'), 'read-only') : null,
        );
        b.addEventListener('click', () => {
          if (!active) this.onSelect(s.id);
        });
        return b;
      }),
    );
  }
}
