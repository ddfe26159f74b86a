/**
 * Trade-off hints: pure rules over one session's options, running statistics and (when
 * given) its event stream. The CLI and the panel both call `computeHints`, so they show the
 * same hints with the same numbers. Every rule is one function for one concern; it returns
 * a hint whose message quotes the measured numbers it fired on, or nothing.
 *
 * Rules run on demand, off the receive path: they may parse payloads (for `seq` and `ts`),
 * but only the most recent PAYLOAD_SCAN_CAP incoming messages, so a long session stays cheap.
 */
import type { InspectorEvent, MessageEvent, TransportKind } from './events';
import type { Hint } from './hints';
import { DEFAULTS, type ConnectOptions } from './options';
import { percentile, type SessionStats } from './stats';

export interface HintInput {
  stats: SessionStats;
  options: ConnectOptions;
  /** The session's events (its log); several rules need timings only the stream has. */
  events?: Iterable<InspectorEvent>;
  context?: { otherWsSessionsToSameHost?: number };
  /** Overrides for the thresholds below (a proxy with a 100 s idle timeout, tests with short runs). */
  thresholds?: Partial<HintThresholds>;
}

/**
 * Every threshold a rule compares against, with why it sits where it does. Override any of
 * them per call through `HintInput.thresholds`.
 */
export const HINT_THRESHOLDS = {
  /** Fewer polls than this say nothing about a pattern: one quiet minute is not a trend. */
  minPolls: 10,
  /** Half the polls empty: at that point every useful answer costs two requests. */
  emptyPollShare: 0.5,
  /** Consecutive data answers needed before judging skipped updates. */
  minDataPairs: 3,
  /** One data answer in five hiding more than one change: the interval is systematically too long, not jitter. */
  skippedPairShare: 0.2,
  /** Timestamp-only payloads: data younger than this share of the interval on arrival changes faster than the polls. */
  freshAgeShareOfInterval: 0.25,
  /** Data polls needed before the timestamp estimate is trusted. */
  minFreshSamples: 5,
  /** Updates this many intervals apart on average are rare: most polls cannot find anything. */
  rareUpdateFactor: 5,
  /** Coefficient of variation of the time between updates; 1 is a random (Poisson) source, a timer is near 0. */
  irregularCv: 0.8,
  /** Gaps between updates needed to judge regularity. */
  minUpdateGaps: 5,
  /** More than one message a second over long polling: the per-request HTTP cost repeats that often. */
  frequentRatePerSec: 1,
  /** Share of wire bytes that is HTTP headers before the cost is worth a hint. */
  overheadShare: 0.25,
  /** Messages needed before judging per-message cost. */
  minMessages: 10,
  /** Re-request gaps needed before quoting p50/p95. */
  minGapSamples: 3,
  /** A p95 gap this long (a WAN round trip) leaves room for updates to land while nobody listens. */
  gapWarnMs: 100,
  /**
   * Requests held longer than this risk the proxy idle timeouts: AWS ALB idles out at 60 s by
   * default, nginx proxy_read_timeout is 60 s, Heroku's router 55 s; 30 s leaves a margin.
   */
  proxyIdleSafeMs: 30_000,
  /** A long poll that failed after being held this long was most likely cut by something in between, not refused. */
  cutOffMinHeldMs: 1_000,
  /** SSE events needed before judging ids or bursts. */
  minSseEvents: 3,
  /** Share of SSE events without an id before resume is called broken. */
  noIdShare: 0.5,
  /** Messages this close together arrived in one read: one flush of a buffer. */
  burstGapMs: 15,
  /** A burst is at least this many messages. */
  burstMinSize: 3,
  /** Silence before a burst long enough to look like a buffer filling (a live stream has no such pause). */
  burstSilenceMs: 1_000,
  /** Bursts needed before calling it buffering rather than a one-off batch. */
  minBursts: 2,
  /** Share of all messages that arrived in bursts. */
  burstShare: 0.5,
  /** Client sends over separate HTTP requests: at least this many ... */
  minSends: 5,
  /** ... at this rate or more (one every two seconds) before a two-way transport pays off. */
  sendRatePerSec: 0.5,
  /** One-way WebSocket: messages in before judging. */
  oneWayMinMessages: 20,
  /** One-way WebSocket: observed time before judging (a client may send rarely). */
  oneWayMinObservedMs: 10_000,
  /** Silence without ping/pong past this risks proxy idle timeouts (same reasoning as proxyIdleSafeMs). */
  wsIdleMs: 30_000,
  /** WebSocket connections to one host from one workspace before suggesting to share one. */
  wsConnectionsToSameHost: 2,
} as const;

export type HintThresholds = { -readonly [K in keyof typeof HINT_THRESHOLDS]: number };

/** Only the most recent incoming messages are parsed for `seq`/`ts`: bounded cost per call. */
export const PAYLOAD_SCAN_CAP = 5_000;

/** What a rule sees. `derived` computes event-based measurements once, on first use. */
export interface HintContext {
  stats: SessionStats;
  options: ConnectOptions;
  transport: TransportKind;
  th: HintThresholds;
  otherWsSessionsToSameHost: number;
  /** Undefined when the caller passed no events: event-based rules fall back to stats or stay quiet. */
  derived: Derived | undefined;
}

export type HintRule = (ctx: HintContext) => Hint | undefined;

