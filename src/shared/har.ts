import type { Content, Cookie, Entry, Har, Header, QueryString, Request as HarRequest, Response as HarResponse, Timings } from 'har-format';
import {
  decodeText,
  utf8Length,
  type CommentEvent,
  type ErrorEvent,
  type EventInit,
  type HeaderList,
  type InspectorEvent,
  type MessageEvent,
  type PollEvent,
  type RedirectEvent,
  type RequestEvent,
  type ResponseEvent,
  type TimingEvent,
  type TransportKind,
} from './events';
import { prepareExport, type ExportOptions } from './exportRedact';
import { ImportError, checkJsonEvent, describe, sessionFacts, streamWarnings, type ImportedRecording } from './recording';
import { base64ToBytes, bytesToBase64, fromJsonEvent, toJsonEvent, type JsonEvent } from './serialize';

/**
 * HAR 1.2 export and import of a recording.
 *
 * Export: every HTTP exchange (poll, long poll, SSE connect, WebSocket upgrade, token
 * fetch, HTTP send) is an ordinary entry with its timings, headers, sizes and content.
 * WebSocket messages go in `_webSocketMessages` on the upgrade entry exactly as Chrome
 * DevTools writes them; SSE events in `_eventSourceMessages`; the messages a long poll
 * answer was split into in `_pollMessages`; and the whole event stream, losslessly, in
 * `log._realtimeInspector`, so our own import gets back exactly what was recorded.
 * The field formats are documented in docs/export-formats.md.
 *
 * Import: a HAR with `log._realtimeInspector` gives its events back; any other HAR (Chrome,
 * Firefox, proxies) is rebuilt into events entry by entry.
 */

/** Version of the `_realtimeInspector` payload; bumped only for changes old readers cannot read. */
export const RECORDING_VERSION = 1;

export interface HarMeta {
  transport: TransportKind;
  url: string;
  /** Wall-clock ms since the epoch at t = 0 (the session event's wallStart). */
  wallStart: number;
  creator: { name: string; version: string };
}

/** Our lossless copy of the event stream inside the HAR. */
export interface RecordingPayload {
  version: number;
  transport: TransportKind;
  url: string;
  wallStart: number;
  events: JsonEvent[];
}

/** One message in Chrome DevTools' `_webSocketMessages` form. `time` is seconds since the epoch. */
export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  time: number;
  opcode: number;
  /** Text, or base64 for binary (opcode 2). */
  data: string;
}

/** One SSE event in `_eventSourceMessages` (field names as in the DevTools protocol's Network.eventSourceMessageReceived). */
export interface HarEventSourceMessage {
  time: number;
  eventName: string;
  eventId: string;
  data: string;
}

/** One message read from a poll answer, in `_pollMessages`. */
export interface HarPollMessage {
  time: number;
  data: string;
  encoding?: 'base64';
}

export type InspectorHar = Har & { log: Har['log'] & { _realtimeInspector?: RecordingPayload } };

// ---------------------------------------------------------------------------------------
// Export

/** One HTTP exchange and everything the stream says about it. */
interface Exchange {
  request: RequestEvent;
  response?: ResponseEvent;
  timing?: TimingEvent;
  redirect?: RedirectEvent;
  poll?: PollEvent;
  errors: ErrorEvent[];
  messagesIn: MessageEvent[];
  messagesOut: MessageEvent[];
  comments: CommentEvent[];
}

/**
 * A session as HAR 1.2. Secrets are masked unless `opts.includeSecrets` (even when the
 * session itself ran with showSecrets): `opts.secrets` and `opts.credentialHeaders` name
 * what to mask beyond what the recording itself reveals.
 */
