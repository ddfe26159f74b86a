/**
 * The transport comparison: the same message source (the demo server's ticker, or any
 * server whose messages carry `seq` and `ts`) received over each transport for the same
 * time, measured from each session's own event stream and shown side by side.
 *
 * The transports run concurrently by default: they then see the same messages at the same
 * moments under the same server load, and the whole run takes `durationMs` instead of four
 * times that. On loopback at demo rates the sessions barely compete for CPU; `mode:
 * 'sequential'` is there when they would (large payloads, very high rates, a slow machine).
 */
import type { ComparisonView, DistributionView, TransportComparisonView } from '../shared/protocol';
import type { MessageEvent, TransportKind } from '../shared/events';
import { TRANSPORT_KINDS } from '../shared/events';
import type { Hint } from '../shared/hints';
import { computeHints } from '../shared/hintRules';
import type { AuthConfig, ConnectOptions } from '../shared/options';
import { percentile } from '../shared/stats';
import { throwIfCancelled } from './authMatrix';
import { sleep } from '../transports/clock';
import { createSession, type Session } from '../transports/index';

export interface ComparisonOptions {
  /** One URL per transport to compare; transports without a URL are left out. */
  urls: Partial<Record<TransportKind, string>>;
  /** How long each transport runs once open. */
  durationMs: number;
  /** Short-polling interval. */
  intervalMs: number;
  /**
   * Where HTTP transports send (demo: /send). When set, every transport also sends one
   * small message every `sendEveryMs` (WebSocket over its own socket), to show the cost of
   * the other direction.
   */
  sendUrl?: string;
  /** Default 1000. */
  sendEveryMs?: number;
  /** Default 'concurrent' (see the module comment). */
  mode?: 'concurrent' | 'sequential';
  /** Long-polling cursor. Default: JSON "cursor" sent back as ?cursor= (the demo server's); null for none. */
  cursor?: ConnectOptions['cursor'] | null;
  auth?: AuthConfig;
  /** Connect timeout per transport. Default 10000. */
  timeoutMs?: number;
  insecure?: boolean;
  /** Cancels the run: every session is closed and runComparison rejects with an AbortError. */
  signal?: AbortSignal;
}

export type Distribution = DistributionView;

/**
 * One transport's measurements. The fields are the panel's TransportComparisonView
 * (src/shared/protocol.ts, where each is documented), plus the seq range and full hints.
 */
export interface TransportComparison extends Omit<TransportComparisonView, 'hints'> {
  seqRange?: [number, number];
  /** The trade-off hints for this session, as the panel and CLI show them. */
  hints: Hint[];
}

export interface ComparisonResult extends Omit<ComparisonView, 'rows'> {
  rows: TransportComparison[];
}

const DEFAULT_SEND_EVERY_MS = 1000;
const DEFAULT_CURSOR: NonNullable<ConnectOptions['cursor']> = { from: 'json', path: 'cursor', param: 'cursor' };
const MAIN_PURPOSES = new Set(['poll', 'long-poll', 'sse', 'upgrade']);

export async function runComparison(opts: ComparisonOptions): Promise<ComparisonResult> {
  const kinds = validate(opts);
  const mode = opts.mode ?? 'concurrent';
  const startedAt = Date.now();
  throwIfCancelled(opts.signal, 'The comparison');
  let rows: TransportComparison[];
  if (mode === 'concurrent') rows = await Promise.all(kinds.map((k) => runOne(opts, k)));
  else {
    rows = [];
    for (const k of kinds) {
      throwIfCancelled(opts.signal, 'The comparison');
      rows.push(await runOne(opts, k));
    }
  }
  // Sessions cut short by the cancel measured a shorter run than asked: not reported.
  throwIfCancelled(opts.signal, 'The comparison');
  const notes = [
    mode === 'concurrent'
      ? 'All transports ran at the same time against the same message source, so they saw the same messages under the same conditions.'
      : 'The transports ran one after another, each against a different stretch of the message source.',
    'Latency is receive time minus the payload\'s "ts" (same machine: one clock). Missed counts gaps in "seq" between the first and last message a transport saw.',
    'Bytes per message divide everything the channel put on the wire (HTTP headers both ways, bodies or frames) by the messages delivered; empty polls make it grow.',
  ];
  if (opts.urls.poll) {
    notes.push(
      `Short polling's latency covers only the messages a poll happened to catch: with a periodic source and a ${opts.intervalMs} ms interval it depends on their phase and can look low; a message waits up to one interval, and the "missed" row is what polling really costs.`,
    );
  }
  if (opts.sendUrl) notes.push(`Each transport also sent a message every ${opts.sendEveryMs ?? DEFAULT_SEND_EVERY_MS} ms: HTTP transports as a request to the send URL, WebSocket as a frame.`);
  return { mode, durationMs: opts.durationMs, intervalMs: opts.intervalMs, startedAt, rows, notes };
}

