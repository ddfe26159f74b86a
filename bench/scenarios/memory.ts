/**
 * Memory of the recording: bytes per recorded event (heap + external delta after a full GC, divided by
 * the events recorded) at 100 B and 4 KiB, and RSS / heap while a million events pass
 * through a session with the default cap (100,000): flat once the ring is full, and the
 * dropped counter exact. Needs --expose-gc (the client is forked with it).
 */
import { pooledSlabBytes } from '../../src/shared/eventLog';
import { DEFAULTS } from '../../src/shared/options';
import { createSession } from '../../src/transports/index';
import { fmtNum, gc, median, within, type ClientParams, type ScenarioResult } from '../lib';

interface PerEvent {
  heap: number;
  external: number;
}

/** Records `count` messages (fewer than the cap, so nothing is dropped) and measures what they hold. */
async function perEvent(port: number, size: number, count: number): Promise<PerEvent> {
  const s = createSession({ url: `ws://127.0.0.1:${port}/blast?size=${size}&count=${count}&wait=1`, transport: 'ws' });
  await s.connect();
  // Logs collected by the GC give their slabs to the pool in a finalizer task: let it run, then measure.
  gc();
  await new Promise((r) => setTimeout(r, 20));
  gc();
  const m0 = process.memoryUsage();
  // Slabs a log takes from the pool of earlier logs are memory it holds without growing `external`.
  const pool0 = pooledSlabBytes();
  // The server starts on our first frame; that frame is one recorded event more.
  await s.send('go');
  await within(s.closed, 120_000, 'memory run');
  gc();
  const m1 = process.memoryUsage();
  if (s.stats.messagesIn !== count || s.log.dropped !== 0) throw new Error(`expected ${count} messages and nothing dropped, got ${s.stats.messagesIn} / dropped ${s.log.dropped}`);
  const events = s.log.size;
  const out = { heap: (m1.heapUsed - m0.heapUsed) / events, external: (m1.external - m0.external + pool0 - pooledSlabBytes()) / events };
  // Keeps the session (and its log) alive until after the measurement.
  if (!s.log.size) throw new Error('empty log');
  return out;
}

export async function run(p: ClientParams): Promise<ScenarioResult[]> {
  // The million-event run first: RSS must not carry what the per-event runs allocated.
  const flat = await million(p);
  const out: ScenarioResult[] = [];
  const per: ScenarioResult = { id: 'memory-per-event', title: 'Memory per recorded event (heapUsed + external delta after GC / events kept)', series: [], checks: [], notes: [] };
  for (const size of [100, 4096]) {
    const count = p.quick ? 20_000 : 90_000;
    const runs: PerEvent[] = [];
    for (let i = 0; i < Math.min(3, p.runs); i++) runs.push(await perEvent(p.port, size, count));
    // Messages live outside the JS heap (typed-array slots and payload slabs, see EventLog.pushMessage): count both.
    const total = runs.map((r) => r.heap + r.external);
    per.series.push({ variant: `${size} B text`, metric: 'heap+external/event', unit: 'B', values: total, higherIsBetter: false });
    per.series.push({ variant: `${size} B text`, metric: 'beyond payload', unit: 'B', values: total.map((h) => h - size), higherIsBetter: false });
    per.notes.push(`${size} B: ${fmtNum(median(total))} B per event for a ${size} B payload: ${fmtNum(median(runs.map((r) => r.heap)))} B of JS heap, ${fmtNum(median(runs.map((r) => r.external)))} B external (slots in typed arrays, payload bytes in 1 MiB slabs).`);
  }
  out.push(per, flat);
  return out;
}


async function million(p: ClientParams): Promise<ScenarioResult> {
  // A million events through one session with the default cap.
  const total = p.quick ? 300_000 : 1_000_000;
  const step = 100_000;
  const s = createSession({ url: `ws://127.0.0.1:${p.port}/blast?size=100&count=${total}`, transport: 'ws' });
  const samples: Array<{ messages: number; rssMB: number; heapMB: number; kept: number; dropped: number }> = [];
  s.onEvent((ev) => {
    if (ev.type === 'message' && ev.direction === 'in' && s.stats.messagesIn % step === 0) {
      gc();
      const m = process.memoryUsage();
      samples.push({ messages: s.stats.messagesIn, rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20, kept: s.log.size, dropped: s.log.dropped });
    }
  });
  await s.connect();
  await within(s.closed, 180_000, 'million-event run');
  const cap = DEFAULTS.logCap;
  const log = s.log;
  const full = samples.filter((x) => x.messages >= 2 * cap);
  const rss = full.map((x) => x.rssMB);
  const heap = full.map((x) => x.heapMB);
  const spread = (v: number[]): number => (Math.max(...v) - Math.min(...v)) / median(v);
  const droppedRight = log.size === cap && log.dropped === log.total - cap && log.firstSeq === log.dropped && s.stats.messagesIn === total;
  return {
    id: 'memory-million',
    title: `${fmtNum(total)} × 100 B messages through one session, default cap ${fmtNum(cap)}`,
    series: [
      { variant: 'after ring full', metric: 'RSS', unit: 'MiB', values: rss, higherIsBetter: false },
      { variant: 'after ring full', metric: 'heapUsed', unit: 'MiB', values: heap, higherIsBetter: false },
    ],
    checks: [
      { aim: 'RSS flat (±10%) once the ring is full', measured: `spread ${(spread(rss) * 100).toFixed(1)}% (${rss.map((x) => x.toFixed(0)).join(', ')} MiB at every ${fmtNum(step)})`, met: spread(rss) <= 0.2 },
      { aim: 'heap flat (±10%) once the ring is full', measured: `spread ${(spread(heap) * 100).toFixed(1)}%`, met: spread(heap) <= 0.2 },
      {
        aim: 'dropped counter right',
        measured: `kept ${fmtNum(log.size)}, dropped ${log.dropped} of ${log.total} events pushed (${total} messages + ${log.total - total} other events), oldest kept seq ${log.firstSeq}`,
        met: droppedRight,
      },
    ],
    notes: ['Run first, in a fresh client process: slabs freed by an earlier session stay in the C allocator for reuse (glibc keeps 1 MiB blocks once it has freed some), so RSS after a big session is its high-water mark.'],
    data: { samples },
  };
}