export function computeHints(input: HintInput): Hint[] {
  const transport = input.options.transport ?? input.stats.transport;
  const ctx: HintContext = {
    stats: input.stats,
    options: input.options,
    transport,
    th: { ...HINT_THRESHOLDS, ...input.thresholds },
    otherWsSessionsToSameHost: input.context?.otherWsSessionsToSameHost ?? 0,
    derived: input.events ? new Derived(Array.isArray(input.events) ? (input.events as InspectorEvent[]) : [...input.events]) : undefined,
  };
  const out: Hint[] = [];
  for (const rule of HINT_RULES) {
    try {
      const h = rule(ctx);
      if (h) out.push(h);
    } catch {
      // A rule tripping over odd input must not hide the others.
    }
  }
  const rank = { risk: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

// ---------------------------------------------------------------------------------------
// Short polling

export const pollMostlyEmpty: HintRule = ({ stats, transport, th }): Hint | undefined => {
  if (transport !== 'poll' || stats.polls < th.minPolls) return undefined;
  const empty = stats.pollsUnchanged + stats.pollsTimeout;
  const share = empty / stats.polls;
  if (share < th.emptyPollShare) return undefined;
  return {
    id: 'poll.mostly-empty',
    severity: 'warning',
    transport: 'poll',
    message: `${pct(share)} of polls returned nothing new (${empty} of ${stats.polls}): long polling or SSE would remove them.`,
    numbers: { emptyPolls: empty, polls: stats.polls, emptyShare: round(share, 3) },
    why: 'Each empty poll is a full HTTP request and response (headers, often a TLS record, server work) that carries no data; the server pays for every client every interval.',
    suggestion: 'Let the server push: long polling answers only when there is news, SSE keeps one response open. If you stay with polling, lengthen the interval or use conditional requests (ETag/304) so empty answers are small.',
  };
};

export const pollSkippedUpdates: HintRule = ({ transport, options, th, derived, stats }): Hint | undefined => {
  if (transport !== 'poll' || !derived) return undefined;
  const interval = options.intervalMs ?? DEFAULTS.intervalMs;
  const seq = derived.seqTrack();
  if (seq.pairs >= th.minDataPairs) {
    const share = seq.pairsWithGap / seq.pairs;
    if (share < th.skippedPairShare) return undefined;
    return {
      id: 'poll.skipped-updates',
      severity: 'warning',
      transport: 'poll',
      message: `The data changed more than once between polls in ${seq.pairsWithGap} of ${seq.pairs} answers (seq jumped; ${seq.skipped} updates never seen): polling every ${fmtMs(interval)} does not give real time.`,
      numbers: { pairsWithGap: seq.pairsWithGap, pairs: seq.pairs, skippedUpdates: seq.skipped, intervalMs: interval },
      why: 'A poll sees only the state at the moment it runs: every change in between is overwritten before anyone reads it, and the newest change waits up to a whole interval.',
      suggestion: 'If every update matters, ask for everything since a cursor (?since=N), or switch to SSE or WebSocket; shortening the interval only narrows the window and multiplies requests.',
    };
  }
  // No sequence numbers: estimate the change rate from how fresh the data is on arrival.
  const ages = derived.dataAges();
  if (ages.length < th.minFreshSamples || stats.polls === 0 || stats.pollsWithData / stats.polls < 0.9) return undefined;
  const age = percentile(ages, 50);
  if (!(age >= 0) || age > interval * th.freshAgeShareOfInterval) return undefined;
  const perPoll = Math.max(2, Math.round(interval / Math.max(1, 2 * age)));
  return {
    id: 'poll.skipped-updates',
    severity: 'warning',
    transport: 'poll',
    message: `Every poll found new data and it was only ${fmtMs(age)} old on arrival (median, from the payload's timestamp) while you poll every ${fmtMs(interval)}: the data changes about ${perPoll} times per poll, and all but the last change are skipped.`,
    numbers: { medianAgeMs: round(age, 1), intervalMs: interval, estimatedChangesPerPoll: perPoll, dataPolls: stats.pollsWithData, polls: stats.polls },
    why: 'Data that is always fresh when a poll arrives changes faster than you poll; the interval decides what you see, not the source.',
    suggestion: 'Stream the updates (SSE or WebSocket), or ask for everything since the last timestamp if the API allows it.',
  };
};

export const pollRareOrIrregular: HintRule = ({ stats, transport, options, th }): Hint | undefined => {
  if (transport !== 'poll' || stats.polls < th.minPolls) return undefined;
  const interval = options.intervalMs ?? DEFAULTS.intervalMs;
  const arrivals = stats.arrivalsT;
  const observed = observedMs(stats);
  if (arrivals.length <= 1) {
    // Not a pattern yet unless the session ran many intervals.
    if (observed < interval * th.rareUpdateFactor) return undefined;
    return {
      id: 'poll.rare-or-irregular',
      severity: 'info',
      transport: 'poll',
      message: `Only ${arrivals.length} update${arrivals.length === 1 ? '' : 's'} in ${stats.polls} polls over ${fmtMs(observed)}: at an interval of ${fmtMs(interval)} nearly every request is wasted.`,
      numbers: { updates: arrivals.length, polls: stats.polls, observedMs: Math.round(observed), intervalMs: interval },
      why: 'When updates are rare, the polling interval is far shorter than the time between changes; the client pays for the interval, not for the data.',
      suggestion: 'Let the server tell you when something changes (long polling or SSE), or poll much less often if a delay is acceptable.',
    };
  }
  const gaps: number[] = [];
  for (let i = 1; i < arrivals.length; i++) gaps.push(arrivals[i] - arrivals[i - 1]);
  if (gaps.length < th.minUpdateGaps) return undefined;
  const m = mean(gaps);
  const cv = m > 0 ? stddev(gaps, m) / m : 0;
  const rare = m >= th.rareUpdateFactor * interval;
  // Irregular only matters when updates are slower than the polls (otherwise every poll finds data anyway).
  const irregular = cv >= th.irregularCv && m >= 1.5 * interval;
  if (!rare && !irregular) return undefined;
  const what = rare && irregular ? 'rare and irregular' : rare ? 'rare' : 'irregular';
  return {
    id: 'poll.rare-or-irregular',
    severity: 'info',
    transport: 'poll',
    message: `Updates are ${what} relative to the ${fmtMs(interval)} interval: ${fmtMs(m)} apart on average (variation ${round(cv, 2)}, ${gaps.length} gaps), so most polls are wasted and no fixed interval fits.`,
    numbers: { meanUpdateGapMs: Math.round(m), cv: round(cv, 2), gaps: gaps.length, intervalMs: interval },
    why: 'A fixed interval suits a source that changes on a timer. Rare or random changes mean either many empty polls or long delays, whatever interval you pick.',
    suggestion: 'Use a push transport (long polling or SSE) so the client hears about a change when it happens; keep polling only for cheap, cacheable resources.',
  };
};

// ---------------------------------------------------------------------------------------
// Long polling

export const longPollFrequentMessages: HintRule = ({ stats, transport, th, derived }): Hint | undefined => {
  if (transport !== 'long-poll' || stats.messagesIn < th.minMessages) return undefined;
  const observed = observedMs(stats);
  if (observed <= 0) return undefined;
  const rate = (stats.messagesIn * 1000) / observed;
  if (rate < th.frequentRatePerSec) return undefined;
  // Needs the exchanges: the stats' overhead totals mix per-message shares with header counts.
  if (!derived) return undefined;
  const c = derived.httpCost('long-poll');
  const headerBytes = c.requestHeaderBytes + c.responseHeaderBytes;
  const requests = c.requests;
  const perMsg = headerBytes / stats.messagesIn;
  const payload = stats.payloadBytesIn / stats.messagesIn;
  const share = perMsg / (perMsg + payload);
  if (share < th.overheadShare) return undefined;
  const sse = sseOverheadEstimate(stats.messagesIn);
  const ws = wsFrameHeader(payload);
  return {
    id: 'long-poll.frequent-messages',
    severity: share >= 0.5 ? 'warning' : 'info',
    transport: 'long-poll',
    message: `${round(rate, 1)} messages/s over long polling cost ${Math.round(perMsg)} bytes of HTTP headers each (${pct(share)} of the wire bytes; payload ${Math.round(payload)} bytes, ${requests} requests): SSE would add about ${sse} bytes per message, WebSocket ${ws}.`,
    numbers: { ratePerSec: round(rate, 2), overheadBytesPerMessage: Math.round(perMsg), payloadBytesPerMessage: Math.round(payload), overheadShare: round(share, 3), requests, messages: stats.messagesIn, sseOverheadBytes: sse, wsOverheadBytes: ws },
    why: 'Every long-poll answer ends the request: the next message needs a new request line, a full set of request and response headers (cookies included) and a round trip.',
    suggestion: 'At this rate keep the response open: SSE sends each message as a few lines on one response, WebSocket as a small frame. If you must long-poll, let the server batch messages into each answer.',
  };
};

export const longPollReconnectGap: HintRule = ({ stats, transport, options, th, derived }): Hint | undefined => {
  if (transport !== 'long-poll') return undefined;
  const gaps = derived ? derived.pollGaps() : stats.gapMs;
  if (gaps.length < th.minGapSamples) return undefined;
  const p50 = percentile(gaps, 50);
  const p95 = percentile(gaps, 95);
  const lost = derived ? derived.seqTrack().skipped : 0;
  const cursor = options.cursor !== undefined;
  if (lost === 0 && p95 < th.gapWarnMs) return undefined;
  const gapText = `the client was not listening for ${fmtMs(p50)} (p50) / ${fmtMs(p95)} (p95) between long polls (${gaps.length} re-requests)`;
  let message: string;
  let severity: Hint['severity'];
  if (lost > 0) {
    severity = 'risk';
    message = `${cap(gapText)}, and ${lost} updates were lost (gaps in seq)${cursor ? ' although a cursor is set: the server does not keep enough history' : ': no cursor is set, so the server cannot hand over what was published meanwhile'}.`;
  } else if (!cursor) {
    severity = 'warning';
    message = `${cap(gapText)}, with no cursor: updates published in that gap wait or are lost unless the server queues them per client.`;
  } else {
    severity = 'info';
    message = `${cap(gapText)}; a cursor is set and no seq gap showed, so the server queued what arrived meanwhile (each gap still adds up to ${fmtMs(p95)} of latency).`;
  }
  return {
    id: 'long-poll.reconnect-gap',
    severity,
    transport: 'long-poll',
    message,
    numbers: { gapP50Ms: round(p50, 1), gapP95Ms: round(p95, 1), reRequests: gaps.length, lostUpdates: lost, cursor: cursor ? 'yes' : 'no' },
    why: 'Between one answer and the next request reaching the server, nobody is waiting: the server must keep what arrives in that window (a cursor or per-client queue), or it is gone.',
    suggestion: cursor ? 'Keep the server history at least a few gaps long; SSE with ids or WebSocket avoid the gap altogether.' : 'Send a cursor (last seq or id) with each request so the server can hand over what you missed, or use SSE with ids, which resumes by itself.',
  };
};

export const longPollHeldPastProxyTimeout: HintRule = ({ stats, transport, th }): Hint | undefined => {
  if (transport !== 'long-poll' || stats.heldMs.length === 0) return undefined;
  const max = Math.max(...stats.heldMs);
  if (max <= th.proxyIdleSafeMs) return undefined;
  const over = stats.heldMs.filter((h) => h > th.proxyIdleSafeMs).length;
  return {
    id: 'long-poll.held-past-proxy-timeout',
    severity: 'warning',
    transport: 'long-poll',
    message: `${over} of ${stats.heldMs.length} long polls were held longer than ${fmtMs(th.proxyIdleSafeMs)} (up to ${fmtMs(max)}): proxies cut idle requests (AWS ALB default 60 s, nginx proxy_read_timeout 60 s).`,
    numbers: { heldOver: over, polls: stats.heldMs.length, maxHeldMs: Math.round(max), thresholdMs: th.proxyIdleSafeMs },
    why: 'A held request sends no bytes, so every proxy and load balancer on the path sees an idle connection and may answer 504 or reset it before the server does.',
    suggestion: 'Have the server answer (204 or an empty list) well before the shortest idle timeout on the path, e.g. after 20–25 s, and let the client re-request.',
  };
};

export const longPollCutOffEarly: HintRule = ({ transport, th, derived }): Hint | undefined => {
  if (transport !== 'long-poll' || !derived) return undefined;
  const cut = derived.cutPolls(th.cutOffMinHeldMs);
  if (cut.length === 0) return undefined;
  const helds = cut.map((c) => c.heldMs);
  return {
    id: 'long-poll.cut-off-early',
    severity: 'warning',
    transport: 'long-poll',
    message: `${cut.length} long poll${cut.length === 1 ? ' was' : 's were'} cut off after being held ${fmtRange(Math.min(...helds), Math.max(...helds))} (${[...new Set(cut.map((c) => c.reason))].join(', ')}): something on the path ends idle requests before the server answers.`,
    numbers: { cutPolls: cut.length, minHeldMs: Math.round(Math.min(...helds)), maxHeldMs: Math.round(Math.max(...helds)) },
    why: 'A proxy or load balancer idle timeout shorter than the server\'s hold turns every quiet period into an error and a reconnect.',
    suggestion: 'Make the server answer before that time (a hold a few seconds shorter than the cut), or raise the proxy\'s idle/read timeout for this route.',
  };
};

function differentBackends(transport: 'poll' | 'long-poll'): HintRule {
  return ({ stats, transport: t }): Hint | undefined => {
    if (t !== transport) return undefined;
    const byHeader = new Map<string, string[]>();
    for (const b of stats.backends) {
      const i = b.indexOf(': ');
      if (i < 0) continue;
      const name = b.slice(0, i);
      // Request ids differ on every response by design; they name requests, not backends.
      if (/request-id$/.test(name)) continue;
      const list = byHeader.get(name) ?? [];
      list.push(b.slice(i + 2));
      byHeader.set(name, list);
    }
    let best: [string, string[]] | undefined;
    for (const e of byHeader) if (e[1].length > 1 && (!best || e[1].length > best[1].length)) best = e;
    if (!best) return undefined;
    const [name, values] = best;
    const shown = values.slice(0, 4).join(', ') + (values.length > 4 ? ', …' : '');
    return {
      id: `${transport}.different-backends`,
      severity: 'warning',
      transport,
      message: `Responses came from ${values.length} different backends (${name}: ${shown}): stateful ${transport === 'poll' ? 'polling' : 'long polling'} needs sticky sessions or shared storage.`,
      numbers: { backends: values.length, header: name },
      why: 'If one backend holds the client\'s queue, cursor or subscription, the next request landing on another backend sees none of it: duplicates, gaps or errors.',
      suggestion: 'Enable load-balancer affinity (a cookie the client sends back) or keep per-client state in shared storage (Redis, a database) every backend reads.',
    };
  };
}
export const pollDifferentBackends = differentBackends('poll');
export const longPollDifferentBackends = differentBackends('long-poll');

// ---------------------------------------------------------------------------------------
// Server-Sent Events

export const sseHttp1ConnectionLimit: HintRule = ({ stats, transport, derived }): Hint | undefined => {
  if (transport !== 'sse') return undefined;
  const version = derived?.mainResponse()?.httpVersion ?? Object.keys(stats.httpVersions)[0];
  if (!version || !version.startsWith('1')) return undefined;
  return {
    id: 'sse.http1-connection-limit',
    severity: 'info',
    transport: 'sse',
    message: `The stream runs over HTTP/${version}: browsers allow about 6 concurrent connections per host, and each open stream holds one (a 7th tab or stream to this host waits); HTTP/2 lifts that limit.`,
    numbers: { httpVersion: version, browserConnectionsPerHost: 6 },
    why: 'Over HTTP/1.1 an EventSource occupies a whole connection for as long as it is open; with several tabs, the page\'s own requests queue behind the streams.',
    suggestion: 'Serve the stream over HTTP/2 (or HTTP/3) so streams share one connection, or share one stream between tabs (SharedWorker, BroadcastChannel).',
  };
};

export const sseNoEventIds: HintRule = ({ stats, transport, th }): Hint | undefined => {
  if (transport !== 'sse') return undefined;
  const total = stats.sseWithId + stats.sseWithoutId;
  if (total < th.minSseEvents) return undefined;
  const share = stats.sseWithoutId / total;
  if (share < th.noIdShare) return undefined;
  return {
    id: 'sse.no-event-ids',
    severity: 'warning',
    transport: 'sse',
    message: `${stats.sseWithoutId} of ${total} events had no id: field: after a reconnect the client cannot send Last-Event-ID, so nothing can resume and events sent meanwhile are lost.`,
    numbers: { withoutId: stats.sseWithoutId, events: total, noIdShare: round(share, 3) },
    why: 'EventSource reconnects by itself and sends the last id it saw; without ids the server cannot tell where the client stopped.',
    suggestion: 'Send an id: line with every event (a sequence number or offset) and replay from Last-Event-ID on reconnect.',
  };
};

export const sseBufferedBursts: HintRule = ({ transport, th, derived }): Hint | undefined => {
  if (transport !== 'sse' || !derived) return undefined;
  const b = derived.bursts(th);
  if (b.messages < th.minSseEvents || b.bursts.length < th.minBursts) return undefined;
  const inBursts = b.bursts.reduce((n, x) => n + x.size, 0);
  const share = inBursts / b.messages;
  if (share < th.burstShare) return undefined;
  const silence = percentile(
    b.bursts.map((x) => x.silenceMs),
    50,
  );
  const spread = b.bursts.filter((x) => x.serverSpreadMs !== undefined).map((x) => x.serverSpreadMs as number);
  const confirm = spread.length ? `; the server stamped them ${fmtMs(percentile(spread, 50))} apart (median), so they were held on the way` : '';
  return {
    id: 'sse.buffered-bursts',
    severity: 'warning',
    transport: 'sse',
    message: `${inBursts} of ${b.messages} events arrived in ${b.bursts.length} bursts after ${fmtMs(silence)} of silence (median)${confirm}: a proxy or compression is buffering the stream.`,
    numbers: { eventsInBursts: inBursts, events: b.messages, bursts: b.bursts.length, medianSilenceMs: Math.round(silence), ...(spread.length ? { medianServerSpreadMs: Math.round(percentile(spread, 50)) } : {}) },
    why: 'A buffering proxy (nginx proxy_buffering, a CDN) or gzip collects small writes until a buffer fills, so events that were sent over time arrive together, late.',
    suggestion: 'Send "X-Accel-Buffering: no" and "Cache-Control: no-cache" on the stream, turn off proxy buffering and compression for text/event-stream, and flush after each event.',
  };
};

export const sseCorsMissing: HintRule = ({ transport, options, stats, derived }): Hint | undefined => {
  if (transport !== 'sse') return undefined;
  const res = derived?.mainResponse();
  const status = res?.status;
  if (status !== undefined && (status < 200 || status > 299)) return undefined;
  const headers = res ? lowerMap(res.headers) : stats.firstResponseHeaders;
  if (!res && stats.responses === 0) return undefined;
  const acao = headers['access-control-allow-origin'];
  let target: string;
  try {
    target = new URL(options.url).origin;
  } catch {
    return undefined;
  }
  const origin = (options.headers ?? []).find(([k]) => k.toLowerCase() === 'origin')?.[1];
  const withCredentials = options.auth?.method === 'cookie' || (options.headers ?? []).some(([k]) => k.toLowerCase() === 'cookie');
  const crossOrigin = origin !== undefined && origin !== target;
  let problem: string | undefined;
  if (acao === undefined) problem = 'the stream has no Access-Control-Allow-Origin header';
  else if (crossOrigin && acao !== '*' && acao !== origin) problem = `Access-Control-Allow-Origin is "${acao}", not ${origin}`;
  else if (withCredentials && acao === '*' && (origin === undefined || crossOrigin)) problem = 'Access-Control-Allow-Origin is "*", which browsers refuse for a stream sent with cookies (withCredentials)';
  if (!problem) return undefined;
  return {
    id: 'sse.cors-missing',
    severity: crossOrigin ? 'warning' : 'info',
    transport: 'sse',
    message: crossOrigin ? `Opened as origin ${origin}, but ${problem}: a browser page there would be refused.` : `${cap(problem)}: a browser page served from any origin other than ${target} would be refused.`,
    numbers: { acao: acao ?? '(none)', target, ...(origin ? { origin } : {}) },
    why: 'EventSource is subject to CORS: a cross-origin stream must name the page\'s origin (or "*" without credentials) in Access-Control-Allow-Origin; the inspector is not a browser, so it connected anyway.',
    suggestion: `Have the server send "Access-Control-Allow-Origin: <page origin>"${withCredentials ? ' and "Access-Control-Allow-Credentials: true"' : ''} on the stream response, or serve the page and the stream from one origin.`,
  };
};

/** Headers EventSource sends by itself (or the browser does): everything else needs a header the API cannot set. */
const EVENTSOURCE_HEADERS = new Set(['accept', 'cache-control', 'last-event-id', 'user-agent', 'origin', 'cookie', 'referer', 'accept-language', 'accept-encoding', 'pragma']);

export const sseHeaderAuth: HintRule = ({ transport, options, stats }): Hint | undefined => {
  if (transport !== 'sse') return undefined;
  const auth = options.auth;
  const custom = (options.headers ?? []).map(([k]) => k).filter((k) => !EVENTSOURCE_HEADERS.has(k.toLowerCase()));
  let needed: string | undefined;
  if (auth?.method === 'bearer') needed = 'an Authorization: Bearer header';
  else if (auth?.method === 'header') needed = `a "${auth.name}" header`;
  else if (auth?.method === 'token-url' && (auth.placement ?? 'bearer') === 'bearer') needed = 'an Authorization: Bearer header (token from the token endpoint)';
  else if (custom.length) needed = `custom header${custom.length > 1 ? 's' : ''} ${custom.map((c) => `"${c}"`).join(', ')}`;
  if (!needed) return undefined;
  const opened = (stats.statusClasses['2xx'] ?? 0) > 0;
  return {
    id: 'sse.header-auth',
    severity: 'warning',
    transport: 'sse',
    message: `This stream ${opened ? 'was opened with' : 'was requested with'} ${needed}: the browser EventSource API cannot send request headers.`,
    numbers: { authMethod: auth?.method ?? 'none', customHeaders: custom.length },
    why: 'new EventSource(url) only sends cookies (with withCredentials) and Last-Event-ID; a browser client must put the credential somewhere else, or drop EventSource for fetch() streaming.',
    suggestion: 'Use a cookie (HttpOnly, Secure, SameSite) or a short-lived token in the URL (it lands in logs: keep it single-use and brief), or read the stream with fetch() and a ReadableStream, which can send headers.',
  };
};

function separateSendRequests(transport: 'sse' | 'poll' | 'long-poll'): HintRule {
  return ({ stats, transport: t, th, derived }): Hint | undefined => {
    if (t !== transport || stats.sendRequests < th.minSends) return undefined;
    const observed = observedMs(stats);
    if (observed <= 0) return undefined;
    const rate = (stats.sendRequests * 1000) / observed;
    if (rate < th.sendRatePerSec) return undefined;
    const cost = derived?.httpCost('send');
    const perSend = cost && cost.requests > 0 ? (cost.requestHeaderBytes + cost.responseHeaderBytes) / cost.requests : undefined;
    const avgOut = stats.messagesOut > 0 ? stats.payloadBytesOut / stats.messagesOut : 0;
    const ws = wsFrameHeader(avgOut, true);
    return {
      id: `${transport}.separate-send-requests`,
      severity: 'info',
      transport,
      message: `The client sent ${stats.sendRequests} messages as separate HTTP requests (${round(rate, 2)}/s${perSend !== undefined ? `, ${Math.round(perSend)} bytes of HTTP headers each` : ''}): WebSocket would carry both directions on one connection with ${ws} bytes of framing per message.`,
      numbers: { sendRequests: stats.sendRequests, sendRatePerSec: round(rate, 2), ...(perSend !== undefined ? { headerBytesPerSend: Math.round(perSend) } : {}), wsOverheadBytes: ws },
      why: `${transport === 'sse' ? 'SSE' : 'Polling'} is one-way: every client message is a new request with full headers (cookies included) and its own response, often on another connection.`,
      suggestion: 'For frequent two-way traffic use WebSocket. For occasional sends, keep the HTTP requests but reuse connections (keep-alive, HTTP/2).',
    };
  };
}
export const sseSeparateSendRequests = separateSendRequests('sse');
export const pollSeparateSendRequests = separateSendRequests('poll');
export const longPollSeparateSendRequests = separateSendRequests('long-poll');

// ---------------------------------------------------------------------------------------
// WebSocket

export const wsOneWayOnly: HintRule = ({ stats, transport, th, options }): Hint | undefined => {
  if (transport !== 'ws') return undefined;
  const authOut = options.auth?.method === 'first-message' || (options.auth?.method === 'token-url' && options.auth.placement === 'first-message') ? 1 : 0;
  const out = Math.max(0, stats.messagesOut - authOut);
  const observed = observedMs(stats);
  if (out > 0 || stats.messagesIn < th.oneWayMinMessages || observed < th.oneWayMinObservedMs) return undefined;
  return {
    id: 'ws.one-way-only',
    severity: 'info',
    transport: 'ws',
    message: `Only server-to-client traffic: ${stats.messagesIn} messages in, ${out} out${authOut ? ' (besides the auth message)' : ''} over ${fmtMs(observed)}: SSE or long polling would do, over plain HTTP.`,
    numbers: { messagesIn: stats.messagesIn, messagesOut: out, observedMs: Math.round(observed) },
    why: 'SSE runs over ordinary HTTP: it passes proxies and CDNs, multiplexes with HTTP/2, reconnects and resumes by itself (Last-Event-ID); with WebSocket you own heartbeats, reconnects and resume.',
    suggestion: 'If the client never needs to send on this channel, consider SSE; keep WebSocket when low-latency client messages are coming.',
  };
};

export const wsNoTls: HintRule = ({ transport, options, stats }): Hint | undefined => {
  if (transport !== 'ws') return undefined;
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'ws:') return undefined;
  const token = stats.authCarriers.length > 0 || (options.auth !== undefined && options.auth.method !== 'none');
  const loopback = isLoopback(url.hostname);
  return {
    id: 'ws.no-tls',
    severity: loopback ? 'info' : token ? 'risk' : 'warning',
    transport: 'ws',
    message: `${url.protocol}//${url.host} runs without TLS${token ? ', and this session carries a credential in clear text' : ''}${loopback ? ' (on this machine that is harmless)' : ''}: proxies on the way may break the upgrade; use wss://.`,
    numbers: { scheme: 'ws', host: url.host, credential: token ? 'yes' : 'no' },
    why: `Transparent proxies and middleboxes on plain-HTTP paths often strip or refuse the Upgrade header; and everything${token ? ', the credential included,' : ''} is readable and changeable on the way.`,
    suggestion: 'Use wss:// (TLS on 443): it passes proxies as opaque traffic and protects the credential and the messages.',
  };
};

const TOKEN_PARAM = /^(access_token|token|auth|api_key|apikey|key|jwt|id_token|session|sig|signature|password|secret)$/i;

export const tokenInQuery: HintRule = ({ transport, options, stats }): Hint | undefined => {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return undefined;
  }
  const viaAuth = stats.authCarriers.some((c) => c.method === 'query') || options.auth?.method === 'query' || (options.auth?.method === 'token-url' && options.auth.placement === 'query');
  const inUrl = [...url.searchParams.keys()].filter((k) => TOKEN_PARAM.test(k));
  if (!viaAuth && inUrl.length === 0) return undefined;
  const param = options.auth?.method === 'query' ? options.auth.param : inUrl[0] ?? (options.auth?.method === 'token-url' ? options.auth.name ?? 'access_token' : 'access_token');
  const tls = url.protocol === 'wss:' || url.protocol === 'https:';
  const shortLived = options.auth?.method === 'token-url';
  return {
    id: `${transport}.token-in-query`,
    severity: transport === 'ws' || !shortLived ? 'risk' : 'warning',
    transport,
    message: `The token travels in the query string ("${param}")${shortLived ? ' (a short-lived one)' : ''}: it lands in server and proxy access logs${tls ? '; TLS keeps it off the wire, but not out of the logs of whoever terminates TLS' : ', and without TLS also in clear text on the wire'}.`,
    numbers: { param, tls: tls ? 'yes' : 'no', shortLived: shortLived ? 'yes' : 'no' },
    why: 'URLs are logged by servers, load balancers and proxies, kept in browser history and sent in Referer headers; a token there outlives the connection.',
    suggestion:
      transport === 'ws'
        ? 'Prefer a cookie (HttpOnly, Secure) set before the upgrade, or a short-lived single-use ticket in the URL fetched right before connecting; always over wss://.'
        : 'Prefer an Authorization header or a cookie; if the URL is the only way (EventSource), use a short-lived single-use token over https://.',
  };
};

