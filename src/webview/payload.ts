import { utf8Length } from '../shared/events';
import { base64ToBytes, type JsonEvent } from '../shared/serialize';

/** Pure: what the detail pane shows as "the payload" of an event. Unit-tested. */
export type Payload =
  | { kind: 'none' }
  | { kind: 'text'; text: string; size: number }
  /** Binary, still base64: decoding is done lazily and only for the part that is shown. */
  | { kind: 'binary'; base64: string; size: number };

export function payloadOf(ev: JsonEvent): Payload {
  const text = (s: string | undefined): Payload => (s === undefined || s === '' ? { kind: 'none' } : { kind: 'text', text: s, size: utf8Length(s) });
  switch (ev.type) {
    case 'message':
    case 'ping':
    case 'pong': {
      const size = typeof ev.size === 'number' ? ev.size : 0;
      if ('encoding' in ev && ev.encoding === 'base64') return { kind: 'binary', base64: ev.data, size };
      return typeof ev.data === 'string' ? { kind: 'text', text: ev.data, size: size || utf8Length(ev.data) } : { kind: 'none' };
    }
    case 'comment':
      return text(ev.text);
    case 'error':
      return text(ev.detail ? `${ev.message}\n\n${ev.detail}` : ev.message);
    case 'request':
      return text(ev.body);
    case 'close':
      return text(ev.reason);
    case 'info':
      return text(ev.message);
    case 'retry':
      return text(ev.raw);
    default:
      return { kind: 'none' };
  }
}

/** The first `maxBytes` bytes of a payload (binary decoded from base64, text as UTF-8). */
export function payloadBytes(p: Payload, maxBytes: number): Uint8Array {
  if (p.kind === 'binary') {
    // 4 base64 chars per 3 bytes: decode only the prefix that is shown.
    const chars = Math.ceil(maxBytes / 3) * 4;
    return base64ToBytes(p.base64.length > chars ? p.base64.slice(0, chars) : p.base64).subarray(0, maxBytes);
  }
  if (p.kind === 'text') {
    // Every UTF-16 unit is at least one UTF-8 byte, so maxBytes units are enough.
    const bytes = new TextEncoder().encode(p.text.length > maxBytes ? p.text.slice(0, maxBytes) : p.text);
    return bytes.subarray(0, maxBytes);
  }
  return new Uint8Array(0);
}

/** Related exchange pieces for the Headers and Timing tabs, in order, deduplicated by seq. */
export function exchangeEvents(ev: JsonEvent, related: readonly JsonEvent[]): JsonEvent[] {
  const seen = new Set<number>();
  const out: JsonEvent[] = [];
  for (const e of [ev, ...related]) {
    if (seen.has(e.seq)) continue;
    seen.add(e.seq);
    out.push(e);
  }
  return out.sort((a, b) => a.seq - b.seq);
}
