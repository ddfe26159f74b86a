import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { HeaderList, RequestEvent } from '../shared/events';
import { DEFAULTS } from '../shared/options';
import { BodyTap } from './bodyTap';
import { span } from './clock';
import { DialError, agentProtocol, describeStall, dialConnector, dialTraceOf, formatCertificate, stallPhase, type DialTrace } from './dial';
import { describeNetworkError } from './errors';
import type { EventSink } from './session';

/**
 * One instrumented HTTP exchange over node:http/https (not fetch: it hides the socket,
 * and the socket events are where DNS/TCP/TLS/TTFB timings and wire byte counts come from).
 * Emits `request`, `redirect`, `response` and `timing` events into the session; the caller
 * reads the body (or streams it) and calls `finish()` at its end.
 */
/** The error httpRequest rejects with when `headersTimeoutMs` passes: `phase` says which step was still unfinished. */
export interface TimeoutError extends NodeJS.ErrnoException {
  code: 'TIMEOUT';
  phase: ReturnType<typeof stallPhase>;
}

export interface HttpRequestOptions {
  url: URL;
  method?: string;
  headers?: HeaderList;
  body?: string | Uint8Array;
  purpose: RequestEvent['purpose'];
  agent?: http.Agent;
  insecure?: boolean;
  /** Abort when the response headers have not arrived after this many ms (0 = no limit). */
  headersTimeoutMs?: number;
  signal?: AbortSignal;
  /** Redirect policy. Cross-origin redirects are never followed unless 'all'. */
  redirects?: 'none' | 'same-origin' | 'all';
  maxRedirects?: number;
  /** Do not log an `error` event when the request ends because `signal` aborted it: the caller reports what the abort meant (client timeout, close). */
  quietAbort?: boolean;
  /** Filled in as the exchange progresses, so a caller with its own time limit can say where it stalled (see describeStall). */
  progress?: HttpProgress;
  /**
   * A streamed body the caller reads from the socket itself (see BodyTap): called with each
   * hop's final response head; when it returns true and the body is chunked or close-delimited,
   * the exchange's `tap` owns the body and `res` emits no 'data' (only 'end', 'error', 'close').
   * Check `tap.taken` after httpRequest resolves, not in a 'response' listener.
   */
  tapBody?: (res: http.IncomingMessage) => boolean;
}

/** How far an exchange got: its socket (once assigned), how it was opened, bytes of answer so far. */
export interface HttpProgress {
  socket?: Socket;
  dial?: DialTrace;
  reused?: boolean;
  /** socket.bytesRead when the request got the socket. */
  startRead?: number;
}

/** Bytes of answer an exchange received so far. */
export function progressBytes(p: HttpProgress): number {
  return p.socket ? p.socket.bytesRead - (p.startRead ?? 0) : 0;
}

export interface HttpExchange {
  requestId: number;
  res: http.IncomingMessage;
  /** Final URL after redirects. */
  url: URL;
  /** Call when the body has been read (or the stream ended) to emit the timing event. */
  finish(extra?: { heldMs?: number }): void;
  /** Monotonic times (session clock) of the exchange's milestones. */
  times: { start: number; sent: number; headers: number };
  socket: Socket;
  /** Set when the answer is a redirect that was not followed: why, in one sentence (secrets redacted). */
  redirectRefused?: string;
  /** With `tapBody`: the socket reader; it owns the body when `tap.taken`. */
  tap?: BodyTap;
}

export const USER_AGENT = 'realtime-inspector/0.1';

/**
 * Removes every credential carrier before a hop to another origin: credential headers (by
 * name, and any header whose value holds a known secret), query values holding a secret, and
 * user:password in the URL (`next` is changed in place). Says what went in `stripped`.
 * HTTP transports and the WebSocket handshake both use it.
 */
export function stripForCrossOrigin(sink: EventSink, headers: HeaderList, next: URL, stripped: string[]): HeaderList {
  const kept = headers.filter(([k, v]) => {
    const strip = sink.isCredentialHeader(k) || sink.redactor.contains(v);
    if (strip) stripped.push(`${k} header`);
    return !strip;
  });
  for (const [k, v] of [...next.searchParams]) {
    if (sink.redactor.contains(v)) {
      next.searchParams.delete(k);
      stripped.push(`query parameter ${k}`);
    }
  }
  if (next.username || next.password) {
    next.username = '';
    next.password = '';
    stripped.push('user:password in the URL');
  }
  return kept;
}