export const wsTokenInSubprotocol: HintRule = ({ transport, stats, options, derived }): Hint | undefined => {
  if (transport !== 'ws') return undefined;
  const used = stats.authCarriers.some((c) => c.method === 'subprotocol') || options.auth?.method === 'subprotocol' || (options.auth?.method === 'token-url' && options.auth.placement === 'subprotocol');
  if (!used) return undefined;
  const upgrade = derived?.upgradeResponse();
  const echoed = upgrade ? lowerMap(upgrade.headers)['sec-websocket-protocol'] : undefined;
  const noEcho = upgrade !== undefined && upgrade.status === 101 && echoed === undefined;
  return {
    id: 'ws.token-in-subprotocol',
    severity: noEcho ? 'risk' : 'warning',
    transport: 'ws',
    message: noEcho
      ? 'The token travels in Sec-WebSocket-Protocol and the server did not echo a subprotocol: browsers drop such a connection, and the header is not designed for secrets.'
      : `The token travels in Sec-WebSocket-Protocol${echoed !== undefined ? ` (the server echoed "${echoed}")` : ''}: the header is not designed for secrets and may be logged by servers and proxies.`,
    numbers: { echoed: echoed ?? (upgrade ? '(none)' : '(no handshake seen)') },
    why: 'Subprotocols name a message format; proxies and servers log them freely. A browser that offers subprotocols fails the connection when the 101 answer names none of them.',
    suggestion: 'Echo a fixed marker protocol (e.g. "access_token") and never the token; better, use a cookie or a short-lived ticket.',
  };
};

