/** Realistic host messages for the webview tests and screenshots. */
import type { Hint } from '../../src/shared/hints';
import type { EventRow, SessionSummary, StatsSummary, ToWebview } from '../../src/shared/protocol';
import { toColumns, toRow } from '../../src/shared/rows';
import type { InspectorEvent } from '../../src/shared/events';
import { toJsonEvent, type JsonEvent } from '../../src/shared/serialize';

export const WS_SESSION: SessionSummary = { id: 'ws-1', name: '127.0.0.1:41234', transport: 'ws', url: 'ws://127.0.0.1:41234/ws', state: 'open', readOnly: false, total: 0, dropped: 0 };
export const SSE_IMPORT: SessionSummary = { id: 'import-2', name: 'sse-recording.ndjson', transport: 'sse', url: 'http://127.0.0.1:41234/sse', state: 'closed', readOnly: true, total: 412, dropped: 0 };

export const STATS: StatsSummary = {
  messagesIn: 1842,
  messagesOut: 3,
  bytesIn: 176_332,
  bytesOut: 214,
  rateIn: 2.01,
  byteRateIn: 193.4,
  overheadPerMessage: 6.2,
  polls: 0,
  uselessPolls: 0,
  reconnects: 1,
  gapP50: 499.7,
  gapP95: 503.9,
  errors: 1,
};

export const HINTS: Hint[] = [
  {
    id: 'ws.no-heartbeat',
    severity: 'warning',
    transport: 'ws',
    message: 'No ping or pong in 94 s of an idle-prone connection.',
    numbers: { idleSeconds: 94, pings: 0 },
    why: 'Proxies and load balancers often close WebSocket connections that carry nothing for 60 s; the client only learns on the next send.',
    suggestion: 'Send a ping every 30 s, or have the server send one.',
  },
  {
    id: 'auth.token-in-url',
    severity: 'risk',
    transport: 'any',
    message: 'The token travels in the URL query (access_token), which ends up in proxy and server logs.',
    numbers: { carrier: 'query parameter access_token' },
    why: 'URLs are logged by proxies, servers and browser history; headers and the first message are not.',
    suggestion: 'Use the Sec-WebSocket-Protocol header or a first message instead.',
  },
  {
    id: 'ws.overhead',
    severity: 'info',
    transport: 'ws',
    message: 'Overhead is 6.2 bytes per message (2.1% of payload) after a 0.4 KB upgrade.',
    numbers: { overheadPerMessage: 6.2, upgradeBytes: 412 },
    why: 'WebSocket frames cost 2-14 bytes; the HTTP upgrade is paid once per connection.',
    suggestion: 'Nothing to do: this is the cheapest transport for frequent small messages.',
  },
];