export function toHar(events: Iterable<InspectorEvent>, meta: HarMeta, opts: ExportOptions): InspectorHar {
  const prepared = prepareExport(events, opts);
  const list = prepared.events;
  const url = prepared.url(meta.url);
  const wallStart = meta.wallStart;
  const exchanges = new Map<number, Exchange>();
  const order: Exchange[] = [];
  /** The upgrade that WebSocket messages (which carry no requestId) belong to: the latest one answered 101. */
  let socket: Exchange | undefined;
  for (const ev of list) {
    switch (ev.type) {
      case 'request': {
        const x: Exchange = { request: ev, errors: [], messagesIn: [], messagesOut: [], comments: [] };
        exchanges.set(ev.requestId, x);
        order.push(x);
        break;
      }
      case 'response': {
        const x = exchanges.get(ev.requestId);
        if (x) {
          x.response = ev;
          if (x.request.purpose === 'upgrade' && ev.status === 101) socket = x;
        }
        break;
      }
      case 'timing':
        setOn(exchanges, ev.requestId, (x) => (x.timing = ev));
        break;
      case 'redirect':
        setOn(exchanges, ev.requestId, (x) => (x.redirect = ev));
        break;
      case 'poll':
        setOn(exchanges, ev.requestId, (x) => (x.poll = ev));
        break;
      case 'error':
        if (ev.requestId !== undefined) setOn(exchanges, ev.requestId, (x) => x.errors.push(ev));
        break;
      case 'comment':
        if (ev.requestId !== undefined) setOn(exchanges, ev.requestId, (x) => x.comments.push(ev));
        break;
      case 'message': {
        const x = ev.requestId !== undefined ? exchanges.get(ev.requestId) : socket;
        if (x) (ev.direction === 'in' ? x.messagesIn : x.messagesOut).push(ev);
        break;
      }
      default:
        break;
    }
  }
  const entries: Entry[] = [];
  let lastPollBody: Content | undefined;
  for (const x of order) {
    const entry = toEntry(x, wallStart, lastPollBody);
    if (x.request.purpose === 'poll' && entry.response.status >= 200 && entry.response.status < 300 && entry.response.content.text !== undefined) lastPollBody = entry.response.content;
    entries.push(entry);
  }
  entries.sort((a, b) => Date.parse(a.startedDateTime) - Date.parse(b.startedDateTime));
  const payload: RecordingPayload = { version: RECORDING_VERSION, transport: meta.transport, url, wallStart, events: list.map(toJsonEvent) };
  return {
    log: {
      version: '1.2',
      creator: { name: prepared.text(meta.creator.name), version: meta.creator.version },
      entries,
      comment: `${transportName(meta.transport)} session to ${url}, recorded by ${prepared.text(meta.creator.name)}. WebSocket messages are in _webSocketMessages, SSE events in _eventSourceMessages, the full event stream in _realtimeInspector (see docs/export-formats.md).`,
      _realtimeInspector: payload,
    },
  };
}

function setOn(map: Map<number, Exchange>, id: number, fn: (x: Exchange) => void): void {
  const x = map.get(id);
  if (x) fn(x);
}

function transportName(t: TransportKind): string {
  return t === 'ws' ? 'WebSocket' : t === 'sse' ? 'Server-Sent Events' : t === 'long-poll' ? 'Long polling' : 'Short polling';
}

function toEntry(x: Exchange, wallStart: number, lastPollBody: Content | undefined): Entry {
  const r = x.request;
  const tm = x.timing;
  const res = x.response;
  const startT = tm ? Math.min(r.t, tm.t - tm.total) : r.t;
  const timings = harTimings(x, startT);
  const time = [timings.blocked, timings.dns, timings.connect, timings.send, timings.wait, timings.receive].reduce<number>((n, v) => n + Math.max(v ?? 0, 0), 0);
  const entry: Entry = {
    startedDateTime: new Date(wallStart + startT).toISOString(),
    time,
    request: harRequest(x),
    response: harResponse(x, lastPollBody),
    cache: {},
    timings,
    _resourceType: r.purpose === 'upgrade' ? 'websocket' : r.purpose === 'sse' ? 'eventsource' : 'fetch',
  };
  if (tm?.remoteAddress) entry.serverIPAddress = tm.remoteAddress.replace(/^::ffff:/, '');
  if (res?.status === 101 || r.purpose === 'upgrade') {
    entry._webSocketMessages = mergeByTime(x.messagesOut, x.messagesIn).map((m) => wsMessage(m, wallStart));
  }
  if (r.purpose === 'sse') {
    entry._eventSourceMessages = x.messagesIn.map((m): HarEventSourceMessage => ({
      time: (wallStart + m.t) / 1000,
      eventName: m.sse?.event ?? 'message',
      eventId: m.sse?.id ?? '',
      data: typeof m.data === 'string' ? m.data : decodeText(m.data),
    }));
  }
  if (r.purpose === 'long-poll' && x.messagesIn.length) {
    entry._pollMessages = x.messagesIn.map((m): HarPollMessage => (typeof m.data === 'string' ? { time: (wallStart + m.t) / 1000, data: m.data } : { time: (wallStart + m.t) / 1000, data: bytesToBase64(m.data), encoding: 'base64' }));
  }
  return entry;
}

/**
 * HAR timings from our timing event. HAR order: blocked, dns, connect (ssl inside it),
 * send, wait, receive; -1 for a step that did not happen. We measure from the moment the
 * request was started, so there is no separate "blocked"; send is what remains of the
 * exchange once the other steps are accounted for (the request being written).
 */