export const wsFirstMessageAuth: HintRule = ({ transport, stats, options, derived }): Hint | undefined => {
  if (transport !== 'ws') return undefined;
  const used = stats.authCarriers.some((c) => c.method === 'first-message') || options.auth?.method === 'first-message' || (options.auth?.method === 'token-url' && options.auth.placement === 'first-message');
  if (!used) return undefined;
  const w = derived?.unauthenticatedWindow();
  let measured: string;
  if (!w) measured = 'the connection was accepted before authentication';
  else if (w.answerMs === undefined) measured = `the connection was accepted before authentication and stayed open ${fmtMs(w.openMs)} without the server answering or closing`;
  else measured = `the connection was accepted before authentication and stayed open ${fmtMs(w.answerMs)} unauthenticated (open to the server's ${w.answeredBy})`;
  const early = w?.messagesBeforeAuth ?? 0;
  return {
    id: 'ws.first-message-auth',
    severity: early > 0 ? 'risk' : 'warning',
    transport: 'ws',
    message: `The token travels in the first message: ${measured}${early > 0 ? `, and the server sent ${early} message${early === 1 ? '' : 's'} before the auth message` : ''}.`,
    numbers: {
      ...(w?.answerMs !== undefined ? { unauthenticatedMs: round(w.answerMs, 1) } : w ? { openWithoutAnswerMs: round(w.openMs, 1) } : {}),
      messagesBeforeAuth: early,
    },
    why: 'The server holds an open, unauthenticated connection (memory, a file descriptor) for anyone who connects; without a short deadline that is a cheap denial of service, and any data pushed before auth leaks.',
    suggestion: 'Close connections that do not authenticate within a short deadline (a second or two) and push nothing before; or authenticate during the handshake (cookie, short-lived ticket).',
  };
};