/** Why a redirect to a valid URL of the right scheme was not followed, in one sentence. */
export function redirectRefusal(status: number, to: string, why: 'too-many' | 'off' | 'cross-origin', max: number): string {
  switch (why) {
    case 'too-many':
      return `Too many redirects (more than ${max}); stopped at ${to}.`;
    case 'off':
      return `The server redirected (${status}) to ${to}; redirects are turned off for this connection.`;
    case 'cross-origin':
      return `The server redirected (${status}) to another origin (${to}); not followed because redirects are limited to the same origin (allow all redirects to follow it without credentials).`;
  }
}

export function responseHeaderBytes(res: http.IncomingMessage): number {
  let n = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}\r\n`.length;
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) n += Buffer.byteLength(raw[i]) + 2 + Buffer.byteLength(raw[i + 1]) + 2;
  return n + 2;
}

export function rawHeaderList(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

/** Parses the header block node wrote ("GET / HTTP/1.1\r\nA: b\r\n\r\n") into a list: exactly what went on the wire. */
export function parseRequestHead(head: string): HeaderList {
  const lines = head.split('\r\n').slice(1);
  const out: HeaderList = [];
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) out.push([l.slice(0, i), l.slice(i + 1).trim()]);
  }
  return out;
}

export function headerValue(headers: HeaderList | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const n = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === n) return v;
  return undefined;
}

/** Sends one request and resolves with its response headers; follows redirects per policy. */
export async function httpRequest(sink: EventSink, opts: HttpRequestOptions): Promise<HttpExchange> {
  const policy = opts.redirects ?? 'same-origin';
  const max = opts.maxRedirects ?? 5;
  let url = opts.url;
  let headers = opts.headers ?? [];
  let method = opts.method ?? 'GET';
  let body = opts.body;
  for (let hop = 0; ; hop++) {
    const ex = await httpRequestOnce(sink, opts, url, headers, method, body);
    const status = ex.res.statusCode ?? 0;
    const location = ex.res.headers.location;
    if (status < 300 || status > 399 || status === 304 || !location) return ex;
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      return ex;
    }
    const crossOrigin = next.origin !== url.origin;
    let follow = hop < max && policy !== 'none' && (!crossOrigin || policy === 'all') && /^https?:$/.test(next.protocol);
    const stripped: string[] = [];
    let nextHeaders = headers;
    // A body that carries the credential (first-message auth sent over HTTP) cannot be
    // stripped from a 307/308 without changing the request: such a hop is not followed.
    const keepsBody = body !== undefined && !(status === 303 || ((status === 301 || status === 302) && method === 'POST'));
    const bodyHasSecret = keepsBody && sink.redactor.size > 0 && sink.redactor.contains(typeof body === 'string' ? body : Buffer.from(body!).toString('latin1'));
    if (follow && crossOrigin && bodyHasSecret) {
      follow = false;
      stripped.push('request body (it carries the credential): redirect not followed');
    }
    if (follow && crossOrigin) nextHeaders = stripForCrossOrigin(sink, headers, next, stripped);
    sink.emit({
      type: 'redirect',
      requestId: ex.requestId,
      status,
      from: sink.redactUrl(url.toString()),
      to: sink.redactUrl(next.toString()),
      crossOrigin,
      followed: follow,
      stripped,
    });
    if (!follow) {
      const to = sink.redactUrl(next.toString());
      ex.redirectRefused = !/^https?:$/.test(next.protocol)
        ? `The server redirected (${status}) to ${to}, which is not an http(s) URL.`
        : hop >= max
          ? redirectRefusal(status, to, 'too-many', max)
          : policy === 'none'
            ? redirectRefusal(status, to, 'off', max)
            : bodyHasSecret && policy === 'all'
              ? `The server redirected (${status}) to another origin (${to}); not followed: the request body carries the credential, and a ${status} must resend it unchanged.`
              : redirectRefusal(status, to, 'cross-origin', max);
      return ex;
    }
    ex.res.resume();
    ex.finish();
    url = next;
    headers = nextHeaders;
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
  }
}

/** One hop: `opts` as the caller gave them, with this hop's URL, headers, method and body (they change on redirects). */
function httpRequestOnce(sink: EventSink, opts: HttpRequestOptions, url: URL, headers: HeaderList, method: string, body: string | Uint8Array | undefined): Promise<HttpExchange> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    if (!isHttps && url.protocol !== 'http:') {
      reject(new Error(`unsupported scheme ${url.protocol} for an HTTP request (use http: or https:)`));
      return;
    }
    const requestId = sink.nextRequestId();
    const start = sink.now();
    const times = { start, sent: start, headers: start };
    let tDns: number | undefined;
    let tTcp: number | undefined;
    let tTls: number | undefined;
    let dialed: DialTrace | undefined;
    let socket: Socket | undefined;
    let reused = false;
    let startRead = 0;
    let settled = false;
    const outHeaders: Record<string, string | string[]> = {};
    let hasUA = false;
    for (const [k, v] of headers) {
      if (k.toLowerCase() === 'user-agent') hasUA = true;
      const prev = outHeaders[k];
      outHeaders[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    if (!hasUA) outHeaders['User-Agent'] = USER_AGENT;
    const bodyBytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (body !== undefined) outHeaders['Content-Length'] = String(bodyBytes);
    // Sockets come from dial() (proxy tunnel, verified TLS with the certificate shown on
    // failure): through the caller's or the session's keep-alive agent for this protocol, or
    // one connection for this request when there is neither.
    const settings = sink.options;
    const insecure = opts.insecure ?? settings?.insecure;
    let agent = opts.agent && agentProtocol(opts.agent) === url.protocol ? opts.agent : undefined;
    agent ??= sink.httpAgent?.(url);
    const reqOpts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || (isHttps ? 443 : 80),
      path: url.pathname + url.search,
      headers: outHeaders,
      agent,
      rejectUnauthorized: !insecure,
    };
    // An already-aborted signal goes to node:http, which fails the request at once; a live one is watched by abortOnSignal().
    const signal = opts.signal;
    if (signal?.aborted) reqOpts.signal = signal;
    // Without an agent the dial belongs to this request: a timeout or an abort ends it too.
    // (Only then: a poll through the session's agent allocates none of it.)
    let dialAbort: AbortController | undefined;
    let dialing: DialTrace | undefined;
    if (!agent) {
      dialAbort = new AbortController();
      const dialSignal = signal ? AbortSignal.any([signal, dialAbort.signal]) : dialAbort.signal;
      const dialSettings = { insecure, ca: settings?.ca, proxy: settings?.proxy, timeoutMs: settings?.timeoutMs ?? DEFAULTS.timeoutMs, signal: dialSignal };
      reqOpts.createConnection = dialConnector(sink, isHttps, dialSettings, (t) => (dialing = t)) as unknown as https.RequestOptions['createConnection'];
    }
    let req: http.ClientRequest;
    try {
      req = (isHttps ? https : http).request(reqOpts);
    } catch (err) {
      reject(err);
      return;
    }
    if (signal && !signal.aborted) abortOnSignal(signal, req);
    let timer: NodeJS.Timeout | undefined;
    if (opts.headersTimeoutMs) {
      const ms = opts.headersTimeoutMs;
      timer = setTimeout(() => {
        // Which step it is stuck in: connecting, the proxy, TLS, or a server that answers too slowly.
        const got = socket ? socket.bytesRead - startRead : 0;
        const trace = dialed ?? (socket ? undefined : dialing);
        const e = new Error(trace || socket ? describeStall(trace, ms, got, 'response') : `no connection within ${ms} ms`) as TimeoutError;
        e.code = 'TIMEOUT';
        e.phase = stallPhase(trace, !!socket && (reused || !socket.connecting));
        req.destroy(e);
        // Still dialing (a proxy that never answers CONNECT): the request has no socket, so
        // node:http would only report the error once dial() gives up. Report it now.
        if (!socket) {
          onError(e);
          dialAbort?.abort();
        }
      }, ms);
    }
    let tap: BodyTap | undefined;
    req.on('socket', (sock: Socket) => {
      reused = req.reusedSocket;
      socket = sock;
      if (opts.tapBody) tap = new BodyTap(req, sock, opts.tapBody);
      startRead = sock.bytesRead;
      dialed = reused ? undefined : dialTraceOf(sock);
      if (opts.progress) {
        opts.progress.socket = sock;
        opts.progress.dial = dialed;
        opts.progress.reused = reused;
        opts.progress.startRead = startRead;
      }
      if (!reused && !dialed) {
        sock.once('lookup', () => (tDns = sink.now()));
        sock.once('connect', () => (tTcp = sink.now()));
        sock.once('secureConnect', () => (tTls = sink.now()));
      }
    });
    req.on('finish', () => (times.sent = sink.now()));
    const onError = (err: Error): void => {
      if (timer) clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (opts.quietAbort && opts.signal?.aborted) {
        reject(err);
        return;
      }
      const msg = describeNetworkError(err, sink.redactUrl(url.toString()));
      const cert = err instanceof DialError ? err.tls : undefined;
      const detail = cert ? formatCertificate(cert) : err instanceof DialError ? err.detail : undefined;
      sink.emit({ type: 'error', requestId, code: (err as NodeJS.ErrnoException).code ?? 'NETWORK', message: sink.redact(msg), detail: detail && sink.redact(detail), tls: cert, fatal: false });
      reject(err);
    };
    req.on('error', onError);
    req.on('response', (res) => {
      if (timer) clearTimeout(timer);
      settled = true;
      times.headers = sink.now();
      const sock = res.socket as Socket;
      const seen = loggedResponseHead(sink, res);
      const headerBytes = seen.headerBytes;
      sink.emit({
        type: 'response',
        requestId,
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        httpVersion: res.httpVersion,
        headers: seen.headers,
        headerBytes,
      });
      let finished = false;
      resolve({
        requestId,
        res,
        url,
        times,
        socket: sock,
        tap,
        finish: (extra) => {
          if (finished) return;
          finished = true;
          const end = sink.now();
          const d = dialed;
          const base = d ? Math.min(d.start, start) : start;
          const dns = d ? d.dns : tDns;
          const tcp = d ? d.tcp : tTcp;
          const tunnel = d?.proxy;
          const secured = d ? d.tls : tTls;
          const connectEnd = secured ?? tunnel ?? tcp ?? start;
          const sentAt = Math.max(times.sent, connectEnd);
          sink.emit({
            type: 'timing',
            requestId,
            dns: dns === undefined ? undefined : span(base, dns),
            tcp: tcp === undefined ? undefined : span(dns ?? base, tcp),
            proxy: tunnel === undefined || tcp === undefined ? undefined : span(tcp, tunnel),
            tls: secured === undefined || tcp === undefined ? undefined : span(tunnel ?? tcp, secured),
            ttfb: span(sentAt, times.headers),
            total: span(start, end),
            bodyWireBytes: Math.max(0, sock.bytesRead - startRead - headerBytes),
            reusedSocket: reused,
            remoteAddress: sock.remoteAddress,
            remotePort: sock.remotePort,
            heldMs: extra?.heldMs,
          });
        },
      });
    });
    req.end(body);
    const head = (req as unknown as { _header?: string })._header ?? '';
    const logged = loggedRequestHead(sink, url.href, head);
    sink.emit({
      type: 'request',
      requestId,
      purpose: opts.purpose,
      method,
      url: logged.url,
      headers: logged.headers,
      headerBytes: logged.headerBytes,
      bodyBytes,
      // Redact, then cut: a token straddling the cut must not leave its first half behind.
      body: body === undefined ? undefined : (typeof body === 'string' ? sink.redact(body).slice(0, 2000) : `(${bodyBytes} bytes binary)`),
    });
  });
}

/**
 * What the last request and response of a sink were logged with. A poll loop writes the same
 * request head (and mostly reads the same response head: only Date changes, once a second)
 * thousands of times; parsing, byte counting and redacting it again each time was a tenth of
 * the client's cost per poll. The cached lists are shared by the events that log the same
 * head (events are never changed once emitted). Valid while the redactor knows the same
 * secrets (it only ever gains some).
 */
interface HeadCache {
  secrets: number;
  href?: string;
  url?: string;
  head?: string;
  reqHeaders?: HeaderList;
  reqHeaderBytes?: number;
  status?: number;
  statusText?: string;
  version?: string;
  raw?: string[];
  resHeaders?: HeaderList;
  resHeaderBytes?: number;
}
const headCaches = new WeakMap<EventSink, HeadCache>();

function headCache(sink: EventSink): HeadCache {
  const secrets = sink.redactor.size;
  let c = headCaches.get(sink);
  if (!c || c.secrets !== secrets) {
    c = { secrets };
    headCaches.set(sink, c);
  }
  return c;
}

/** The logged (redacted) URL, header list and header bytes of a request head, as it went on the wire. */
function loggedRequestHead(sink: EventSink, href: string, head: string): { url: string; headers: HeaderList; headerBytes: number } {
  const c = headCache(sink);
  if (c.href !== href) {
    c.url = sink.redactUrl(href);
    c.href = href;
  }
  if (c.head !== head) {
    c.reqHeaders = sink.redactHeaders(parseRequestHead(head));
    c.reqHeaderBytes = Buffer.byteLength(head);
    c.head = head;
  }
  return { url: c.url!, headers: c.reqHeaders!, headerBytes: c.reqHeaderBytes! };
}

/** The logged (redacted) header list and header bytes of a response head. */
function loggedResponseHead(sink: EventSink, res: http.IncomingMessage): { headers: HeaderList; headerBytes: number } {
  const c = headCache(sink);
  const raw = res.rawHeaders;
  if (c.status !== res.statusCode || c.statusText !== res.statusMessage || c.version !== res.httpVersion || !sameStrings(c.raw, raw)) {
    c.resHeaders = sink.redactHeaders(rawHeaderList(raw));
    c.resHeaderBytes = responseHeaderBytes(res);
    c.status = res.statusCode;
    c.statusText = res.statusMessage;
    c.version = res.httpVersion;
    c.raw = raw;
  }
  return { headers: c.resHeaders!, headerBytes: c.resHeaderBytes! };
}

function sameStrings(a: string[] | undefined, b: string[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Requests in flight per abort signal. node:http's own `signal` option adds an abort
 * listener and an end-of-stream watcher to every request (~20 µs of a ~300 µs poll answered
 * at once on loopback); a poll loop reuses one signal for thousands of requests, so one
 * listener per signal destroys whichever of its requests are still open, the way node:http
 * would (an AbortError carrying the signal's reason).
 */
const inFlight = new WeakMap<AbortSignal, Set<http.ClientRequest>>();
/** The set a watched request is in (a property of the request: a WeakMap entry per request cost more). */
const kWatchers = Symbol('abortWatchers');
type WatchedRequest = http.ClientRequest & { [kWatchers]?: Set<http.ClientRequest> };

function abortOnSignal(signal: AbortSignal, req: http.ClientRequest): void {
  let reqs = inFlight.get(signal);
  if (!reqs) {
    const set = new Set<http.ClientRequest>();
    reqs = set;
    inFlight.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const r of [...set]) r.destroy(abortError(signal));
        set.clear();
      },
      { once: true },
    );
  }
  reqs.add(req);
  (req as WatchedRequest)[kWatchers] = reqs;
  req.on('close', forgetRequest);
}

function forgetRequest(this: WatchedRequest): void {
  this[kWatchers]?.delete(this);
}

/** The error node:http destroys a request with when its signal aborts. */
function abortError(signal: AbortSignal): Error {
  const e = new Error('The operation was aborted', { cause: signal.reason }) as NodeJS.ErrnoException;
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  return e;
}

/** Reads a whole body into one Buffer, failing past `limit` bytes. */
export function readBody(res: http.IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    res.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        res.destroy(new Error(`response body larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted by the server')));
  });
}
