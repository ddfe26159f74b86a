import { h } from './dom';
import { fmtCount, hexDumpLines } from './format';
import { payloadBytes, type Payload } from './payload';

/** Lines (16 bytes each) generated per step as the user scrolls down. */
const CHUNK_LINES = 256;
/** Most lines ever rendered: 4096 × 16 = 64 KiB. Past that the pane says so. */
export const HEX_MAX_LINES = 4096;

/**
 * offset | hex | ascii, generated lazily: the first chunk now, the next when a sentinel at
 * the end scrolls into view, never more than HEX_MAX_LINES.
 */
export function hexView(p: Payload): { el: HTMLElement; dispose(): void } {
  const bytes = payloadBytes(p, HEX_MAX_LINES * 16);
  const total = p.kind === 'none' ? 0 : p.size;
  const totalLines = Math.ceil(bytes.length / 16);
  const grid = h('div', { class: 'hex-grid', role: 'table', 'aria-label': 'Hex dump' });
  const sentinel = h('div', { class: 'hex-sentinel', 'aria-hidden': 'true' });
  const note = h('div', { class: 'muted hex-note', id: 'hex-note' });
  const root = h('div', { class: 'hex-view' }, grid, sentinel, note);
  let rendered = 0;
  const more = (): void => {
    const to = Math.min(totalLines, rendered + CHUNK_LINES);
    if (to <= rendered) return;
    const { offsets, hex, ascii } = hexDumpLines(bytes, rendered, to);
    grid.append(h('pre', { class: 'hex-off' }, offsets), h('pre', { class: 'hex-bytes' }, hex), h('pre', { class: 'hex-ascii' }, ascii));
    rendered = to;
    if (rendered >= totalLines) {
      observer.disconnect();
      sentinel.remove();
    }
  };
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) more();
  });
  more();
  if (rendered < totalLines) observer.observe(sentinel);
  if (total > bytes.length) note.textContent = `Showing the first ${fmtCount(bytes.length)} of ${fmtCount(total)} bytes (${fmtCount(HEX_MAX_LINES)} lines at most). The Text tab and the export have the rest.`;
  else note.textContent = `${fmtCount(total)} bytes`;
  return { el: root, dispose: () => observer.disconnect() };
}