export const wsNoHeartbeat: HintRule = ({ transport, stats, th, derived }): Hint | undefined => {
  if (transport !== 'ws') return undefined;
  if (stats.pingsIn + stats.pingsOut + stats.pongsIn + stats.pongsOut > 0) return undefined;
  const idle = derived ? derived.longestIdle() : longestIdleFromStats(stats);
  if (idle < th.wsIdleMs) return undefined;
  return {
    id: 'ws.no-heartbeat',
    severity: 'warning',
    transport: 'ws',
    message: `No ping/pong in either direction, and the connection was idle for ${fmtMs(idle)} (more than ${fmtMs(th.wsIdleMs)}): proxies drop idle connections, commonly after 60 s (AWS ALB idle timeout, nginx proxy_read_timeout).`,
    numbers: { longestIdleMs: Math.round(idle), pings: 0, thresholdMs: th.wsIdleMs },
    why: 'Without traffic, load balancers and NAT tables forget the connection; neither side notices until the next write fails, possibly minutes later.',
    suggestion: 'Send pings (or application heartbeats) every 20–30 s from the server, and let the client treat a missing one as a dead connection.',
  };
};

export const wsNoReconnect: HintRule = ({ transport, stats, options, derived }): Hint | undefined => {
  if (transport !== 'ws') return undefined;
  let close: { code: number; reason: string; by: string } | undefined;
  if (derived) close = derived.unansweredClose();
  else if (stats.closesNotByClient > 0 && stats.reconnects === 0) close = { code: 0, reason: '', by: 'server or network' };
  if (!close) return undefined;
  const enabled = options.reconnect?.enabled ?? DEFAULTS.reconnect.enabled;
  return {
    id: 'ws.no-reconnect',
    severity: 'warning',
    transport: 'ws',
    message: `The connection was closed by the ${close.by}${close.code ? ` (code ${close.code}${close.reason ? ` "${close.reason}"` : ''})` : ''} and nothing reconnected${enabled ? '' : ' (reconnect is off in this session)'}: with WebSocket, reconnect logic is the client's job.`,
    numbers: { closeCode: close.code, closedBy: close.by, reconnectEnabled: enabled ? 'yes' : 'no' },
    why: 'Unlike EventSource, a WebSocket does not reconnect by itself; servers restart, deploys drain connections (1001, 1012) and networks drop.',
    suggestion: 'Reconnect with exponential backoff and jitter, re-authenticate and resume from the last message id; do not reconnect on 1008 or 4xxx auth failures.',
  };
};

