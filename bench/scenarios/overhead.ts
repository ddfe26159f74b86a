/**
 * Overhead bytes per message: what the inspector reports (message.overheadBytes, request
 * and response headerBytes) against what a packet capture on lo counts for a short fixed
 * exchange per transport. Without tcpdump (or permission to capture) the bytes seen at the
 * server's sockets are used instead, and the output says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectorEvent, MessageEvent, RequestEvent, ResponseEvent } from '../../src/shared/events';
import { createSession } from '../../src/transports/index';
import type { Session } from '../../src/transports/session';
import { textPayload, within, type Check, type ClientParams, type ScenarioResult, type Series } from '../lib';
import { parseHttp, parseSseBlocks, parseWsFrames, readPcap, startCapture, type TcpStream } from '../wire';

const MESSAGES = 10;

type Source = 'tcpdump' | 'server sockets';

async function takeTaps(port: number): Promise<TcpStream[]> {
  const res = await fetch(`http://127.0.0.1:${port}/__tap`);
  const list = (await res.json()) as Array<{ clientPort: number; up: string; down: string }>;
  return list.map((t) => ({ clientPort: t.clientPort, finished: true, up: Buffer.from(t.up, 'base64'), down: Buffer.from(t.down, 'base64') }));
}

/** Runs `exchange` while recording its bytes; returns the session's events and the streams. */
async function recorded(port: number, dir: string, name: string, exchange: () => Promise<Session>): Promise<{ events: InspectorEvent[]; streams: TcpStream[]; source: Source; why?: string }> {
  let capture;
  let why: string | undefined;
  if (process.env.BENCH_NO_CAPTURE === '1') why = 'packet capture turned off (BENCH_NO_CAPTURE=1)';
  else {
    try {
      capture = await startCapture(port, join(dir, `${name}.pcap`));
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
  }
  await takeTaps(port); // forget earlier connections
  const s = await exchange();
  await within(s.closed, 20_000, `${name} exchange`);
  const events = [...s.log];
  if (capture) {
    await capture.stop();
    return { events, streams: readPcap(capture.file, port).filter(ours), source: 'tcpdump' };
  }
  return { events, streams: (await takeTaps(port)).filter(ours), source: 'server sockets', why };
}

/** Connections of the exchange: not empty, and not the bench's own /__tap requests. */
const ours = (st: TcpStream): boolean => st.up.length > 0 && !st.up.subarray(0, 10).toString('latin1').startsWith('GET /__tap');

function of<T extends InspectorEvent['type']>(events: InspectorEvent[], type: T): Array<Extract<InspectorEvent, { type: T }>> {
  return events.filter((e) => e.type === type) as Array<Extract<InspectorEvent, { type: T }>>;
}

interface Row {
  what: string;
  inspector: number;
  wire: number;
}

function rowsToResult(id: string, title: string, rows: Row[], source: Source, notes: string[]): ScenarioResult {
  const series: Series[] = [];
  const checks: Check[] = [];
  for (const r of rows) {
    series.push({ variant: r.what, metric: 'inspector', unit: 'B', values: [r.inspector], higherIsBetter: false });
    series.push({ variant: r.what, metric: source, unit: 'B', values: [r.wire], higherIsBetter: false });
    checks.push({ aim: `${r.what}: 0 B error`, measured: `inspector ${r.inspector} B, ${source} ${r.wire} B, error ${r.inspector - r.wire >= 0 ? '+' : ''}${r.inspector - r.wire} B`, met: r.inspector === r.wire });
  }
  return { id, title, series, checks, notes };
}

const avg = (v: number[]): number => (v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 100) / 100 : NaN);

async function webSocket(p: ClientParams, dir: string): Promise<ScenarioResult> {
  const payload = textPayload(100);
  const r = await recorded(p.port, dir, 'ws', async () => {
    const s = createSession({ url: `ws://127.0.0.1:${p.port}/echo`, transport: 'ws', perMessageDeflate: false });
    await s.connect();
    let got = 0;
    const echoed = new Promise<void>((resolve) => s.onEvent((ev) => ev.type === 'message' && ev.direction === 'in' && ++got === MESSAGES && resolve()));
    for (let i = 0; i < MESSAGES; i++) await s.send(payload);
    await within(echoed, 10_000, 'echoes');
    await s.close();
    return s;
  });
  if (r.streams.length !== 1) throw new Error(`expected one WebSocket connection in the capture, found ${r.streams.length}`);
  const st = r.streams[0];
  const req = parseHttp(st.up, false);
  const res = parseHttp(st.down, true);
  const up = parseWsFrames(req.rest.length ? req.rest : st.up.subarray(req.messages[0].headBytes));
  const down = parseWsFrames(res.rest);
  const upText = up.filter((f) => f.opcode === 1);
  const downText = down.filter((f) => f.opcode === 1);
  const msgs = of(r.events, 'message');
  const out = msgs.filter((m) => m.direction === 'out');
  const inn = msgs.filter((m) => m.direction === 'in');
  const closeUp = up.filter((f) => f.opcode === 8).reduce((a, f) => a + f.headerBytes + f.payloadBytes, 0);
  const closeDown = down.filter((f) => f.opcode === 8).reduce((a, f) => a + f.headerBytes + f.payloadBytes, 0);
  return rowsToResult(
    'overhead-ws',
    `Overhead bytes, WebSocket: ${MESSAGES} × 100 B text each way (echo), ${r.source}`,
    [
      { what: 'upgrade request head', inspector: of(r.events, 'request')[0].headerBytes, wire: req.messages[0].headBytes },
      { what: '101 response head', inspector: of(r.events, 'response')[0].headerBytes, wire: res.messages[0].headBytes },
      { what: 'per message client→server', inspector: avg(out.map((m) => m.overheadBytes ?? 0)), wire: avg(upText.map((f) => f.headerBytes)) },
      { what: 'per message server→client', inspector: avg(inn.map((m) => m.overheadBytes ?? 0)), wire: avg(downText.map((f) => f.headerBytes)) },
    ],
    r.source,
    [
      ...(r.why ? [`no packet capture (${r.why}): bytes counted at the server's sockets instead.`] : []),
      `close frames (${closeUp} B client→server, ${closeDown} B server→client) are not messages: the close event carries no byte count.`,
      `frames on the wire: ${upText.length} text client→server, ${downText.length} text server→client; the inspector logged ${out.length} out, ${inn.length} in.`,
    ],
  );
}