function harTimings(x: Exchange, startT: number): Timings {
  const tm = x.timing;
  const res = x.response;
  if (!tm) {
    const wait = res ? Math.max(0, res.t - startT) : 0;
    return { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait, receive: 0 };
  }
  const dns = tm.dns ?? -1;
  const connect = tm.tcp !== undefined ? tm.tcp + (tm.tls ?? 0) : -1;
  const ssl = tm.tls ?? -1;
  const wait = tm.ttfb ?? (res ? Math.max(0, res.t - startT) : 0);
  // The response event is stamped when the headers arrived; the exchange's total runs to its last byte.
  const receive = res ? clamp(tm.total - (res.t - startT), 0, tm.total) : 0;
  const send = Math.max(0, tm.total - Math.max(dns, 0) - Math.max(connect, 0) - wait - receive);
  return { blocked: -1, dns: round3(dns), connect: round3(connect), ssl: round3(ssl), send: round3(send), wait: round3(wait), receive: round3(receive) };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Microsecond precision is plenty and keeps the file readable. */
function round3(v: number): number {
  return v < 0 ? -1 : Math.round(v * 1000) / 1000;
}

function harRequest(x: Exchange): HarRequest {
  const r = x.request;
  const req: HarRequest = {
    method: r.method,
    url: r.url,
    httpVersion: `HTTP/${x.response?.httpVersion ?? '1.1'}`,
    cookies: requestCookies(r.headers),
    headers: harHeaders(r.headers),
    queryString: queryOf(r.url),
    headersSize: r.headerBytes,
    bodySize: r.bodyBytes,
  };
  if (r.bodyBytes > 0) {
    const out = x.messagesOut[0];
    const mimeType = headerOf(r.headers, 'content-type') ?? 'application/octet-stream';
    // The outgoing message holds the full payload; the request event only a preview.
    const text = out && typeof out.data === 'string' ? out.data : (r.body ?? '');
    req.postData = { mimeType, text };
  }
  return req;
}

function harResponse(x: Exchange, lastPollBody: Content | undefined): HarResponse & { _error?: string } {
  const res = x.response;
  const err = x.errors[0];
  if (!res) {
    return {
      status: 0,
      statusText: '',
      httpVersion: '',
      cookies: [],
      headers: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
      ...(err ? { _error: err.message } : {}),
    };
  }
  const noBody = res.status === 101 || res.status === 204 || res.status === 304;
  const out: HarResponse & { _error?: string } = {
    status: res.status,
    statusText: res.statusText,
    httpVersion: `HTTP/${res.httpVersion}`,
    cookies: responseCookies(res.headers),
    headers: harHeaders(res.headers),
    content: harContent(x, lastPollBody),
    redirectURL: x.redirect?.to ?? headerOf(res.headers, 'location') ?? '',
    headersSize: res.headerBytes,
    bodySize: noBody ? 0 : (x.timing?.bodyWireBytes ?? -1),
  };
  if (err) out._error = err.message;
  return out;
}

function harContent(x: Exchange, lastPollBody: Content | undefined): Content {
  const res = x.response!;
  const mimeType = headerOf(res.headers, 'content-type') ?? 'x-unknown';
  const ins = x.messagesIn;
  const purpose = x.request.purpose;
  if (purpose === 'poll') {
    if (ins.length === 1) return bodyContent(ins[0].data, mimeType);
    // An answer identical to the previous one logs no message: its body is the previous body.
    if (x.poll?.reason === 'same-body' && lastPollBody) return { ...lastPollBody, mimeType };
    if (x.poll?.reason === 'empty') return { size: 0, mimeType, text: '' };
  }
  const size = ins.reduce((n, m) => n + m.size, 0);
  if (purpose === 'long-poll' && ins.length) return { size, mimeType, comment: `The answer was read as ${ins.length} message${ins.length === 1 ? '' : 's'}: see _pollMessages.` };
  if (purpose === 'sse') return { size, mimeType, comment: `${ins.length} event${ins.length === 1 ? '' : 's'} and ${x.comments.length} comment line${x.comments.length === 1 ? '' : 's'}: see _eventSourceMessages.` };
  return { size: purpose === 'upgrade' ? 0 : Math.max(0, x.timing?.bodyWireBytes ?? 0), mimeType };
}

function bodyContent(data: string | Uint8Array, mimeType: string): Content {
  if (typeof data === 'string') return { size: utf8Length(data), mimeType, text: data };
  return { size: data.byteLength, mimeType, text: bytesToBase64(data), encoding: 'base64' };
}

function wsMessage(m: MessageEvent, wallStart: number): HarWebSocketMessage {
  const binary = m.binary || m.opcode === 2;
  let data: string;
  if (binary) data = typeof m.data === 'string' ? bytesToBase64(new TextEncoder().encode(m.data)) : bytesToBase64(m.data);
  else data = typeof m.data === 'string' ? m.data : decodeText(m.data);
  return { type: m.direction === 'out' ? 'send' : 'receive', time: (wallStart + m.t) / 1000, opcode: binary ? 2 : 1, data };
}

function mergeByTime(a: MessageEvent[], b: MessageEvent[]): MessageEvent[] {
  return [...a, ...b].sort((p, q) => p.seq - q.seq);
}

function harHeaders(h: HeaderList): Header[] {
  return h.map(([name, value]) => ({ name, value }));
}

function headerOf(h: HeaderList, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of h) if (k.toLowerCase() === n) return v;
  return undefined;
}