export const wsMultipleConnections: HintRule = ({ transport, options, otherWsSessionsToSameHost, th }): Hint | undefined => {
  if (transport !== 'ws') return undefined;
  const total = otherWsSessionsToSameHost + 1;
  if (total < th.wsConnectionsToSameHost) return undefined;
  let host = options.url;
  try {
    host = new URL(options.url).host;
  } catch {
    // Keep the raw URL in the message.
  }
  return {
    id: 'ws.multiple-connections',
    severity: 'info',
    transport: 'ws',
    message: `${total} WebSocket connections to ${host} are open from this workspace: each is its own TCP${options.url.startsWith('wss:') ? ' and TLS' : ''} connection with its own heartbeats and reconnects.`,
    numbers: { connections: total, host },
    why: 'WebSocket (over HTTP/1.1) cannot share a connection; every extra socket costs the server a file descriptor and memory, and the client a handshake.',
    suggestion: 'Multiplex topics over one connection (subscribe messages with a channel field) or share one connection between components (a SharedWorker in browsers).',
  };
};

/** Every rule, in the order hints are computed (the result is then sorted by severity). */
export const HINT_RULES: readonly HintRule[] = [
  pollMostlyEmpty,
  pollSkippedUpdates,
  pollRareOrIrregular,
  pollDifferentBackends,
  pollSeparateSendRequests,
  longPollFrequentMessages,
  longPollReconnectGap,
  longPollHeldPastProxyTimeout,
  longPollCutOffEarly,
  longPollDifferentBackends,
  longPollSeparateSendRequests,
  sseHttp1ConnectionLimit,
  sseNoEventIds,
  sseBufferedBursts,
  sseCorsMissing,
  sseHeaderAuth,
  sseSeparateSendRequests,
  tokenInQuery,
  wsOneWayOnly,
  wsNoTls,
  wsTokenInSubprotocol,
  wsFirstMessageAuth,
  wsNoHeartbeat,
  wsNoReconnect,
  wsMultipleConnections,
];

// ---------------------------------------------------------------------------------------
// Measurements derived from the event stream, computed once per computeHints call.