function validate(o: ComparisonOptions): TransportKind[] {
  if (!o || typeof o.urls !== 'object' || o.urls === null) throw new Error('The comparison needs at least one URL, per transport (poll, long-poll, sse, ws).');
  const kinds = TRANSPORT_KINDS.filter((k) => typeof o.urls[k] === 'string' && o.urls[k] !== '');
  const unknown = Object.keys(o.urls).filter((k) => !(TRANSPORT_KINDS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`Unknown transport ${unknown.map((u) => JSON.stringify(u)).join(', ')}: use poll, long-poll, sse or ws.`);
  if (kinds.length === 0) throw new Error('The comparison needs at least one URL, per transport (poll, long-poll, sse, ws).');
  for (const k of kinds) {
    try {
      new URL(o.urls[k]!);
    } catch {
      throw new Error(`The ${k} URL is not valid: ${JSON.stringify(o.urls[k])}.`);
    }
  }
  if (!Number.isFinite(o.durationMs) || o.durationMs <= 0) throw new Error(`The duration must be a positive number of milliseconds, not ${String(o.durationMs)}.`);
  if (!Number.isFinite(o.intervalMs) || o.intervalMs < 0) throw new Error(`The polling interval must be a number of milliseconds ≥ 0, not ${String(o.intervalMs)}.`);
  if (o.sendEveryMs !== undefined && (!Number.isFinite(o.sendEveryMs) || o.sendEveryMs <= 0)) throw new Error(`sendEveryMs must be a positive number of milliseconds, not ${String(o.sendEveryMs)}.`);
  return kinds;
}

async function runOne(o: ComparisonOptions, transport: TransportKind): Promise<TransportComparison> {
  const options: ConnectOptions = {
    url: o.urls[transport]!,
    transport,
    intervalMs: o.intervalMs,
    sendUrl: o.sendUrl,
    auth: o.auth,
    timeoutMs: o.timeoutMs,
    insecure: o.insecure,
    cursor: transport === 'long-poll' ? (o.cursor === null ? undefined : (o.cursor ?? DEFAULT_CURSOR)) : undefined,
    // A resilient client on every transport, so a dropped connection costs a gap, not the run.
    reconnect: { enabled: true },
  };
  const session = createSession(options);
  let error: string | undefined;
  const sends = { messages: 0, failed: 0 };
  const cancel = (): void => void session.close().catch(() => undefined);
  o.signal?.addEventListener('abort', cancel, { once: true });
  // The cancel ends the sleeps below itself: a WebSocket closed cleanly does not abort session.signal.
  const stop = o.signal ? AbortSignal.any([session.signal, o.signal]) : session.signal;
  try {
    await session.connect();
    const until = session.now() + o.durationMs;
    if (o.sendUrl) {
      const every = o.sendEveryMs ?? DEFAULT_SEND_EVERY_MS;
      for (let n = 1; session.now() + every <= until; n++) {
        await sleep(every, stop);
        if (session.state === 'closed' || stop.aborted) break;
        try {
          await session.send(JSON.stringify({ kind: 'compare-send', from: transport, n }));
          sends.messages++;
        } catch {
          // Logged by the session; the comparison shows it as a failed send.
          sends.failed++;
        }
      }
    }
    await sleep(Math.max(0, until - session.now()), stop);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    o.signal?.removeEventListener('abort', cancel);
    await session.close().catch(() => undefined);
  }
  return measure(session, options, error, o.sendUrl ? sends : undefined);
}

function measure(session: Session, options: ConnectOptions, error: string | undefined, sends: { messages: number; failed: number } | undefined): TransportComparison {
  const events = [...session.log];
  const transport = options.transport;
  const wallStart = session.wallStart;
  const purpose = new Map<number, string>();
  let requests = 0;
  let useless = 0;
  let headerBytes = 0;
  let bodyBytes = 0;
  let payloadBytes = 0;
  let messagesIn = 0;
  let connections = 0;
  let sendWire = 0;
  let sendRequests = 0;
  const seqs = new Set<number>();
  const latencies: number[] = [];
  const gaps: number[] = [];
  let lastAnswerT: number | undefined;

  for (const ev of events) {
    switch (ev.type) {
      case 'error':
        // A session that died mid-run is reported as failed, with what it measured until then.
        if (ev.fatal && error === undefined) error = ev.message;
        break;
      case 'request':
        purpose.set(ev.requestId, ev.purpose);
        if (MAIN_PURPOSES.has(ev.purpose)) {
          requests++;
          headerBytes += ev.headerBytes + ev.bodyBytes;
          // Short polling: the time between an answer and the next poll is time nobody listens.
          if (transport === 'poll' && lastAnswerT !== undefined) gaps.push(ev.t - lastAnswerT);
        } else if (ev.purpose === 'send') {
          sendRequests++;
          sendWire += ev.headerBytes + ev.bodyBytes;
        }
        break;
      case 'response': {
        const p = purpose.get(ev.requestId);
        if (p && MAIN_PURPOSES.has(p)) headerBytes += ev.headerBytes;
        else if (p === 'send') sendWire += ev.headerBytes;
        break;
      }
      case 'timing': {
        const p = purpose.get(ev.requestId);
        if (!ev.reusedSocket && p !== 'token') connections++;
        // Polling bodies are counted from the socket; SSE and WebSocket bodies from their frames below.
        if ((p === 'poll' || p === 'long-poll') && ev.bodyWireBytes !== undefined) bodyBytes += ev.bodyWireBytes;
        else if (p === 'send' && ev.bodyWireBytes !== undefined) sendWire += ev.bodyWireBytes;
        break;
      }
      case 'poll':
        if (ev.outcome === 'unchanged' || ev.outcome === 'timeout') useless++;
        if (transport === 'long-poll' && ev.gapMs !== undefined) gaps.push(ev.gapMs);
        lastAnswerT = ev.t;
        break;
      case 'message':
        if (ev.direction === 'in') {
          messagesIn++;
          const f = sourceFields(ev);
          // Stream bodies are counted from their frames (SSE fields, WebSocket headers); the HTTP share is in the headers.
          const bytes = transport === 'sse' || transport === 'ws' ? ev.size + (ev.overheadBytes ?? 0) : 0;
          if (!f && transport === 'ws' && sends) {
            // The server's answers to our sends (the demo echoes) belong to the send direction.
            sendWire += bytes;
            break;
          }
          payloadBytes += ev.size;
          bodyBytes += bytes;
          if (f) {
            seqs.add(f.seq);
            if (f.ts !== undefined) latencies.push(wallStart + ev.t - f.ts);
          }
        } else if (transport === 'ws') {
          sendWire += ev.size + (ev.overheadBytes ?? 0);
        }
        break;
      case 'comment':
        // ": text\n\n" on the stream (heartbeats).
        if (transport === 'sse') bodyBytes += ev.text.length + 4;
        break;
      case 'ping':
      case 'pong':
        if (transport === 'ws') bodyBytes += ev.size + (ev.direction === 'out' ? 6 : 2);
        break;
      case 'reconnect':
        if (transport !== 'long-poll' && transport !== 'poll') gaps.push(ev.delayMs);
        break;
      default:
        break;
    }
  }

  let missed = 0;
  let seqRange: [number, number] | undefined;
  if (seqs.size > 0) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of seqs) {
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    seqRange = [lo, hi];
    missed = hi - lo + 1 - seqs.size;
  }
  const delivered = seqs.size;
  const wireBytes = headerBytes + bodyBytes;
  const per = (n: number) => (delivered > 0 ? Math.round((n / delivered) * 10) / 10 : undefined);
  const first = events[0]?.t ?? 0;
  const last = events[events.length - 1]?.t ?? 0;
  return {
    transport,
    url: session.redactUrl(options.url),
    ok: error === undefined,
    error,
    ranMs: Math.round(last - first),
    delivered,
    messagesIn,
    missed,
    seqRange,
    latencyMs: distribution(latencies),
    requests,
    uselessRequests: useless,
    wireBytes,
    payloadBytes,
    bytesPerMessage: per(wireBytes),
    payloadBytesPerMessage: per(payloadBytes),
    overheadBytesPerMessage: per(wireBytes - payloadBytes),
    reconnects: session.stats.reconnects,
    gapMs: distribution(gaps),
    connections,
    sends: sends && {
      ...sends,
      wireBytes: sendWire,
      requests: sendRequests,
      bytesPerSend: sends.messages > 0 ? Math.round((sendWire / sends.messages) * 10) / 10 : undefined,
    },
    hints: computeHints({ stats: session.stats, options, events }),
  };
}

