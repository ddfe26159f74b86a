/**
 * The @vscode-elements components this panel uses, imported one by one so the bundle only
 * carries these. Selects are native <select> elements (see dom.ts): synchronous values and
 * ~60 KB less than vscode-single-select. Multi-line inputs are native <textarea> elements:
 * vscode-textarea draws its resize handle from a data: image, which the panel's CSP
 * (default-src 'none', no img-src) blocks and reports as a violation.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import { h, icon } from './dom';

export type { VscodeButton, VscodeCheckbox, VscodeTextfield };

export function button(id: string, label: string, opts: { icon?: string; secondary?: boolean; title?: string } = {}): VscodeButton {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.textContent = label;
  if (opts.icon) b.icon = opts.icon;
  if (opts.secondary) b.secondary = true;
  if (opts.title) b.title = opts.title;
  return b;
}

export function textfield(id: string, label: string, opts: { placeholder?: string; value?: string; password?: boolean; title?: string } = {}): VscodeTextfield {
  const t = document.createElement('vscode-textfield');
  t.id = id;
  t.label = label;
  t.setAttribute('aria-label', label);
  if (opts.password) t.type = 'password';
  if (opts.placeholder) t.placeholder = opts.placeholder;
  if (opts.title) t.title = opts.title;
  t.value = opts.value ?? '';
  return t;
}

export function textarea(id: string, label: string, opts: { placeholder?: string; value?: string; rows?: number } = {}): HTMLTextAreaElement {
  const t = h('textarea', { id, class: 'textarea', 'aria-label': label, rows: opts.rows ?? 3, spellcheck: 'false', placeholder: opts.placeholder });
  t.value = opts.value ?? '';
  return t;
}

/** Error styling for native inputs (vscode-elements controls have their own `invalid`). */
export function setInvalid(el: HTMLElement, invalid: boolean): void {
  if (invalid) el.setAttribute('aria-invalid', 'true');
  else el.removeAttribute('aria-invalid');
}

export function checkbox(id: string, label: string, checked: boolean): VscodeCheckbox {
  const c = document.createElement('vscode-checkbox');
  c.id = id;
  c.label = label;
  c.checked = checked;
  return c;
}

/** A toolbar action like VS Code's: a borderless icon button with a tooltip. */
export function action(id: string, codicon: string, title: string): HTMLButtonElement {
  return h('button', { id, class: 'action', type: 'button', title, 'aria-label': title }, icon(codicon));
}

/** A labelled field: caption above the control. */
export function field(caption: string, control: HTMLElement, extraClass = ''): HTMLDivElement {
  return h('div', { class: `field${extraClass ? ' ' + extraClass : ''}` }, h('span', { class: 'caption' }, caption), control);
}