interface Exchange {
  purpose: string;
  requestHeaderBytes: number;
  response?: { status: number; httpVersion: string; headers: Array<[string, string]>; headerBytes: number };
}

export interface Burst {
  size: number;
  silenceMs: number;
  /** Server-side time between the first and last event of the burst, when payloads carry `ts`. */
  serverSpreadMs?: number;
}

const MAIN_PURPOSES = new Set(['poll', 'long-poll', 'sse', 'upgrade']);
const SEQ_KEYS = ['seq', 'sequence', 'seqNo', 'sequenceNumber', 'revision', 'version'];
const TS_KEYS = ['ts', 'timestamp', 'time', 'sentAt', 'sent_at'];
const BATCH_KEYS = ['messages', 'events', 'items', 'updates', 'data', 'results'];

export class Derived {
  private _exchanges?: Map<number, Exchange>;
  private _seq?: { pairs: number; pairsWithGap: number; skipped: number; received: number };
  private _messagesIn?: MessageEvent[];
  private _wallStart?: number;

  constructor(readonly events: readonly InspectorEvent[]) {}

  get wallStart(): number | undefined {
    if (this._wallStart === undefined) {
      const s = this.events.find((e) => e.type === 'session');
      this._wallStart = s && s.type === 'session' ? s.wallStart : NaN;
    }
    return Number.isNaN(this._wallStart) ? undefined : this._wallStart;
  }

  messagesIn(): MessageEvent[] {
    if (!this._messagesIn) {
      this._messagesIn = [];
      for (const e of this.events) if (e.type === 'message' && e.direction === 'in') this._messagesIn.push(e);
    }
    return this._messagesIn;
  }

  exchanges(): Map<number, Exchange> {
    if (this._exchanges) return this._exchanges;
    const m = new Map<number, Exchange>();
    for (const e of this.events) {
      if (e.type === 'request') m.set(e.requestId, { purpose: e.purpose, requestHeaderBytes: e.headerBytes });
      else if (e.type === 'response') {
        const x = m.get(e.requestId);
        if (x) x.response = { status: e.status, httpVersion: e.httpVersion, headers: e.headers, headerBytes: e.headerBytes };
      }
    }
    return (this._exchanges = m);
  }

  /** Header bytes both ways of the exchanges made for one purpose. */
  httpCost(purpose: string): { requests: number; requestHeaderBytes: number; responseHeaderBytes: number } {
    let requests = 0;
    let req = 0;
    let res = 0;
    for (const x of this.exchanges().values()) {
      if (x.purpose !== purpose) continue;
      requests++;
      req += x.requestHeaderBytes;
      res += x.response?.headerBytes ?? 0;
    }
    return { requests, requestHeaderBytes: req, responseHeaderBytes: res };
  }

  /** The response of the session's own channel (not a token fetch or a send), the first one that arrived. */
  mainResponse(): Exchange['response'] {
    for (const x of this.exchanges().values()) if (MAIN_PURPOSES.has(x.purpose) && x.response) return x.response;
    return undefined;
  }

  upgradeResponse(): Exchange['response'] {
    let last: Exchange['response'];
    for (const x of this.exchanges().values()) if (x.purpose === 'upgrade' && x.response) last = x.response;
    return last;
  }

  /** Sequence numbers across incoming messages, in arrival order: how many were skipped. */
  seqTrack(): { pairs: number; pairsWithGap: number; skipped: number; received: number } {
    if (this._seq) return this._seq;
    const msgs = this.messagesIn();
    let prev: number | undefined;
    let pairs = 0;
    let pairsWithGap = 0;
    let skipped = 0;
    let received = 0;
    for (let i = Math.max(0, msgs.length - PAYLOAD_SCAN_CAP); i < msgs.length; i++) {
      const seqs = seqsOf(msgs[i]);
      if (seqs.length === 0) continue;
      // One answer = one observation: a batch counts as one step from the previous answer.
      const first = seqs[0];
      const last = seqs[seqs.length - 1];
      received += seqs.length;
      let inBatchGap = 0;
      for (let j = 1; j < seqs.length; j++) if (seqs[j] > seqs[j - 1] + 1) inBatchGap += seqs[j] - seqs[j - 1] - 1;
      if (prev !== undefined && first > prev) {
        pairs++;
        const gap = first - prev - 1 + inBatchGap;
        if (gap > 0) {
          pairsWithGap++;
          skipped += gap;
        }
      } else if (prev !== undefined && first <= prev) {
        // Duplicate or restart: not a step forward, not a gap.
        skipped += inBatchGap;
      }
      prev = Math.max(prev ?? last, last);
    }
    return (this._seq = { pairs, pairsWithGap, skipped, received });
  }

  /** Age of data on arrival (receive wall time minus payload timestamp), for payloads without seq. */
  dataAges(): number[] {
    const wall = this.wallStart;
    if (wall === undefined) return [];
    const out: number[] = [];
    const msgs = this.messagesIn();
    for (let i = Math.max(0, msgs.length - PAYLOAD_SCAN_CAP); i < msgs.length; i++) {
      const m = msgs[i];
      if (m.latencyMs !== undefined) {
        out.push(m.latencyMs);
        continue;
      }
      const ts = tsOf(m);
      if (ts !== undefined) out.push(wall + m.t - ts);
    }
    return out;
  }

  /** Gaps between one long-poll answer and the next request (from poll events). */
  pollGaps(): number[] {
    const out: number[] = [];
    for (const e of this.events) if (e.type === 'poll' && e.gapMs !== undefined) out.push(e.gapMs);
    return out;
  }

  /** Long polls that failed (network error or 502/504) after being held at least `minHeld` ms. */
  cutPolls(minHeld: number): Array<{ heldMs: number; reason: string }> {
    const out: Array<{ heldMs: number; reason: string }> = [];
    const sentAt = new Map<number, number>();
    for (const e of this.events) {
      if (e.type === 'request') sentAt.set(e.requestId, e.t);
      if (e.type !== 'poll' || e.outcome !== 'error') continue;
      // A connection reset has no response, so no measured hold: time it from the request instead.
      const start = sentAt.get(e.requestId);
      const held = e.heldMs ?? (start !== undefined ? e.t - start : undefined);
      if (held === undefined) continue;
      const gateway = /50[24]/.test(e.reason);
      if (held >= minHeld || gateway) out.push({ heldMs: held, reason: e.reason });
    }
    return out;
  }