function requestCookies(h: HeaderList): Cookie[] {
  const out: Cookie[] = [];
  for (const [k, v] of h) {
    if (k.toLowerCase() !== 'cookie') continue;
    for (const pair of v.split(/;\s*/)) {
      const i = pair.indexOf('=');
      if (i > 0) out.push({ name: pair.slice(0, i), value: pair.slice(i + 1) });
    }
  }
  return out;
}

function responseCookies(h: HeaderList): Cookie[] {
  const out: Cookie[] = [];
  for (const [k, v] of h) {
    if (k.toLowerCase() !== 'set-cookie') continue;
    const [first, ...attrs] = v.split(/;\s*/);
    const i = first.indexOf('=');
    if (i <= 0) continue;
    const c: Cookie = { name: first.slice(0, i), value: first.slice(i + 1) };
    for (const a of attrs) {
      const [an, av] = [a.split('=')[0].toLowerCase(), a.slice(a.indexOf('=') + 1)];
      if (an === 'path') c.path = av;
      else if (an === 'domain') c.domain = av;
      else if (an === 'expires') {
        const d = Date.parse(av);
        if (!Number.isNaN(d)) c.expires = new Date(d).toISOString();
      } else if (an === 'httponly') c.httpOnly = true;
      else if (an === 'secure') c.secure = true;
    }
    out.push(c);
  }
  return out;
}

