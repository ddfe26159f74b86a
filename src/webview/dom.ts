/**
 * Tiny DOM helpers. Data only ever reaches the DOM through text nodes and setAttribute on
 * non-event attributes: there is no innerHTML anywhere in the webview.
 */

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, ...children);
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    // Event handler attributes would be script: never set from here (and the CSP would block them anyway).
    if (/^on/i.test(name)) throw new Error(`refusing to set event attribute ${name}`);
    if (value === false || value === null || value === undefined) el.removeAttribute(name);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

/** A codicon glyph (decorative). */
export function icon(name: string, extraClass = ''): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}${extraClass ? ' ' + extraClass : ''}`, 'aria-hidden': 'true' });
}

/** A plain <select> styled like VS Code's dropdown (synchronous value, no shadow DOM). */
export function select<V extends string>(id: string, label: string, options: ReadonlyArray<readonly [V, string]>, value: V): HTMLSelectElement {
  const el = h('select', { id, class: 'dropdown', 'aria-label': label });
  for (const [v, text] of options) el.appendChild(h('option', { value: v }, text));
  el.value = value;
  return el;
}

export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}
