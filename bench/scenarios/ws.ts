/**
 * WebSocket: receive throughput (server writes pre-built frames as fast as the socket takes
 * them) and sequential echo round trips, the inspector's WebSocketSession against a bare
 * `ws` client, alternating in one process.
 */
import WebSocket from 'ws';
import { createSession } from '../../src/transports/index';
import type { Session } from '../../src/transports/session';
import { alternate, fmtNum, median, now, pct, textPayload, within, type ClientParams, type ScenarioResult } from '../lib';

interface Throughput {
  rate: number;
  mbps: number;
  /** CPU time of this process (all threads, GC helpers included) per message: steadier than wall time on a busy machine. */
  cpuNs: number;
}

export interface ReceiveCase {
  label: string;
  size: number;
  binary: boolean;
  count: number;
  aim: number;
}

export const RECEIVE_CASES = (quick: boolean): ReceiveCase[] => [
  { label: '100 B text', size: 100, binary: false, count: quick ? 300_000 : 1_000_000, aim: 0.7 },
  { label: '4 KiB text', size: 4096, binary: false, count: quick ? 60_000 : 200_000, aim: 0.8 },
  { label: '1 MiB binary', size: 1024 * 1024, binary: true, count: quick ? 100 : 300, aim: 0.95 },
];

async function bareReceive(url: string, c: ReceiveCase): Promise<Throughput> {
  const ws = new WebSocket(url);
  let n = 0;
  let t0 = 0;
  let c0 = process.cpuUsage();
  ws.on('message', () => n++);
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      t0 = now();
      c0 = process.cpuUsage();
    });
    ws.once('error', reject);
    ws.once('close', () => resolve());
  }), 120_000, 'bare ws receive');
  const dt = (now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  if (n !== c.count) throw new Error(`bare ws client counted ${n} messages, expected ${c.count}`);
  return { rate: n / dt, mbps: (n * c.size) / dt / 1e6, cpuNs: ((cpu.user + cpu.system) * 1000) / n };
}

async function inspectorReceive(url: string, c: ReceiveCase): Promise<Throughput> {
  const s = createSession({ url, transport: 'ws' });
  await s.connect();
  const t0 = now();
  const c0 = process.cpuUsage();
  await within(s.closed, 120_000, 'inspector ws receive');
  const dt = (now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const n = s.stats.messagesIn;
  if (n !== c.count) throw new Error(`inspector recorded ${n} messages, expected ${c.count}`);
  return { rate: n / dt, mbps: (n * c.size) / dt / 1e6, cpuNs: ((cpu.user + cpu.system) * 1000) / n };
}

export async function receive(p: ClientParams, c: ReceiveCase): Promise<ScenarioResult> {
  const url = `ws://127.0.0.1:${p.port}/blast?size=${c.size}&count=${c.count}&binary=${c.binary ? 1 : 0}`;
  const r = await alternate(p.runs, {
    'bare ws': () => bareReceive(url, c),
    inspector: () => inspectorReceive(url, c),
  });
  const bare = r['bare ws'].map((x) => x.rate);
  const insp = r.inspector.map((x) => x.rate);
  const ratio = median(insp) / median(bare);
  const diag = typeof p.diagnostic === 'string' ? p.diagnostic : undefined;
  return {
    id: `ws-recv-${c.size}${diag ? '-diagnostic' : ''}`,
    title: `WebSocket receive, ${c.label} (${fmtNum(c.count)} msgs/run)${diag ? `, diagnostic: client run with node ${diag}` : ''}`,
    series: [
      { variant: 'bare ws', metric: 'throughput', unit: 'msg/s', values: bare, higherIsBetter: true },
      { variant: 'inspector', metric: 'throughput', unit: 'msg/s', values: insp, baseline: 'bare ws', higherIsBetter: true },
      { variant: 'bare ws', metric: 'bandwidth', unit: 'MB/s', values: r['bare ws'].map((x) => x.mbps), higherIsBetter: true },
      { variant: 'inspector', metric: 'bandwidth', unit: 'MB/s', values: r.inspector.map((x) => x.mbps), baseline: 'bare ws', higherIsBetter: true },
      { variant: 'bare ws', metric: 'client CPU/msg', unit: 'ns', values: r['bare ws'].map((x) => x.cpuNs), higherIsBetter: false },
      { variant: 'inspector', metric: 'client CPU/msg', unit: 'ns', values: r.inspector.map((x) => x.cpuNs), baseline: 'bare ws', higherIsBetter: false },
    ],
    checks: [{ aim: `inspector ≥ ${c.aim}× bare ws at ${c.label}${diag ? ` (with ${diag}; VS Code does not run extensions so)` : ''}`, measured: `${ratio.toFixed(2)}×`, met: diag ? null : ratio >= c.aim }],
    notes: diag
      ? ['Diagnostic: a young generation large enough to hold the ring\'s recent events, so they are not copied and promoted by scavenges; compare the ratio with the default run to see how much of the recording cost that copying is.']
      : [],
  };
}

interface Rtt {
  p50: number;
  p99: number;
  mean: number;
}

const RTT_COUNT = (quick: boolean): number => (quick ? 5_000 : 20_000);

function summarize(lat: Float64Array): Rtt {
  let sum = 0;
  for (const v of lat) sum += v;
  return { p50: pct(lat, 50) * 1000, p99: pct(lat, 99) * 1000, mean: (sum / lat.length) * 1000 };
}

async function bareRtt(url: string, count: number, payload: string): Promise<Rtt> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const lat = new Float64Array(count);
  let i = 0;
  let t = 0;
  await within(new Promise<void>((resolve) => {
    ws.on('message', () => {
      lat[i++] = now() - t;
      if (i === count) return resolve();
      t = now();
      ws.send(payload);
    });
    t = now();
    ws.send(payload);
  }), 120_000, 'bare ws round trips');
  ws.close();
  await new Promise((r) => ws.once('close', r));
  return summarize(lat);
}

