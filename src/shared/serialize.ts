import type { InspectorEvent, MessageEvent, PingPongEvent } from './events';

/**
 * JSON form of an event: what `realtime-inspector connect --json` prints one per line,
 * what the NDJSON export writes and what crosses to the webview. Binary payloads become
 * base64 with `encoding: "base64"`; everything else is already plain data.
 */
export type JsonEvent =
  | Exclude<InspectorEvent, MessageEvent | PingPongEvent>
  | (Omit<MessageEvent, 'data'> & { data: string; encoding?: 'base64' })
  | (Omit<PingPongEvent, 'data'> & { data: string; encoding: 'base64' });

export function toJsonEvent(ev: InspectorEvent): JsonEvent {
  if (ev.type === 'message') {
    if (typeof ev.data === 'string') return ev as JsonEvent;
    return { ...ev, data: bytesToBase64(ev.data), encoding: 'base64' };
  }
  if (ev.type === 'ping' || ev.type === 'pong') return { ...ev, data: bytesToBase64(ev.data), encoding: 'base64' };
  return ev as JsonEvent;
}

export function fromJsonEvent(j: JsonEvent): InspectorEvent {
  if ((j.type === 'message' || j.type === 'ping' || j.type === 'pong') && 'encoding' in j && j.encoding === 'base64') {
    const { encoding: _e, ...rest } = j;
    return { ...rest, data: base64ToBytes(j.data) } as InspectorEvent;
  }
  return j as InspectorEvent;
}

export function toNdjsonLine(ev: InspectorEvent): string {
  return JSON.stringify(toJsonEvent(ev));
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 that works in Node and in the browser without Buffer. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return out;
}

export function base64ToBytes(s: string): Uint8Array {
  const clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const a = B64.indexOf(clean[i]);
    const b = B64.indexOf(clean[i + 1]);
    const c = i + 2 < clean.length ? B64.indexOf(clean[i + 2]) : 0;
    const d = i + 3 < clean.length ? B64.indexOf(clean[i + 3]) : 0;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length && i + 2 < clean.length) out[o++] = (n >> 8) & 255;
    if (o < out.length && i + 3 < clean.length) out[o++] = n & 255;
  }
  return out.subarray(0, o);
}

/** Parse a hex string ("de ad be ef", "deadbeef", "0xde,0xad") into bytes; throws on odd or invalid input. */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (clean.length % 2 || /[^0-9a-f]/i.test(clean)) throw new Error(`not a hex string: ${JSON.stringify(hex.slice(0, 40))}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
