import { h, icon, show } from './dom';
import type { SideTab } from './state';

export interface SidePaneParts {
  hints: { el: HTMLElement; count: HTMLElement };
  analysis: { el: HTMLElement };
}

/**
 * The bottom-right pane: Hints and Analysis as tabs (ARIA tablist; arrow keys move between
 * them). The maximize button gives this pane the bottom area's width and most of the
 * panel's height, for the Analysis tables.
 */
export class SidePane {
  readonly el: HTMLElement;
  private readonly tabs: Record<SideTab, HTMLButtonElement>;
  private readonly panels: Record<SideTab, HTMLElement>;
  private readonly spinner = icon('loading', 'codicon-modifier-spin');
  private readonly expand: HTMLButtonElement;
  private expanded = false;
  private current: SideTab;

  constructor(
    parts: SidePaneParts,
    tab: SideTab,
    private readonly on: { select(tab: SideTab): void; expand(expanded: boolean): void },
  ) {
    const tabButton = (id: SideTab, label: string, codicon: string, ...extra: HTMLElement[]): HTMLButtonElement => {
      const b = h('button', { type: 'button', class: 'tab side-tab', id: `side-tab-${id}`, role: 'tab', 'aria-controls': `side-panel-${id}` }, icon(codicon), ` ${label} `, ...extra);
      b.addEventListener('click', () => this.select(id, true));
      return b;
    };
    show(this.spinner, false);
    this.tabs = { hints: tabButton('hints', 'Hints', 'lightbulb', parts.hints.count), analysis: tabButton('analysis', 'Analysis', 'graph', this.spinner) };
    this.panels = {
      hints: h('div', { class: 'side-panel', id: 'side-panel-hints', role: 'tabpanel', 'aria-labelledby': 'side-tab-hints' }, parts.hints.el),
      analysis: h('div', { class: 'side-panel', id: 'side-panel-analysis', role: 'tabpanel', 'aria-labelledby': 'side-tab-analysis' }, parts.analysis.el),
    };
    this.expand = h('button', { type: 'button', class: 'action', id: 'side-expand', 'aria-pressed': 'false' }, icon('screen-full'));
    this.label(false);
    this.expand.addEventListener('click', () => this.setExpanded(!this.expanded));
    const list = h('div', { class: 'tabs side-tabs', role: 'tablist', 'aria-label': 'Hints and analysis' }, this.tabs.hints, this.tabs.analysis, h('span', { class: 'spacer' }), this.expand);
    list.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const next: SideTab = this.current === 'hints' ? 'analysis' : 'hints';
      this.select(next, true);
      this.tabs[next].focus();
      e.preventDefault();
    });
    this.el = h('section', { class: 'side', id: 'side' }, list, this.panels.hints, this.panels.analysis);
    this.current = tab;
    this.select(tab, false);
  }

  get tab(): SideTab {
    return this.current;
  }

  select(tab: SideTab, byUser = false): void {
    this.current = tab;
    for (const t of ['hints', 'analysis'] as const) {
      const active = t === tab;
      this.tabs[t].classList.toggle('active', active);
      this.tabs[t].setAttribute('aria-selected', String(active));
      this.tabs[t].tabIndex = active ? 0 : -1;
      show(this.panels[t], active);
    }
    if (byUser) this.on.select(tab);
  }

  setRunning(running: boolean): void {
    show(this.spinner, running);
  }

  /** Maximized: this pane takes the bottom area's full width and most of the panel's height. */
  setExpanded(expanded: boolean): void {
    this.expanded = expanded;
    this.expand.setAttribute('aria-pressed', String(expanded));
    this.label(expanded);
    this.expand.firstElementChild?.classList.replace(expanded ? 'codicon-screen-full' : 'codicon-screen-normal', expanded ? 'codicon-screen-normal' : 'codicon-screen-full');
    this.on.expand(expanded);
  }

  private label(expanded: boolean): void {
    const text = expanded ? 'Restore the log and the composer' : 'Maximize Hints and Analysis';
    this.expand.title = text;
    this.expand.setAttribute('aria-label', text);
  }
}