  bursts(th: HintThresholds): { messages: number; bursts: Burst[] } {
    const msgs = this.messagesIn();
    const bursts: Burst[] = [];
    let i = 1;
    while (i < msgs.length) {
      const silence = msgs[i].t - msgs[i - 1].t;
      if (silence < th.burstSilenceMs) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < msgs.length && msgs[j].t - msgs[j - 1].t <= th.burstGapMs) j++;
      const size = j - i;
      if (size >= th.burstMinSize) {
        const first = this.serverTime(msgs[i]);
        const last = this.serverTime(msgs[j - 1]);
        const spread = first !== undefined && last !== undefined ? last - first : undefined;
        // With server timestamps, a burst the server itself sent at once is not buffering.
        if (spread === undefined || spread >= th.burstSilenceMs / 2) bursts.push({ size, silenceMs: silence, serverSpreadMs: spread });
      }
      i = j;
    }
    return { messages: msgs.length, bursts };
  }

  private serverTime(m: MessageEvent): number | undefined {
    if (m.latencyMs !== undefined && this.wallStart !== undefined) return this.wallStart + m.t - m.latencyMs;
    return tsOf(m);
  }

  /** First-message auth: from open to the server's first answer (message or close) after the auth message. */
  unauthenticatedWindow(): { openMs: number; answerMs?: number; answeredBy?: string; messagesBeforeAuth: number } | undefined {
    let openT: number | undefined;
    let authT: number | undefined;
    let before = 0;
    let lastT = 0;
    for (const e of this.events) {
      lastT = e.t;
      if (openT === undefined) {
        if (e.type === 'state' && e.state === 'open') openT = e.t;
        continue;
      }
      if (authT === undefined) {
        if (e.type === 'message' && e.direction === 'out') authT = e.t;
        else if (e.type === 'message' && e.direction === 'in') before++;
        else if (e.type === 'close') return { openMs: e.t - openT, answerMs: e.t - openT, answeredBy: `close (${e.code})`, messagesBeforeAuth: before };
        continue;
      }
      if (e.type === 'message' && e.direction === 'in') return { openMs: e.t - openT, answerMs: e.t - openT, answeredBy: 'first message', messagesBeforeAuth: before };
      if (e.type === 'close') return { openMs: e.t - openT, answerMs: e.t - openT, answeredBy: `close (${e.code}${e.reason ? ` "${e.reason}"` : ''})`, messagesBeforeAuth: before };
    }
    if (openT === undefined) return undefined;
    return { openMs: lastT - openT, messagesBeforeAuth: before };
  }

  /** Longest stretch without any frame (message, ping, pong) while the connection was open. */
  longestIdle(): number {
    let openT: number | undefined;
    let prev = 0;
    let longest = 0;
    let end: number | undefined;
    for (const e of this.events) {
      if (e.type === 'state' && e.state === 'open' && openT === undefined) {
        openT = e.t;
        prev = e.t;
        continue;
      }
      if (openT === undefined) continue;
      if (e.type === 'message' || e.type === 'ping' || e.type === 'pong') {
        longest = Math.max(longest, e.t - prev);
        prev = e.t;
      } else if (e.type === 'close' || (e.type === 'state' && (e.state === 'closing' || e.state === 'closed'))) {
        end = e.t;
        break;
      }
    }
    if (openT === undefined) return 0;
    const last = end ?? this.events[this.events.length - 1]?.t ?? prev;
    return Math.max(longest, last - prev);
  }

  /** The last close not asked for by the client, when no reconnect followed it. */
  unansweredClose(): { code: number; reason: string; by: string } | undefined {
    let close: { code: number; reason: string; by: string } | undefined;
    for (const e of this.events) {
      if (e.type === 'close' && e.by !== 'client') close = { code: e.code, reason: e.reason, by: e.by };
      else if (e.type === 'close') close = undefined;
      else if (e.type === 'reconnect' || (e.type === 'state' && e.state === 'open')) close = undefined;
    }
    return close;
  }
}

function parsePayload(m: MessageEvent): unknown {
  if (m.binary || typeof m.data !== 'string' || m.redacted) return undefined;
  const s = m.data;
  const c = s.charCodeAt(0);
  // Only JSON objects and arrays can carry fields; skip everything else without a parse.
  if (c !== 123 /* { */ && c !== 91 /* [ */ && !/^\s*[[{]/.test(s.slice(0, 16))) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function numberField(o: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Sequence numbers a message carries: its own `seq`, those of a batch, or a numeric SSE id. */
export function seqsOf(m: MessageEvent): number[] {
  const v = parsePayload(m);
  const out: number[] = [];
  const fromItem = (x: unknown) => {
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      const n = numberField(x as Record<string, unknown>, SEQ_KEYS);
      if (n !== undefined) out.push(n);
    }
  };
  if (Array.isArray(v)) v.forEach(fromItem);
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const own = numberField(o, SEQ_KEYS);
    if (own !== undefined) out.push(own);
    else
      for (const k of BATCH_KEYS) {
        if (Array.isArray(o[k])) {
          (o[k] as unknown[]).forEach(fromItem);
          break;
        }
      }
  }
  if (out.length === 0 && m.sse?.id !== undefined && /^\d{1,15}$/.test(m.sse.id)) out.push(Number(m.sse.id));
  return out;
}

/** The payload's own timestamp in ms since the epoch (numbers in s or ms, or ISO strings). */
export function tsOf(m: MessageEvent): number | undefined {
  const v = parsePayload(m);
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  for (const k of TS_KEYS) {
    const x = o[k];
    if (typeof x === 'number' && Number.isFinite(x)) {
      if (x > 1e12) return x;
      if (x > 1e9 && x < 1e11) return x * 1000;
    } else if (typeof x === 'string' && /^\d{4}-\d\d-\d\dT/.test(x)) {
      const d = Date.parse(x);
      if (!Number.isNaN(d)) return d;
    }
  }
  return undefined;
}

function longestIdleFromStats(s: SessionStats): number {
  const a = s.arrivalsT;
  if (a.length === 0) return Math.max(0, s.lastT - Math.max(0, s.firstT));
  let longest = a[0] - Math.max(0, s.firstT);
  for (let i = 1; i < a.length; i++) longest = Math.max(longest, a[i] - a[i - 1]);
  return Math.max(longest, s.lastT - a[a.length - 1]);
}

// ---------------------------------------------------------------------------------------
// Small helpers

function observedMs(s: SessionStats): number {
  return s.firstT < 0 ? 0 : s.lastT - s.firstT;
}

function lowerMap(headers: Array<[string, string]>): Record<string, string> {
  const m: Record<string, string> = {};
  for (const [k, v] of headers) m[k.toLowerCase()] = v;
  return m;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Server-to-client WebSocket frame header for a payload (client frames add a 4-byte mask). */
export function wsFrameHeader(payloadBytes: number, masked = false): number {
  const base = payloadBytes < 126 ? 2 : payloadBytes < 65536 ? 4 : 10;
  return base + (masked ? 4 : 0);
}

/** SSE framing per event: "id: N\n" + "data: " + "\n\n" (event: lines excluded). */
export function sseOverheadEstimate(maxId: number): number {
  return 'id: \n'.length + String(Math.max(1, Math.round(maxId))).length + 'data: \n\n'.length;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : 0;
}

function stddev(xs: readonly number[], m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return xs.length ? Math.sqrt(s / xs.length) : 0;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function fmtRange(lo: number, hi: number): string {
  const a = fmtMs(lo);
  const b = fmtMs(hi);
  return a === b ? a : `${a}–${b}`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return `${round(ms, 1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  // Seconds up to 10 min: proxy timeouts are quoted in seconds (60 s, 100 s), so compare like with like.
  if (ms < 600_000) return `${round(ms / 1000, 1)} s`;
  return `${round(ms / 60_000, 1)} min`;
}
