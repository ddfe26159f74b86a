import { h, icon } from './dom';
import { inertText } from './format';

/** At most this many banners stay; older ones go first. */
const MAX_BANNERS = 4;

/** Inline, dismissible error banners (DidFail). The panel keeps running underneath. */
export class Banners {
  readonly el = h('div', { class: 'banners', id: 'banners', 'aria-live': 'assertive' });

  show(message: string): void {
    const close = h('button', { type: 'button', class: 'action banner-close', title: 'Dismiss', 'aria-label': 'Dismiss' }, icon('close'));
    const banner = h('div', { class: 'banner', role: 'alert' }, icon('error'), h('span', { class: 'banner-text' }, inertText(message.length > 2000 ? message.slice(0, 1999) + '…' : message)), close);
    close.addEventListener('click', () => banner.remove());
    this.el.appendChild(banner);
    while (this.el.children.length > MAX_BANNERS) this.el.firstElementChild?.remove();
  }
}