async function sse(p: ClientParams, dir: string): Promise<ScenarioResult> {
  const r = await recorded(p.port, dir, 'sse', async () => {
    const s = createSession({ url: `http://127.0.0.1:${p.port}/sse-small?size=100&count=${MESSAGES}`, transport: 'sse', reconnect: { enabled: false } });
    await s.connect();
    return s;
  });
  if (r.streams.length !== 1) throw new Error(`expected one SSE connection in the capture, found ${r.streams.length}`);
  const req = parseHttp(r.streams[0].up, false).messages[0];
  const res = parseHttp(r.streams[0].down, true).messages[0];
  const blocks = parseSseBlocks(res.body);
  const msgs = of(r.events, 'message');
  const sseFraming = avg(blocks.map((b) => b.bytes - b.dataBytes));
  // Chunks that carry an event (the terminating zero-size chunk is counted apart).
  const chunkFraming = avg(res.chunkFraming.slice(0, res.chunks.length));
  const inspectorPerMsg = avg(msgs.map((m) => m.overheadBytes ?? 0));
  const notes = [
    ...(r.why ? [`no packet capture (${r.why}): bytes counted at the server's sockets instead.`] : []),
    `${res.chunks.length} HTTP chunks for ${blocks.length} events; SSE framing ${sseFraming} B per event, chunked encoding ${chunkFraming} B per chunk (+${res.chunkFraming[res.chunkFraming.length - 1] ?? 0} B for the last chunk, which carries no event).`,
    'The inspector\'s overheadBytes counts both: the SSE framing of each event and the chunked-encoding framing of the chunks that carried it.',
  ];
  return rowsToResult(
    'overhead-sse',
    `Overhead bytes, SSE: ${MESSAGES} × 100 B events, one per chunk, ${r.source}`,
    [
      { what: 'request head', inspector: of(r.events, 'request')[0].headerBytes, wire: req.headBytes },
      { what: 'response head', inspector: of(r.events, 'response')[0].headerBytes, wire: res.headBytes },
      { what: 'per event SSE framing + chunk encoding', inspector: inspectorPerMsg, wire: avg(blocks.map((b, i) => b.bytes - b.dataBytes + (i < res.chunks.length ? res.chunkFraming[i] : 0))) },
    ],
    r.source,
    notes,
  );
}

async function polling(p: ClientParams, dir: string, transport: 'poll' | 'long-poll'): Promise<ScenarioResult> {
  const r = await recorded(p.port, dir, transport, async () => {
    const s = createSession({ url: `http://127.0.0.1:${p.port}/${transport}?size=100`, transport, intervalMs: 0 });
    let n = 0;
    s.onEvent((ev) => {
      if (ev.type === 'poll' && ++n === MESSAGES) void s.close();
    });
    await s.connect();
    return s;
  });
  // Requests and responses in order over every connection (keep-alive: normally one).
  const reqs = r.streams.flatMap((st) => parseHttp(st.up, false).messages);
  const ress = r.streams.flatMap((st) => parseHttp(st.down, true).messages);
  const evReq = of(r.events, 'request') as RequestEvent[];
  const evRes = of(r.events, 'response') as ResponseEvent[];
  const msgs = of(r.events, 'message') as MessageEvent[];
  const n = Math.min(msgs.length, reqs.length, ress.length);
  // The payload the inspector shows for a message: a long-poll batch element, or the whole body.
  const payloadOf = (body: Buffer): number => {
    if (transport === 'poll') return body.length;
    const parsed = JSON.parse(body.toString()) as { messages: unknown[] };
    return Buffer.byteLength(JSON.stringify(parsed.messages[0]));
  };
  const wirePerMsg = Array.from({ length: n }, (_, i) => reqs[i].headBytes + ress[i].headBytes + ress[i].bodyWireBytes - payloadOf(ress[i].body));
  const name = transport === 'poll' ? 'short polling' : 'long polling';
  return rowsToResult(
    `overhead-${transport}`,
    `Overhead bytes, ${name}: ${n} answers of one ~100 B message, ${r.source}`,
    [
      { what: 'request head', inspector: avg(evReq.slice(0, n).map((e) => e.headerBytes)), wire: avg(reqs.slice(0, n).map((m) => m.headBytes)) },
      { what: 'response head', inspector: avg(evRes.slice(0, n).map((e) => e.headerBytes)), wire: avg(ress.slice(0, n).map((m) => m.headBytes)) },
      { what: 'per message (headers + envelope)', inspector: avg(msgs.slice(0, n).map((m) => m.overheadBytes ?? 0)), wire: avg(wirePerMsg) },
    ],
    r.source,
    [...(r.why ? [`no packet capture (${r.why}): bytes counted at the server's sockets instead.`] : []), `${r.streams.length} TCP connection(s) for ${reqs.length} requests.`],
  );
}

export async function run(p: ClientParams): Promise<ScenarioResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ri-bench-pcap-'));
  try {
    return [await webSocket(p, dir), await sse(p, dir), await polling(p, dir, 'long-poll'), await polling(p, dir, 'poll')];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
