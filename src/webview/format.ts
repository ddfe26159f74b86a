/** Pure formatting for the webview (no DOM), unit-tested in test/webview/format.test.ts. */

/** ms since session start as m:ss.mmm (h:mm:ss.mmm past an hour). */
export function fmtClock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const whole = Math.floor(ms);
  const milli = String(whole % 1000).padStart(3, '0');
  const s = Math.floor(whole / 1000) % 60;
  const m = Math.floor(whole / 60_000) % 60;
  const hours = Math.floor(whole / 3_600_000);
  const ss = String(s).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(m).padStart(2, '0')}:${ss}.${milli}` : `${String(m).padStart(2, '0')}:${ss}.${milli}`;
}

/** A duration for the delta column and the stats: "0.42 ms", "12 ms", "3.20 s". */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a < 10) return `${ms.toFixed(2)} ms`;
  if (a < 1000) return `${ms.toFixed(0)} ms`;
  if (a < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

/** 1,234,567. Not toLocaleString: its first call loads ICU data and costs ~90 ms at startup. */
export function fmtCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const s = String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

export function fmtRate(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '–';
  return `${n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)} ${unit}`;
}

const NAMED: Record<number, string> = { 0x061c: 'ALM', 0x200b: 'ZWSP', 0x200c: 'ZWNJ', 0x200d: 'ZWJ', 0x200e: 'LRM', 0x200f: 'RLM', 0x202a: 'LRE', 0x202b: 'RLE', 0x202c: 'PDF', 0x202d: 'LRO', 0x202e: 'RLO', 0x2066: 'LRI', 0x2067: 'RLI', 0x2068: 'FSI', 0x2069: 'PDI', 0xfeff: 'BOM' };

/**
 * Multi-line text made inert for display: newlines and tabs stay; other C0 controls become
 * their Control Pictures (ESC → ␛, so ANSI escapes show as text), DEL → ␡, C1 controls and
 * invisible/bidi formatting characters (which could reorder what the user reads) become a
 * visible ⟨NAME⟩ marker.
 */
export function inertText(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `⟨${NAMED[code] ?? 'U+' + code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
  });
}

/** One hex dump line per 16 bytes: offset, hex bytes (8 + 8), printable ASCII. */
export function hexDumpLines(bytes: Uint8Array, fromLine: number, toLine: number): { offsets: string; hex: string; ascii: string } {
  const offsets: string[] = [];
  const hex: string[] = [];
  const ascii: string[] = [];
  const end = Math.min(toLine, Math.ceil(bytes.length / 16));
  for (let line = fromLine; line < end; line++) {
    const start = line * 16;
    offsets.push(start.toString(16).padStart(8, '0'));
    let hx = '';
    let as = '';
    for (let i = 0; i < 16; i++) {
      const p = start + i;
      if (p < bytes.length) {
        const b = bytes[p];
        hx += b.toString(16).padStart(2, '0') + ' ';
        as += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else hx += '   ';
      if (i === 7) hx += ' ';
    }
    hex.push(hx.trimEnd());
    ascii.push(as);
  }
  return { offsets: offsets.join('\n'), hex: hex.join('\n'), ascii: ascii.join('\n') };
}