/** `seq` and `ts` of a source message (the demo ticker's shape), parsed after the run, never on the receive path. */
function sourceFields(ev: MessageEvent): { seq: number; ts?: number } | undefined {
  if (ev.binary || typeof ev.data !== 'string' || ev.data.charCodeAt(0) !== 123 /* { */) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(ev.data);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { seq?: unknown; ts?: unknown };
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq)) return undefined;
  // Only epoch milliseconds: anything else would give nonsense latencies.
  const ts = typeof o.ts === 'number' && o.ts > 1e12 && o.ts < 1e14 ? o.ts : undefined;
  return { seq: o.seq, ts };
}

function distribution(samples: number[]): Distribution {
  if (samples.length === 0) return { samples: 0 };
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(percentile(samples, 50)), p95: r(percentile(samples, 95)), p99: r(percentile(samples, 99)), samples: samples.length };
}

// ---------------------------------------------------------------------------------------
// Plain-text table for the CLI: one column per transport, one line per measurement.

export function formatComparisonTable(result: ComparisonResult): string {
  const rows = result.rows;
  const fmt = (n: number | undefined, unit = '') => (n === undefined ? '–' : `${Number.isInteger(n) ? n : n.toFixed(1)}${unit}`);
  const dist = (d: Distribution) => (d.samples === 0 ? '–' : `${fmt(d.p50)} / ${fmt(d.p95)} / ${fmt(d.p99)}`);
  const lines: Array<[string, (r: TransportComparison) => string]> = [
    ['messages delivered', (r) => String(r.delivered)],
    ['missed (seq gaps)', (r) => String(r.missed)],
    ['latency p50/p95/p99 ms', (r) => dist(r.latencyMs)],
    ['requests (useless)', (r) => `${r.requests} (${r.uselessRequests})`],
    ['bytes/message', (r) => fmt(r.bytesPerMessage)],
    ['  payload + overhead', (r) => (r.bytesPerMessage === undefined ? '–' : `${fmt(r.payloadBytesPerMessage)} + ${fmt(r.overheadBytesPerMessage)}`)],
    ['reconnects', (r) => String(r.reconnects)],
    ['gap p50/p95 ms', (r) => (r.gapMs.samples === 0 ? '–' : `${fmt(r.gapMs.p50)} / ${fmt(r.gapMs.p95)}`)],
    ['connections', (r) => String(r.connections)],
  ];
  if (rows.some((r) => r.sends)) {
    lines.push(['sends (bytes/send)', (r) => (r.sends ? `${r.sends.messages}${r.sends.failed ? ` +${r.sends.failed} failed` : ''} (${fmt(r.sends.bytesPerSend)})` : '–')]);
  }
  lines.push(['hints', (r) => (r.ok ? String(r.hints.length) : 'failed')]);
  const header = ['', ...rows.map((r) => r.transport)];
  const table = [header, ...lines.map(([label, f]) => [label, ...rows.map(f)])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const render = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[0]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [
    `Transport comparison: ${result.rows.length} transport${result.rows.length === 1 ? '' : 's'}, ${(result.durationMs / 1000).toFixed(1)} s each, ${result.mode}; short-poll interval ${result.intervalMs} ms`,
    '',
    render(table[0]),
    render(widths.map((w) => '-'.repeat(w))),
    ...table.slice(1).map(render),
  ];
  const failed = rows.filter((r) => !r.ok);
  if (failed.length) out.push('', ...failed.map((r) => `${r.transport}: ${r.error}`));
  out.push('', ...result.notes.map((n) => `• ${n}`));
  return out.join('\n');
}