/** Query parameters as written in the URL (decoded), without re-encoding masked values. */
function queryOf(url: string): QueryString[] {
  const q = url.indexOf('?');
  if (q < 0) return [];
  const end = url.indexOf('#', q);
  const out: QueryString[] = [];
  for (const pair of url.slice(q + 1, end < 0 ? undefined : end).split('&')) {
    if (!pair) continue;
    const i = pair.indexOf('=');
    out.push(i < 0 ? { name: safeDecode(pair), value: '' } : { name: safeDecode(pair.slice(0, i)), value: safeDecode(pair.slice(i + 1)) });
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

// ---------------------------------------------------------------------------------------
// Import

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** True when a parsed JSON value looks like a HAR (has a `log` object). */
export function looksLikeHar(v: unknown): boolean {
  return isObj(v) && isObj(v.log);
}

/** Events from a parsed HAR: exact when we wrote it, rebuilt from the entries otherwise. Throws ImportError. */
export function harToRecording(json: unknown, fileName?: string): ImportedRecording {
  if (!isObj(json)) throw new ImportError(`This is not a HAR file: the top level is ${describe(json)}, not an object with a "log".`);
  const log = json.log;
  if (!isObj(log)) throw new ImportError('This is not a HAR file: it has no "log" object at the top level.', 'log');
  const creator = isObj(log.creator) ? [log.creator.name, log.creator.version].filter((v) => typeof v === 'string' && v).join(' ') : undefined;
  if (log._realtimeInspector !== undefined) return fromPayload(log._realtimeInspector, creator, fileName);
  return fromEntries(log, creator, fileName);
}

function fromPayload(p: unknown, creator: string | undefined, fileName: string | undefined): ImportedRecording {
  if (!isObj(p)) throw new ImportError(`log._realtimeInspector is ${describe(p)}, not the recording object Realtime Inspector writes.`, 'log._realtimeInspector');
  const warnings: string[] = [];
  if (typeof p.version !== 'number') throw new ImportError('log._realtimeInspector has no "version" number.', 'log._realtimeInspector.version');
  if (p.version > RECORDING_VERSION) warnings.push(`The recording was written by a newer version (format ${p.version}; this one reads ${RECORDING_VERSION}): fields it added are kept but not understood.`);
  if (!Array.isArray(p.events)) throw new ImportError(`log._realtimeInspector.events is ${describe(p.events)}, not a list of events.`, 'log._realtimeInspector.events');
  const events: InspectorEvent[] = [];
  for (let i = 0; i < p.events.length; i++) {
    const problem = checkJsonEvent(p.events[i]);
    if (problem) throw new ImportError(`log._realtimeInspector.events[${i}] is not a valid event: ${problem}.`, `log._realtimeInspector.events[${i}]`);
    events.push(fromJsonEvent(p.events[i] as JsonEvent));
  }
  const facts = sessionFacts(events);
  const transport = facts?.transport ?? (typeof p.transport === 'string' && isTransport(p.transport) ? p.transport : undefined);
  if (!transport) throw new ImportError('log._realtimeInspector names no transport and holds no session event.', 'log._realtimeInspector.transport');
  warnings.push(...streamWarnings(events));
  return {
    events,
    meta: {
      format: 'har',
      origin: 'realtime-inspector',
      creator,
      transport,
      url: facts?.url ?? (typeof p.url === 'string' ? p.url : ''),
      wallStart: facts?.wallStart ?? (typeof p.wallStart === 'number' ? p.wallStart : 0),
      fileName,
    },
    warnings,
  };
}

function isTransport(s: string): s is TransportKind {
  return s === 'poll' || s === 'long-poll' || s === 'sse' || s === 'ws';
}

/** One checked HAR entry, with what the import needs. */
interface ForeignEntry {
  index: number;
  start: number;
  method: string;
  url: string;
  raw: Obj;
  request: Obj;
  response?: Obj;
  status: number;
  mimeType: string;
  resourceType: string;
  kind: 'ws' | 'sse' | 'other';
}

const ASSET_TYPES = new Set(['document', 'stylesheet', 'image', 'media', 'font', 'script', 'texttrack', 'manifest', 'prefetch', 'ping', 'csp-violation-report', 'preflight']);

/** Rebuilds a stream from a HAR another tool wrote (Chrome DevTools and others). */
function fromEntries(log: Obj, creator: string | undefined, fileName: string | undefined): ImportedRecording {
  if (!Array.isArray(log.entries)) throw new ImportError(`log.entries is ${describe(log.entries)}, not a list of entries.`, 'log.entries');
  if (log.entries.length === 0) throw new ImportError('The HAR has no entries: there is nothing to import.', 'log.entries');
  const warnings: string[] = [];
  const all = log.entries.map((e, i) => checkEntry(e, i));
  all.sort((a, b) => a.start - b.start || a.index - b.index);

  // Which transport: WebSocket or SSE entries decide; otherwise a URL asked again and again is polling.
  const ws = all.filter((e) => e.kind === 'ws');
  const sse = all.filter((e) => e.kind === 'sse');
  let transport: TransportKind;
  let mainUrl: string;
  let pollKey: string | undefined;
  if (ws.length) {
    transport = 'ws';
    mainUrl = ws[0].url;
    if (ws.length > 1) warnings.push(`The HAR holds ${ws.length} WebSocket connections; all are imported into one session, one after the other.`);
  } else if (sse.length) {
    transport = 'sse';
    mainUrl = sse[0].url;
    if (sse.length > 1) warnings.push(`The HAR holds ${sse.length} event-stream requests; they are imported as one session (reconnects).`);
  } else {
    const counts = new Map<string, ForeignEntry[]>();
    for (const e of all) {
      if (e.method !== 'GET' || ASSET_TYPES.has(e.resourceType)) continue;
      const k = pathKey(e.url);
      counts.set(k, [...(counts.get(k) ?? []), e]);
    }
    const best = [...counts.entries()].sort((a, b) => b[1].length - a[1].length)[0];
    if (!best) throw new ImportError('The HAR has no WebSocket, no event stream and no GET request that could be polling: nothing to import as a realtime session.', 'log.entries');
    pollKey = best[0];
    mainUrl = best[1][0].url;
    const waits = best[1].map((e) => num(isObj(e.raw.timings) ? e.raw.timings.wait : undefined) ?? 0).sort((a, b) => a - b);
    // A server that holds requests for a second or more is long polling; answering at once is short polling.
    const held = waits[Math.floor(waits.length / 2)] >= 1000;
    transport = held ? 'long-poll' : 'poll';
    if (best[1].length < 2) warnings.push(`No WebSocket or event stream in the HAR and only one request to ${mainUrl}: imported as ${held ? 'long' : 'short'} polling, which is a guess.`);
    else warnings.push(`No WebSocket or event stream in the HAR: the ${best[1].length} GET requests to ${pathKey(mainUrl)} are imported as ${held ? 'long polling (the server held them, median wait ' + Math.round(waits[Math.floor(waits.length / 2)]) + ' ms)' : 'short polling'}.`);
  }
  const origin = originOf(mainUrl);
  const entries = all.filter((e) => e.kind !== 'other' || (!ASSET_TYPES.has(e.resourceType) && originOf(e.url) === origin) || (pollKey !== undefined && pathKey(e.url) === pollKey));
  const left = all.length - entries.length;
  if (left) warnings.push(`${left} entr${left === 1 ? 'y' : 'ies'} (page resources or other origins) left out.`);

  const base = entries[0].start;
  const items: Array<{ t: number; k: number; ev: EventInit }> = [];
  let k = 0;
  const add = (t: number, ev: EventInit): void => {
    items.push({ t: Math.max(0, t), k: k++, ev });
  };
  add(0, { type: 'session', transport, url: mainUrl, wallStart: base, options: { importedFrom: `HAR${creator ? ` (${creator})` : ''}` } });
  add(0, { type: 'state', state: 'connecting', previous: 'closed' });
  let opened = false;
  let skippedFrames = 0;
  let oddTimes = 0;
  let requestId = 0;
  for (const e of entries) {
    const id = ++requestId;
    const t0 = e.start - base;
    const tm = isObj(e.raw.timings) ? e.raw.timings : {};
    const dns = nonNeg(tm.dns);
    const connect = nonNeg(tm.connect);
    const ssl = nonNeg(tm.ssl);
    const send = nonNeg(tm.send) ?? 0;
    const wait = nonNeg(tm.wait);
    const blocked = nonNeg(tm.blocked) ?? 0;
    const total = nonNeg(e.raw.time) ?? blocked + (dns ?? 0) + (connect ?? 0) + send + (wait ?? 0) + (nonNeg(tm.receive) ?? 0);
    const reqHeaders = headerList(e.request.headers);
    const postText = isObj(e.request.postData) && typeof e.request.postData.text === 'string' ? e.request.postData.text : undefined;
    const isMain = e.kind !== 'other' || (pollKey !== undefined && pathKey(e.url) === pollKey && e.method === 'GET');
    const purpose: RequestEvent['purpose'] = e.kind === 'ws' ? 'upgrade' : e.kind === 'sse' ? 'sse' : isMain ? (transport === 'long-poll' ? 'long-poll' : 'poll') : postText !== undefined ? 'send' : 'probe';
    const bodyBytes = nonNeg(e.request.bodySize) ?? (postText !== undefined ? utf8Length(postText) : 0);
    add(t0, {
      type: 'request',
      requestId: id,
      purpose,
      method: e.method,
      url: e.url,
      headers: reqHeaders,
      headerBytes: nonNeg(e.request.headersSize) ?? estimateHeadBytes(`${e.method} ${e.url} HTTP/1.1`, reqHeaders),
      bodyBytes,
      ...(postText !== undefined ? { body: postText.slice(0, 2000) } : {}),
    });
    if (purpose === 'send' && postText !== undefined) add(t0, { type: 'message', direction: 'out', size: utf8Length(postText), binary: false, data: postText, requestId: id });
    const tResponse = t0 + blocked + (dns ?? 0) + (connect ?? 0) + send + (wait ?? 0);
    const res = e.response;
    if (res && e.status > 0) {
      const resHeaders = headerList(res.headers);
      add(tResponse, {
        type: 'response',
        requestId: id,
        status: e.status,
        statusText: typeof res.statusText === 'string' ? res.statusText : '',
        httpVersion: httpVersionOf(res.httpVersion),
        headers: resHeaders,
        headerBytes: nonNeg(res.headersSize) ?? estimateHeadBytes(`HTTP/1.1 ${e.status}`, resHeaders),
      });
      const redirectURL = typeof res.redirectURL === 'string' ? res.redirectURL : '';
      if (e.status >= 300 && e.status < 400 && redirectURL) {
        const next = entries[entries.indexOf(e) + 1];
        add(tResponse, { type: 'redirect', requestId: id, status: e.status, from: e.url, to: redirectURL, crossOrigin: originOf(redirectURL) !== originOf(e.url), followed: next?.url === redirectURL, stripped: [] });
      }
      if (isMain && !opened && (e.status === 101 || (e.status >= 200 && e.status < 300))) {
        opened = true;
        add(tResponse, { type: 'state', state: 'open', previous: 'connecting' });
      }
    } else {
      const text = typeof res?._error === 'string' && res._error ? res._error : typeof e.raw._error === 'string' ? e.raw._error : '';
      add(t0 + total, { type: 'error', requestId: id, code: /net::(ERR_\w+)/.exec(text)?.[1] ?? 'NO_RESPONSE', message: text ? `The request failed: ${text}.` : 'The request got no response (the HAR records none).', fatal: false });
    }
    add(e.kind === 'ws' ? tResponse : t0 + total, {
      type: 'timing',
      requestId: id,
      dns,
      tcp: connect === undefined ? undefined : Math.max(0, connect - (ssl ?? 0)),
      tls: ssl,
      ttfb: wait,
      total,
      bodyWireBytes: nonNeg(res?.bodySize),
      reusedSocket: connect === undefined && dns === undefined,
      remoteAddress: typeof e.raw.serverIPAddress === 'string' && e.raw.serverIPAddress ? e.raw.serverIPAddress : undefined,
    });

    // The realtime payload of the entry.
    const timeOf = (time: unknown, i: number, first: number | undefined): number => {
      const s = num(time);
      if (s === undefined) return tResponse;
      const ms = s * 1000;
      // Chrome writes seconds since the epoch; anything far from the entry's date is another clock: keep the spacing, anchor at the response.
      if (Math.abs(ms - e.start) < 7 * 24 * 3600_000) return ms - base;
      if (i === 0) oddTimes++;
      return tResponse + (s - (first ?? s)) * 1000;
    };
    if (Array.isArray(e.raw._webSocketMessages)) {
      const msgs = e.raw._webSocketMessages;
      const first = num(isObj(msgs[0]) ? msgs[0].time : undefined);
      msgs.forEach((m, i) => {
        const ev = wsFrameEvent(m);
        if (!ev) {
          skippedFrames++;
          return;
        }
        add(timeOf(isObj(m) ? m.time : undefined, i, first), ev);
      });
    }
    const sseMsgs = Array.isArray(e.raw._eventSourceMessages) ? e.raw._eventSourceMessages : undefined;
    if (sseMsgs) {
      const first = num(isObj(sseMsgs[0]) ? sseMsgs[0].time : undefined);
      sseMsgs.forEach((m, i) => {
        if (!isObj(m) || typeof m.data !== 'string') {
          skippedFrames++;
          return;
        }
        const event = str(m.eventName) ?? str(m.event) ?? 'message';
        const sid = str(m.eventId) ?? str(m.id);
        add(timeOf(m.time, i, first), { type: 'message', direction: 'in', size: utf8Length(m.data), binary: false, data: m.data, sse: { event: event || 'message', id: sid || undefined }, requestId: id });
      });
    }
    if (purpose === 'poll' || purpose === 'long-poll') {
      const tEnd = t0 + total;
      const pollMsgs = Array.isArray(e.raw._pollMessages) ? e.raw._pollMessages : undefined;
      let got = 0;
      if (pollMsgs) {
        const first = num(isObj(pollMsgs[0]) ? pollMsgs[0].time : undefined);
        pollMsgs.forEach((m, i) => {
          if (!isObj(m) || typeof m.data !== 'string') {
            skippedFrames++;
            return;
          }
          const bytes = m.encoding === 'base64' ? base64ToBytes(m.data) : undefined;
          add(timeOf(m.time, i, first), { type: 'message', direction: 'in', size: bytes ? bytes.byteLength : utf8Length(m.data), binary: bytes !== undefined, data: bytes ?? m.data, requestId: id });
          got++;
        });
      } else if (e.status >= 200 && e.status < 300 && res && isObj(res.content) && typeof res.content.text === 'string' && res.content.text !== '') {
        const c = res.content;
        const text = c.text as string;
        const binary = c.encoding === 'base64' && !isTextMime(e.mimeType);
        const data = c.encoding === 'base64' ? (binary ? base64ToBytes(text) : decodeText(base64ToBytes(text))) : text;
        add(tEnd, { type: 'message', direction: 'in', size: typeof data === 'string' ? utf8Length(data) : data.byteLength, binary, data, requestId: id });
        got++;
      }
      const outcome: PollEvent['outcome'] = !res || e.status === 0 ? 'error' : e.status >= 400 ? 'error' : got ? 'data' : 'unchanged';
      const reason = outcome === 'error' ? (e.status ? `http-${e.status}` : 'network') : got ? 'new' : e.status === 304 ? '304' : e.status === 204 ? '204' : 'empty';
      add(tEnd, { type: 'poll', requestId: id, outcome, reason, ...(purpose === 'long-poll' && wait !== undefined ? { heldMs: wait } : {}) });
    }
  }
  if (skippedFrames) warnings.push(`${skippedFrames} message${skippedFrames === 1 ? '' : 's'} in _webSocketMessages/_eventSourceMessages could not be read (not an object, no data, or an opcode other than text, binary, ping and pong) and were left out.`);
  if (oddTimes) warnings.push('Some message times are not seconds since the epoch (as Chrome writes them): their spacing is kept, anchored at the response of their entry.');

  items.sort((a, b) => a.t - b.t || a.k - b.k);
  const events = items.map((it, seq) => ({ ...it.ev, seq, t: it.t }) as InspectorEvent);
  return {
    events,
    meta: { format: 'har', origin: 'foreign', creator, transport, url: mainUrl, wallStart: base, fileName },
    warnings,
  };
}

function checkEntry(v: unknown, i: number): ForeignEntry {
  const at = `log.entries[${i}]`;
  if (!isObj(v)) throw new ImportError(`${at} is ${describe(v)}, not an entry object.`, at);
  const start = typeof v.startedDateTime === 'string' ? Date.parse(v.startedDateTime) : NaN;
  if (Number.isNaN(start)) throw new ImportError(`${at}.startedDateTime is ${describe(v.startedDateTime)}, not a date (ISO 8601, e.g. "2025-01-31T10:00:00.000Z").`, `${at}.startedDateTime`);
  const request = v.request;
  if (!isObj(request)) throw new ImportError(`${at}.request is ${describe(request)}, not a request object.`, `${at}.request`);
  if (typeof request.url !== 'string' || !request.url) throw new ImportError(`${at}.request.url is ${describe(request.url)}, not a URL.`, `${at}.request.url`);
  if (request.headers !== undefined && !Array.isArray(request.headers)) throw new ImportError(`${at}.request.headers is ${describe(request.headers)}, not a list of {name, value}.`, `${at}.request.headers`);
  const response = v.response === undefined || v.response === null ? undefined : v.response;
  if (response !== undefined && !isObj(response)) throw new ImportError(`${at}.response is ${describe(response)}, not a response object.`, `${at}.response`);
  const status = response ? (num(response.status) ?? 0) : 0;
  const ws = v._webSocketMessages;
  if (ws !== undefined && ws !== null && !Array.isArray(ws)) throw new ImportError(`${at}._webSocketMessages is ${describe(ws)}, not a list of messages.`, `${at}._webSocketMessages`);
  const sse = v._eventSourceMessages;
  if (sse !== undefined && sse !== null && !Array.isArray(sse)) throw new ImportError(`${at}._eventSourceMessages is ${describe(sse)}, not a list of messages.`, `${at}._eventSourceMessages`);
  const mimeType = response && isObj(response.content) && typeof response.content.mimeType === 'string' ? response.content.mimeType : '';
  const resourceType = typeof v._resourceType === 'string' ? v._resourceType.toLowerCase() : '';
  const url = request.url;
  const accept = headerList(request.headers).find(([k]) => k.toLowerCase() === 'accept')?.[1] ?? '';
  const kind: ForeignEntry['kind'] =
    resourceType === 'websocket' || Array.isArray(ws) || /^wss?:/i.test(url) || status === 101
      ? 'ws'
      : resourceType === 'eventsource' || Array.isArray(sse) || /text\/event-stream/i.test(mimeType) || /text\/event-stream/i.test(accept)
        ? 'sse'
        : 'other';
  return { index: i, start, method: typeof request.method === 'string' ? request.method.toUpperCase() : 'GET', url, raw: v, request, response, status, mimeType, resourceType, kind };
}

/** A `_webSocketMessages` item as an event, or undefined when it cannot be read. */
function wsFrameEvent(m: unknown): EventInit | undefined {
  if (!isObj(m) || typeof m.data !== 'string') return undefined;
  const direction = m.type === 'send' ? 'out' : m.type === 'receive' ? 'in' : undefined;
  if (!direction) return undefined;
  const opcode = num(m.opcode) ?? 1;
  if (opcode === 1) return { type: 'message', direction, size: utf8Length(m.data), binary: false, data: m.data, opcode: 1 };
  if (opcode === 2) {
    const bytes = base64ToBytes(m.data);
    return { type: 'message', direction, size: bytes.byteLength, binary: true, data: bytes, opcode: 2 };
  }
  if (opcode === 9 || opcode === 10) {
    const bytes = new TextEncoder().encode(m.data);
    return { type: opcode === 9 ? 'ping' : 'pong', direction, size: bytes.byteLength, data: bytes };
  }
  return undefined;
}

function headerList(v: unknown): HeaderList {
  if (!Array.isArray(v)) return [];
  const out: HeaderList = [];
  for (const h of v) if (isObj(h) && typeof h.name === 'string') out.push([h.name, typeof h.value === 'string' ? h.value : String(h.value ?? '')]);
  return out;
}

function estimateHeadBytes(firstLine: string, headers: HeaderList): number {
  return headers.reduce((n, [k, v]) => n + utf8Length(k) + 2 + utf8Length(v) + 2, utf8Length(firstLine) + 2) + 2;
}

/** "HTTP/1.1" → "1.1", "h2" / "HTTP/2" / "http/2.0" → "2.0", "h3" → "3.0". */
function httpVersionOf(v: unknown): string {
  if (typeof v !== 'string' || !v) return '1.1';
  const s = v.toLowerCase();
  if (s === 'h2' || s === 'http/2' || s === 'http/2.0') return '2.0';
  if (s === 'h3' || s === 'http/3' || s === 'http/3.0') return '3.0';
  return /(\d+\.\d+)/.exec(s)?.[1] ?? v;
}

function isTextMime(m: string): boolean {
  return !m || /^\s*text\/|json|xml|javascript|x-www-form-urlencoded/i.test(m);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function nonNeg(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 ? n : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function pathKey(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return url.split(/[?#]/)[0];
  }
}

function originOf(url: string): string {
  try {
    const u = new URL(url.replace(/^ws/i, 'http'));
    return u.host;
  } catch {
    return '';
  }
}
