/**
 * Short and long polling against a server that answers at once with one ~100 B JSON
 * message: messages per second and p99 of the request cycle, the inspector's
 * ShortPollSession / LongPollSession against a bare keep-alive http.Agent loop, plus a
 * global fetch loop to show why the transports are built on node:http.
 */
import * as http from 'node:http';
import { createSession } from '../../src/transports/index';
import { alternate, fmtNum, median, now, pct, within, type ClientParams, type ScenarioResult } from '../lib';

interface Loop {
  rate: number;
  /** Request cycle (one answer to the next), ms. */
  p50: number;
  p99: number;
  cpuUs: number;
}

function summarize(stamps: Float64Array, count: number, cpu: NodeJS.CpuUsage): Loop {
  const cycles = new Float64Array(count - 1);
  for (let i = 1; i < count; i++) cycles[i - 1] = stamps[i] - stamps[i - 1];
  return { rate: (count - 1) / ((stamps[count - 1] - stamps[0]) / 1000), p50: pct(cycles, 50) * 1000, p99: pct(cycles, 99) * 1000, cpuUs: (cpu.user + cpu.system) / count };
}

async function bareAgent(url: string, count: number): Promise<Loop> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const stamps = new Float64Array(count);
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            // The same minimum any client does: have the body as text.
            Buffer.concat(parts).toString();
            resolve();
          });
          res.on('error', reject);
        })
        .on('error', reject);
    });
    stamps[i] = now();
  }
  const cpu = process.cpuUsage(c0);
  agent.destroy();
  return summarize(stamps, count, cpu);
}

async function bareFetch(url: string, count: number): Promise<Loop> {
  const stamps = new Float64Array(count);
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const res = await fetch(url);
    await res.text();
    stamps[i] = now();
  }
  return summarize(stamps, count, process.cpuUsage(c0));
}

async function inspector(url: string, transport: 'poll' | 'long-poll', count: number): Promise<Loop> {
  const s = createSession({ url, transport, intervalMs: 0 });
  const stamps = new Float64Array(count);
  let n = 0;
  let c0 = process.cpuUsage();
  const done = new Promise<void>((resolve) => {
    s.onEvent((ev) => {
      if (ev.type !== 'message' || n >= count) return;
      if (n === 0) c0 = process.cpuUsage();
      stamps[n++] = now();
      if (n === count) resolve();
    });
  });
  await s.connect();
  await within(done, 120_000, `inspector ${transport}`);
  const cpu = process.cpuUsage(c0);
  await s.close();
  const errors = s.stats.errors;
  if (errors) throw new Error(`the ${transport} session logged ${errors} errors`);
  return summarize(stamps, count, cpu);
}

export async function run(p: ClientParams): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  const count = p.quick ? 2_000 : 3_000;
  for (const transport of ['poll', 'long-poll'] as const) {
    const url = `http://127.0.0.1:${p.port}/${transport}?size=100`;
    const r = await alternate(p.runs, {
      'http.Agent': () => bareAgent(url, count),
      inspector: () => inspector(url, transport, count),
      fetch: () => bareFetch(url, count),
    });
    const series = (
      [
        ['throughput', 'msg/s', 'rate', true],
        ['cycle p50', 'µs', 'p50', false],
        ['cycle p99', 'µs', 'p99', false],
        ['client CPU/msg', 'µs', 'cpuUs', false],
      ] as const
    ).flatMap(([metric, unit, k, higherIsBetter]) => [
      { variant: 'http.Agent', metric, unit, values: r['http.Agent'].map((x) => x[k]), higherIsBetter },
      { variant: 'inspector', metric, unit, values: r.inspector.map((x) => x[k]), baseline: 'http.Agent', higherIsBetter },
      { variant: 'fetch', metric, unit, values: r.fetch.map((x) => x[k]), baseline: 'http.Agent', higherIsBetter },
    ]);
    const rate = median(r.inspector.map((x) => x.rate)) / median(r['http.Agent'].map((x) => x.rate));
    const p99 = median(r.inspector.map((x) => x.p99)) / median(r['http.Agent'].map((x) => x.p99));
    const fetchRate = median(r.fetch.map((x) => x.rate)) / median(r['http.Agent'].map((x) => x.rate));
    const name = transport === 'poll' ? 'Short polling' : 'Long polling';
    out.push({
      id: transport,
      title: `${name}, answered at once, ~100 B JSON per answer (${fmtNum(count)} requests/run)`,
      series,
      checks: [
        { aim: `${name}: inspector ≥ 0.9× bare http.Agent messages/s`, measured: `${rate.toFixed(2)}×`, met: rate >= 0.9 },
        { aim: `${name}: inspector p99 cycle within 1/0.9 of bare`, measured: `${p99.toFixed(2)}×`, met: p99 <= 1 / 0.9 },
      ],
      notes: [`global fetch reaches ${fetchRate.toFixed(2)}× the http.Agent loop: why the transports use node:http.`],
    });
  }
  return out;
}
