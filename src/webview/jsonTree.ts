import { h } from './dom';
import { inertText } from './format';

/** Children rendered per batch; "show more" adds the next batch. */
const BATCH = 500;

/**
 * A collapsible JSON tree from DOM nodes and text only. Children are built when a node is
 * first opened, so a 100,000-element array costs nothing until someone expands it.
 */
export function jsonTree(value: unknown, openDepth = 2): HTMLElement {
  const root = h('div', { class: 'json-tree', role: 'tree' });
  root.appendChild(node(undefined, value, 0, openDepth));
  return root;
}

function node(key: string | undefined, value: unknown, depth: number, openDepth: number): HTMLElement {
  const keyEl = key !== undefined ? h('span', { class: 'j-key' }, inertText(key), h('span', { class: 'j-punct' }, ': ')) : null;
  if (value === null || typeof value !== 'object') return h('div', { class: 'j-leaf', role: 'treeitem' }, keyEl, leaf(value));
  const isArray = Array.isArray(value);
  const entries = isArray ? null : Object.keys(value as object);
  const count = isArray ? (value as unknown[]).length : entries!.length;
  const summary = h('summary', null, keyEl, h('span', { class: 'j-punct' }, isArray ? `[${count}]` : `{${count}}`), count === 0 ? null : h('span', { class: 'j-preview' }, ' ', preview(value)));
  const details = h('details', { class: 'j-node', role: 'treeitem' }, summary);
  const body = h('div', { class: 'j-children', role: 'group' });
  details.appendChild(body);
  let built = 0;
  const build = (): void => {
    const end = Math.min(count, built + BATCH);
    const frag = document.createDocumentFragment();
    for (let i = built; i < end; i++) {
      if (isArray) frag.appendChild(node(String(i), (value as unknown[])[i], depth + 1, openDepth));
      else frag.appendChild(node(entries![i], (value as Record<string, unknown>)[entries![i]], depth + 1, openDepth));
    }
    built = end;
    body.querySelector(':scope > .j-more')?.remove();
    body.appendChild(frag);
    if (built < count) {
      const more = h('button', { type: 'button', class: 'link-button j-more' }, `Show ${Math.min(BATCH, count - built)} more of ${count - built} remaining`);
      more.addEventListener('click', build);
      body.appendChild(more);
    }
  };
  details.addEventListener('toggle', () => {
    if (details.open && built === 0 && count > 0) build();
  });
  if (depth < openDepth && count > 0) {
    build();
    details.open = true;
  }
  return details;
}

function leaf(v: unknown): HTMLElement {
  if (typeof v === 'string') return h('span', { class: 'j-string' }, inertText(JSON.stringify(v)));
  if (typeof v === 'number') return h('span', { class: 'j-number' }, String(v));
  if (typeof v === 'boolean') return h('span', { class: 'j-boolean' }, String(v));
  if (v === null) return h('span', { class: 'j-null' }, 'null');
  return h('span', { class: 'j-null' }, String(v));
}

/** A one-line preview that stops after `max` characters: never stringifies a whole big subtree. */
function preview(value: unknown, max = 80): string {
  let out = '';
  const walk = (x: unknown): boolean => {
    if (x === null || typeof x !== 'object') {
      out += typeof x === 'string' ? JSON.stringify(x.length > max ? x.slice(0, max) : x) : String(x);
    } else if (Array.isArray(x)) {
      out += '[';
      for (let i = 0; i < x.length; i++) {
        if (i) out += ',';
        if (!walk(x[i])) return false;
      }
      out += ']';
    } else {
      out += '{';
      let first = true;
      for (const k in x) {
        if (!Object.prototype.hasOwnProperty.call(x, k)) continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(k) + ':';
        if (!walk((x as Record<string, unknown>)[k])) return false;
      }
      out += '}';
    }
    return out.length <= max;
  };
  walk(value);
  return inertText(out.length > max ? out.slice(0, max - 1) + '…' : out);
}