/** A realistic WebSocket session from the demo server, as events. */
export function wsEvents(ticks: number): InspectorEvent[] {
  const ev: InspectorEvent[] = [];
  let seq = 0;
  let t = 0;
  const add = (e: Record<string, unknown>, dt: number): void => {
    t += dt;
    ev.push({ ...e, seq: seq++, t } as unknown as InspectorEvent);
  };
  add({ type: 'session', transport: 'ws', url: 'ws://127.0.0.1:41234/ws?access_token=***', wallStart: 1_732_770_000_000, options: { reconnect: true } }, 0);
  add({ type: 'state', state: 'connecting', previous: 'closed' }, 0.12);
  add({ type: 'auth', method: 'query', carrier: 'query parameter access_token', value: '***' }, 0.05);
  add(
    {
      type: 'request',
      requestId: 1,
      purpose: 'upgrade',
      method: 'GET',
      url: 'ws://127.0.0.1:41234/ws?access_token=***',
      headers: [
        ['Host', '127.0.0.1:41234'],
        ['Connection', 'Upgrade'],
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Version', '13'],
        ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
      ],
      headerBytes: 268,
      bodyBytes: 0,
    },
    0.4,
  );
  add(
    {
      type: 'response',
      requestId: 1,
      status: 101,
      statusText: 'Switching Protocols',
      httpVersion: '1.1',
      headers: [
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
        ['Sec-WebSocket-Extensions', 'permessage-deflate'],
      ],
      headerBytes: 166,
    },
    3.1,
  );
  add({ type: 'timing', requestId: 1, dns: 0.31, tcp: 0.84, ttfb: 2.65, total: 3.96, reusedSocket: false, remoteAddress: '127.0.0.1', remotePort: 41234 }, 0.05);
  add({ type: 'state', state: 'open', previous: 'connecting' }, 0.02);
  add({ type: 'info', key: 'extension', message: 'Negotiated permessage-deflate' }, 0.01);
  add({ type: 'message', direction: 'out', size: 31, binary: false, data: '{"type":"subscribe","topic":"*"}', opcode: 1, overheadBytes: 6 }, 12.4);
  for (let i = 1; i <= ticks; i++) {
    const data = JSON.stringify({ seq: i, ts: 1_732_770_000_000 + i * 500, kind: 'tick', data: `payload-${'x'.repeat(i % 7)}${i}`, price: Math.round(10_000 + Math.sin(i) * 250) / 100 });
    add({ type: 'message', direction: 'in', size: data.length, binary: false, data, opcode: 1, overheadBytes: 2, latencyMs: 0.4 }, 499 + (i % 5));
    if (i === 6) add({ type: 'ping', direction: 'out', size: 4, data: new Uint8Array([1, 2, 3, 4]) }, 3);
    if (i === 6) add({ type: 'pong', direction: 'in', size: 4, data: new Uint8Array([1, 2, 3, 4]) }, 0.6);
    if (i === 9) add({ type: 'message', direction: 'in', size: 16, binary: true, data: new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 0x41, 0x42, 0x43, 0x0a, 0xff, 0x7f, 0x20, 0x21]), opcode: 2 }, 12);
    if (i === 11) add({ type: 'error', code: 'ECONNRESET', message: 'The server reset the connection (ECONNRESET).', fatal: false }, 40);
    if (i === 11) add({ type: 'reconnect', attempt: 1, delayMs: 500, reason: 'connection reset' }, 0.2);
  }
  return ev;
}

export function rowsOf(events: InspectorEvent[]): EventRow[] {
  return events.map(toRow);
}

export function jsonOf(events: InspectorEvent[]): JsonEvent[] {
  return events.map(toJsonEvent);
}

type Snapshot = Extract<ToWebview, { type: 'Snapshot' }>;

/** A Snapshot; rows may be given as objects (sent as columns, as the host does). */
export function snapshot(partial: Omit<Partial<Snapshot>, 'rows'> & { rows?: EventRow[] } = {}): Snapshot {
  const { rows, ...rest } = partial;
  return { type: 'Snapshot', sessions: [], hints: [], settings: { logCap: 100_000, revealSecrets: false }, defaults: {}, ...rest, rows: toColumns(rows ?? []) };
}

/** A DidAppendRows with its rows given as objects (sent as columns, as the host does). */
export function appendRows(sessionId: string, rows: EventRow[], rest: { total: number; dropped: number; stats: StatsSummary }): Extract<ToWebview, { type: 'DidAppendRows' }> {
  return { type: 'DidAppendRows', sessionId, rows: toColumns(rows), ...rest };
}

/** Simple rows for the log tests: seq i, 1 ms apart, alternating in/out messages, HTTP and errors. */
export function mixedRows(n: number): EventRow[] {
  const rows: EventRow[] = [];
  for (let i = 0; i < n; i++) {
    const t = i * 1.5;
    switch (i % 4) {
      case 0:
        rows.push({ seq: i, t, type: 'message', dir: 'in', size: 24, label: 'text', preview: `{"kind":"tick","seq":${i}}` });
        break;
      case 1:
        rows.push({ seq: i, t, type: 'message', dir: 'out', size: 8, label: 'text', preview: `hello ${i}` });
        break;
      case 2:
        rows.push({ seq: i, t, type: 'response', dir: 'in', size: -1, label: '200', preview: 'HTTP/1.1 200 OK' });
        break;
      default:
        if (i % 20 === 3) rows.push({ seq: i, t, type: 'error', dir: '', size: -1, label: 'ECONNRESET', preview: 'The server reset the connection.', error: true });
        else rows.push({ seq: i, t, type: 'state', dir: '', size: -1, label: 'open', preview: 'connecting → open' });
    }
  }
  return rows;
}
