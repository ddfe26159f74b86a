/**
 * Server-Sent Events receive: 100 B events, one per HTTP chunk and 64 per chunk, the
 * inspector's SseSession against a bare `eventsource` client counting events.
 */
import { EventSource } from 'eventsource';
import { createSession } from '../../src/transports/index';
import { alternate, fmtNum, median, now, within, type ClientParams, type ScenarioResult } from '../lib';

interface Throughput {
  rate: number;
  cpuNs: number;
}

async function bare(url: string, count: number): Promise<Throughput> {
  const es = new EventSource(url);
  let n = 0;
  let t0 = 0;
  let c0 = process.cpuUsage();
  await within(new Promise<void>((resolve, reject) => {
    es.onopen = () => {
      t0 = now();
      c0 = process.cpuUsage();
    };
    es.onmessage = () => {
      if (++n === count) resolve();
    };
    es.onerror = (e) => {
      if (n < count) reject(new Error(`eventsource failed after ${n} events: ${e.message ?? 'error'}`));
    };
  }), 120_000, 'bare eventsource');
  const dt = (now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  es.close();
  return { rate: n / dt, cpuNs: ((cpu.user + cpu.system) * 1000) / n };
}

async function inspector(url: string, count: number): Promise<Throughput> {
  // Reconnect off: the server ends the stream after `count` events and the session closes.
  const s = createSession({ url, transport: 'sse', reconnect: { enabled: false } });
  await s.connect();
  const t0 = now();
  const c0 = process.cpuUsage();
  await within(s.closed, 120_000, 'inspector SSE');
  const dt = (now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const n = s.stats.messagesIn;
  if (n !== count) throw new Error(`inspector recorded ${n} events, expected ${count}`);
  return { rate: n / dt, cpuNs: ((cpu.user + cpu.system) * 1000) / n };
}

export async function run(p: ClientParams): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const per of [1, 64]) {
    const count = p.quick ? 100_000 : per === 1 ? 300_000 : 1_000_000;
    const url = `http://127.0.0.1:${p.port}/sse?size=100&count=${count}&per=${per}`;
    const r = await alternate(p.runs, { eventsource: () => bare(url, count), inspector: () => inspector(url, count) });
    const ratio = median(r.inspector.map((x) => x.rate)) / median(r.eventsource.map((x) => x.rate));
    out.push({
      id: `sse-${per}`,
      title: `SSE receive, 100 B events, ${per} per chunk (${fmtNum(count)} events/run)`,
      series: [
        { variant: 'eventsource', metric: 'throughput', unit: 'ev/s', values: r.eventsource.map((x) => x.rate), higherIsBetter: true },
        { variant: 'inspector', metric: 'throughput', unit: 'ev/s', values: r.inspector.map((x) => x.rate), baseline: 'eventsource', higherIsBetter: true },
        { variant: 'eventsource', metric: 'client CPU/event', unit: 'ns', values: r.eventsource.map((x) => x.cpuNs), higherIsBetter: false },
        { variant: 'inspector', metric: 'client CPU/event', unit: 'ns', values: r.inspector.map((x) => x.cpuNs), baseline: 'eventsource', higherIsBetter: false },
      ],
      checks: [{ aim: `inspector ≥ 0.9× bare eventsource (${per} per chunk)`, measured: `${ratio.toFixed(2)}×`, met: ratio >= 0.9 }],
      notes: [],
    });
  }
  return out;
}