async function inspectorRtt(url: string, count: number, payload: string): Promise<Rtt> {
  const s: Session = createSession({ url, transport: 'ws' });
  await s.connect();
  const lat = new Float64Array(count);
  let i = 0;
  let t = 0;
  await within(new Promise<void>((resolve) => {
    s.onEvent((ev) => {
      if (ev.type !== 'message' || ev.direction !== 'in') return;
      lat[i++] = now() - t;
      if (i === count) return resolve();
      t = now();
      void s.send(payload);
    });
    t = now();
    void s.send(payload);
  }), 120_000, 'inspector round trips');
  await s.close();
  if (s.stats.messagesIn !== count || s.stats.messagesOut !== count) throw new Error(`inspector recorded ${s.stats.messagesIn} in / ${s.stats.messagesOut} out, expected ${count}`);
  return summarize(lat);
}

export async function roundTrip(p: ClientParams): Promise<ScenarioResult> {
  const url = `ws://127.0.0.1:${p.port}/echo`;
  const count = RTT_COUNT(p.quick);
  const payload = textPayload(100);
  const r = await alternate(p.runs, {
    'bare ws': () => bareRtt(url, count, payload),
    inspector: () => inspectorRtt(url, count, payload),
  });
  const b50 = median(r['bare ws'].map((x) => x.p50));
  const i50 = median(r.inspector.map((x) => x.p50));
  const b99 = median(r['bare ws'].map((x) => x.p99));
  const i99 = median(r.inspector.map((x) => x.p99));
  const series = (['p50', 'p99', 'mean'] as const).flatMap((k) => [
    { variant: 'bare ws', metric: `RTT ${k}`, unit: 'µs', values: r['bare ws'].map((x) => x[k]), higherIsBetter: false },
    { variant: 'inspector', metric: `RTT ${k}`, unit: 'µs', values: r.inspector.map((x) => x[k]), baseline: 'bare ws', higherIsBetter: false },
  ]);
  return {
    id: 'ws-rtt',
    title: `WebSocket echo round trip, 100 B text, sequential (${fmtNum(count)} per run)`,
    series,
    checks: [
      { aim: 'recording adds ≤ 5 µs to p50', measured: `+${(i50 - b50).toFixed(1)} µs (${b50.toFixed(1)} → ${i50.toFixed(1)} µs)`, met: i50 - b50 <= 5 },
      { aim: 'p99 within 1.25× of bare', measured: `${(i99 / b99).toFixed(2)}× (${b99.toFixed(1)} → ${i99.toFixed(1)} µs)`, met: i99 / b99 <= 1.25 },
    ],
    notes: [],
  };
}
