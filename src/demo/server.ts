/**
 * The embedded demo server: the default target of the CLI, the tests, `npm start` and the
 * extension, so the tool works the minute it is installed. One message feed is served over
 * all four transports (short polling, long polling, SSE, WebSocket), plain and behind every
 * auth variant the inspector knows. It is the other side of the wire: it never imports
 * src/transports.
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  checkSubprotocols,
  DEMO_AUTH_METHODS,
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_TRANSPORTS,
  findCredential,
  parseAuthMessage,
  parseSubprotocols,
  TokenStore,
  WS_ONLY_METHODS,
  type DemoAuthMethod,
  type DemoTransport,
} from './auth';
import { Feed, MAX_PAYLOAD_SIZE, type FeedMessage } from './feed';
import { BodyTooLarge, etagMatches, IDENTITY_HEADERS, intParam, readBody, rejectUpgrade, sendError, sendJson, sendRawJson, sendText } from './httpUtil';

export { DEMO_TOKEN, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './auth';
export type { DemoAuthMethod, DemoTransport } from './auth';

export interface DemoServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (the system picks a free port). */
  port?: number;
  /** Ticks per second, default 2; 0 = paused. */
  rate?: number;
  /** Approximate bytes of each tick's JSON, default 64. */
  payloadSize?: number;
  /** Lifetime of tokens issued by /token, default 60. */
  tokenTtlSeconds?: number;
  /** SSE comment heartbeat, default 15000. */
  heartbeatMs?: number;
  /** How long a long-poll request is held before a 204, default 25000. */
  longPollTimeoutMs?: number;
  /** First-message auth: how long the server waits for the auth frame, default 5000. */
  firstMessageTimeoutMs?: number;
}

export interface DemoCounters {
  /** Messages the ticker published. */
  ticks: number;
  /** All messages published: ticks plus /send and publish(). */
  published: number;
  /** HTTP requests (WebSocket: upgrade requests) per route: index, poll, long-poll, sse, ws, wsEcho, send, token, echo, other. */
  requests: Record<string, number>;
  /** Distinct TCP connections that served each route (keep-alive reuse shows here), plus `total` accepted. */
  connections: Record<string, number>;
  /** Open right now: held long-polls, SSE streams, WebSockets (all paths). */
  active: Record<string, number>;
}

export interface DemoServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly httpUrl: string;
  /** ws://127.0.0.1:PORT */
  readonly wsUrl: string;
  /** One URL per transport for the plain (no auth) endpoints, plus send, echo and token. */
  readonly urls: { poll: string; 'long-poll': string; sse: string; ws: string; wsEcho: string; send: string; token: string };
  /** The long-lived demo token accepted by every auth variant (except token-url). */
  readonly demoToken: string;
  /** Current tick sequence number (seq of the last published message, 0 before any). */
  readonly seq: number;
  setRate(ticksPerSecond: number): void;
  setPayloadSize(bytes: number): void;
  /** Publish a message to every transport now (what POST /send does). */
  publish(data: unknown): void;
  /** Auth-protected URL for a transport and method. */
  authUrl(transport: DemoTransport, method: DemoAuthMethod): string;
  /** Counters the tests and the transport comparison use. */
  counters(): DemoCounters;
  /** Closes every socket at once (WebSocket clients with 1001), clears timers; resolves quickly. */
  close(): Promise<void>;
}

export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const server = new DemoServerImpl(validateOptions(opts));
  await server.listen();
  return server;
}

type Resolved = Required<DemoServerOptions>;

function validateOptions(o: DemoServerOptions): Resolved {
  const r: Resolved = {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    rate: o.rate ?? 2,
    payloadSize: o.payloadSize ?? 64,
    tokenTtlSeconds: o.tokenTtlSeconds ?? 60,
    heartbeatMs: o.heartbeatMs ?? 15_000,
    longPollTimeoutMs: o.longPollTimeoutMs ?? 25_000,
    firstMessageTimeoutMs: o.firstMessageTimeoutMs ?? 5_000,
  };
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535) throw new RangeError(`The port must be a whole number from 0 to 65535 (0 = any free port); got ${String(r.port)}.`);
  if (typeof r.rate !== 'number' || !Number.isFinite(r.rate) || r.rate < 0) throw new RangeError(`The tick rate must be a number of ticks per second, 0 or more (0 pauses); got ${String(r.rate)}.`);
  if (!Number.isInteger(r.payloadSize) || r.payloadSize < 0 || r.payloadSize > MAX_PAYLOAD_SIZE) {
    throw new RangeError(`payloadSize must be a whole number of bytes from 0 to ${MAX_PAYLOAD_SIZE}; got ${String(r.payloadSize)}.`);
  }
  if (!(r.tokenTtlSeconds > 0) || !Number.isFinite(r.tokenTtlSeconds)) throw new RangeError(`tokenTtlSeconds must be a positive number; got ${String(r.tokenTtlSeconds)}.`);
  for (const k of ['heartbeatMs', 'firstMessageTimeoutMs'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1 || r[k] > MAX_TIMER_MS) throw new RangeError(`${k} must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}; got ${String(r[k])}.`);
  }
  if (!Number.isInteger(r.longPollTimeoutMs) || r.longPollTimeoutMs < 0 || r.longPollTimeoutMs > MAX_TIMER_MS) {
    throw new RangeError(`longPollTimeoutMs must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}; got ${String(r.longPollTimeoutMs)}.`);
  }
  return r;
}

/** setTimeout silently fires at once above 2^31-1 ms; keep well below. */
const MAX_TIMER_MS = 24 * 3600_000;
/** The longest hold a client may ask for with ?timeout=. */
const MAX_LONG_POLL_MS = 10 * 60_000;
/** SSE `retry:` sent on connect. */
const SSE_RETRY_MS = 2000;
/** A client this far behind on a stream is dropped instead of buffering without bound. */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** Largest WebSocket message accepted. */
const MAX_WS_PAYLOAD = 16 * 1024 * 1024;
/** close(): how long WebSocket clients get to answer the close frame before sockets are cut. */
const CLOSE_GRACE_MS = 250;

const CORS: OutgoingHttpHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'ETag, Last-Modified, X-Cursor, X-Demo-Server',
};
const NO_CACHE: OutgoingHttpHeaders = { 'Cache-Control': 'no-cache' };

const ROUTE_KEYS = ['index', 'poll', 'long-poll', 'sse', 'ws', 'wsEcho', 'send', 'token', 'echo', 'other'] as const;
type RouteKey = (typeof ROUTE_KEYS)[number];

type Route =
  | { key: 'index' | 'send' | 'token' | 'echo' }
  | { key: 'wsEcho' }
  | { key: DemoTransport; auth?: DemoAuthMethod }
  | { key: 'other'; reason: string };

function route(pathname: string): Route {
  switch (pathname) {
    case '/':
      return { key: 'index' };
    case '/poll':
    case '/long-poll':
    case '/sse':
    case '/ws':
      return { key: pathname.slice(1) as DemoTransport };
    case '/send':
    case '/token':
    case '/echo':
      return { key: pathname.slice(1) as 'send' | 'token' | 'echo' };
  }
  const m = /^\/auth\/([^/]+)\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    const method = m[1] as DemoAuthMethod;
    const transport = m[2] as DemoTransport;
    if (!DEMO_AUTH_METHODS.includes(method)) return { key: 'other', reason: `Unknown auth method "${m[1]}". Methods: ${DEMO_AUTH_METHODS.join(', ')}.` };
    if (!DEMO_TRANSPORTS.includes(transport)) return { key: 'other', reason: `Unknown transport "${m[2]}". Transports: ${DEMO_TRANSPORTS.join(', ')}.` };
    return { key: transport, auth: method };
  }
  return { key: 'other', reason: `No route ${pathname}. GET / lists every URL.` };
}

/** Allowed methods per route, for 405 answers and CORS preflights. */
const ALLOW: Record<Exclude<RouteKey, 'other'>, string> = {
  index: 'GET, HEAD',
  poll: 'GET, HEAD',
  'long-poll': 'GET',
  sse: 'GET',
  ws: 'GET',
  wsEcho: 'GET, POST',
  send: 'POST',
  token: 'GET, POST',
  echo: 'GET, POST',
};

interface Waiter {
  cursor: number;
  res: ServerResponse;
  headers: OutgoingHttpHeaders;
  timer: NodeJS.Timeout;
}

interface SseClient {
  res: ServerResponse;
  heartbeat: NodeJS.Timeout;
}

/** What a WebSocket connection does once open. */
type WsMode = 'ticks' | 'echo' | 'first-message';

class DemoServerImpl implements DemoServer {
  private readonly http: Server;
  private readonly feed: Feed;
  private readonly tokens: TokenStore;
  private readonly wssPlain: WebSocketServer;
  private readonly wssDeflate: WebSocketServer;
  /** Decided before the handshake: the subprotocol to echo (false = echo none). */
  private readonly protocolChoice = new WeakMap<IncomingMessage, string | false>();
  private readonly sockets = new Set<Socket>();
  private readonly socketRoutes = new WeakMap<Duplex, Set<RouteKey>>();
  private readonly waiters = new Set<Waiter>();
  private readonly sseClients = new Set<SseClient>();
  private readonly allWs = new Set<WebSocket>();
  private readonly tickWs = new Set<WebSocket>();
  private readonly requestCounts: Record<string, number> = Object.fromEntries(ROUTE_KEYS.map((k) => [k, 0]));
  private readonly connectionCounts: Record<string, number> = Object.fromEntries([...ROUTE_KEYS, 'total'].map((k) => [k, 0]));
  private closing: Promise<void> | undefined;
  private socketsDrained: (() => void) | undefined;
  private wsDrained: (() => void) | undefined;
  private boundPort = 0;
  private urlHost = '127.0.0.1';

  constructor(private readonly opts: Resolved) {
    this.feed = new Feed(0, opts.payloadSize);
    this.tokens = new TokenStore(opts.tokenTtlSeconds);
    this.feed.subscribe((m) => this.fanOut(m));

    const handleProtocols = (offered: Set<string>, req: IncomingMessage): string | false => {
      const choice = this.protocolChoice.get(req);
      if (choice !== undefined) return choice;
      // Plain routes behave like ws's default: accept the first protocol offered.
      const first = offered.values().next();
      return first.done ? false : first.value;
    };
    const common = { noServer: true, clientTracking: false, maxPayload: MAX_WS_PAYLOAD, handleProtocols } as const;
    this.wssPlain = new WebSocketServer({ ...common, perMessageDeflate: false });
    this.wssDeflate = new WebSocketServer({ ...common, perMessageDeflate: true });
    for (const wss of [this.wssPlain, this.wssDeflate]) {
      wss.on('headers', (headers) => {
        for (const [k, v] of Object.entries(IDENTITY_HEADERS)) headers.push(`${k}: ${v}`);
      });
      wss.on('error', () => undefined);
    }

    this.http = createServer({ noDelay: true });
    this.http.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      this.connectionCounts.total++;
      socket.on('close', () => {
        this.sockets.delete(socket);
        if (this.sockets.size === 0) this.socketsDrained?.();
      });
    });
    this.http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.onRequest(req, res).catch((err: unknown) => this.internalError(res, err));
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.onUpgrade(req, socket, head);
      } catch (err) {
        rejectUpgrade(socket, 500, { error: 'internal', reason: `The demo server failed on this handshake: ${(err as Error).message}` });
      }
    });
    this.http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      rejectUpgrade(socket, status, { error: 'bad_request', reason: `The request could not be parsed as HTTP/1.1 (${err.code ?? err.message}).` });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.feed.stop();
        const where = `${this.opts.host}:${this.opts.port}`;
        const msg =
          err.code === 'EADDRINUSE'
            ? `Port ${this.opts.port} on ${this.opts.host} is already in use; pick another port (0 lets the system choose one).`
            : err.code === 'EACCES'
              ? `Not allowed to listen on ${where} (ports below 1024 need privileges); pick a port above 1024.`
              : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
                ? `The address ${this.opts.host} is not one of this machine's; use 127.0.0.1 or another local address.`
                : `The demo server could not listen on ${where}: ${err.message}`;
        reject(Object.assign(new Error(msg), { code: err.code }));
      };
      this.http.once('error', onError);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    const addr = this.http.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    const h = this.opts.host;
    // A wildcard bind is reachable locally via loopback; IPv6 literals need brackets in URLs.
    this.urlHost = h === '0.0.0.0' || h === '' ? '127.0.0.1' : h === '::' ? '[::1]' : h.includes(':') ? `[${h}]` : h;
    this.feed.setRate(this.opts.rate);
  }

  // ---- public API ------------------------------------------------------------------------

  get port(): number {
    return this.boundPort;
  }
  get httpUrl(): string {
    return `http://${this.urlHost}:${this.boundPort}`;
  }
  get wsUrl(): string {
    return `ws://${this.urlHost}:${this.boundPort}`;
  }
  get urls(): DemoServer['urls'] {
    const h = this.httpUrl;
    const w = this.wsUrl;
    return { poll: `${h}/poll`, 'long-poll': `${h}/long-poll`, sse: `${h}/sse`, ws: `${w}/ws`, wsEcho: `${w}/echo`, send: `${h}/send`, token: `${h}/token` };
  }
  get demoToken(): string {
    return this.tokens.demoToken;
  }
  get seq(): number {
    return this.feed.seq;
  }

  setRate(ticksPerSecond: number): void {
    if (this.closing) return;
    this.feed.setRate(ticksPerSecond);
  }

  setPayloadSize(bytes: number): void {
    this.feed.setPayloadSize(bytes);
  }

  publish(data: unknown): void {
    this.feed.publishData(data);
  }

  authUrl(transport: DemoTransport, method: DemoAuthMethod): string {
    return `${transport === 'ws' ? this.wsUrl : this.httpUrl}/auth/${method}/${transport}`;
  }

  counters(): DemoCounters {
    return {
      ticks: this.feed.ticks,
      published: this.feed.published,
      requests: { ...this.requestCounts },
      connections: { ...this.connectionCounts },
      active: { 'long-poll': this.waiters.size, sse: this.sseClients.size, ws: this.allWs.size },
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(IDENTITY_HEADERS)) res.setHeader(k, v);
    const url = parseTarget(req.url);
    if (!url) {
      this.count(req.socket, 'other');
      sendError(res, 400, 'bad_request', 'The request target is not a valid URL path.');
      return;
    }
    const r = route(url.pathname);
    this.count(req.socket, r.key);
    if (this.closing) {
      sendError(res, 503, 'shutting_down', 'The demo server is shutting down.', { Connection: 'close' });
      return;
    }
    if (r.key === 'other') {
      sendError(res, 404, 'not_found', r.reason);
      return;
    }
    const plain = !('auth' in r && r.auth);
    // Only the plain routes are open to any origin; auth routes carry credentials.
    const cors = plain ? CORS : {};
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        Allow: `${ALLOW[r.key]}, OPTIONS`,
        ...(plain && {
          'Access-Control-Allow-Methods': `${ALLOW[r.key]}, OPTIONS`,
          'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Content-Type, Authorization, Last-Event-ID, If-None-Match',
          'Access-Control-Max-Age': '600',
        }),
      });
      res.end();
      return;
    }
    if (!ALLOW[r.key].split(', ').includes(method)) {
      sendError(res, 405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use ${ALLOW[r.key]}.`, { ...cors, Allow: ALLOW[r.key] });
      return;
    }

    switch (r.key) {
      case 'index':
        return this.serveIndex(req, res, url);
      case 'send':
        return this.serveSend(req, res);
      case 'token':
        return this.serveToken(req, res, method);
      case 'echo':
      case 'wsEcho':
        if (method === 'POST') return this.serveEcho(req, res);
        return this.upgradeRequired(res, url, cors, 'or POST to /echo for an HTTP echo');
    }

    if (r.auth) {
      if (WS_ONLY_METHODS.includes(r.auth) && r.key !== 'ws') {
        sendError(res, 400, 'unsupported_auth', wsOnlyReason(r.auth, r.key));
        return;
      }
      if (r.key !== 'ws') {
        const verdict = this.checkHttpAuth(r.auth as HttpAuthMethod, url, req);
        if (!verdict.ok) {
          sendError(res, 401, 'unauthorized', verdict.reason, { 'WWW-Authenticate': 'Bearer realm="realtime-inspector-demo"' });
          return;
        }
      }
    }
    switch (r.key) {
      case 'poll':
        return this.servePoll(req, res, url, cors);
      case 'long-poll':
        return this.serveLongPoll(res, url, cors);
      case 'sse':
        return this.serveSse(req, res, url, cors);
      case 'ws':
        return this.upgradeRequired(res, url, cors);
    }
  }

  private checkHttpAuth(method: HttpAuthMethod, url: URL, req: IncomingMessage): { ok: true } | { ok: false; reason: string } {
    const found = findCredential(method, url, req.headers);
    if (!found.token) return { ok: false, reason: found.malformed ?? `Missing token: expected ${found.expected}.` };
    return this.tokens.check(found.token, method === 'token-url');
  }

  private upgradeRequired(res: ServerResponse, url: URL, cors: OutgoingHttpHeaders, also = ''): void {
    sendError(res, 426, 'upgrade_required', `${url.pathname} is a WebSocket endpoint: open ${this.wsUrl}${url.pathname} with a WebSocket client${also ? `, ${also}` : ''}.`, {
      ...cors,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
    });
  }

  private serveIndex(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const u = this.urls;
    const routes: Array<[string, string]> = [
      [`GET ${u.poll}`, 'short polling: the latest message, ETag/304, ?since=N for everything after N'],
      [`GET ${u['long-poll']}?cursor=N`, `long polling: held until a message with seq > N (204 after ${this.opts.longPollTimeoutMs} ms or ?timeout=ms)`],
      [`GET ${u.sse}`, 'Server-Sent Events: id/event/data per message, heartbeats, Last-Event-ID replay'],
      [`WS  ${u.ws}`, 'WebSocket: every message, and echoes what you send (?deflate=1 offers permessage-deflate)'],
      [`WS  ${u.wsEcho}`, 'WebSocket pure echo (no ticks)'],
      [`POST ${u.send}`, 'publish the body to every transport (202 {"seq":N})'],
      [`POST ${this.httpUrl}/echo`, 'HTTP echo of the body'],
      [`GET|POST ${u.token}`, `short-lived token (${this.opts.tokenTtlSeconds} s); POST may carry {"client_id":"${DEMO_CLIENT_ID}","client_secret":"${DEMO_CLIENT_SECRET}"}`],
      [`${this.httpUrl}/auth/<method>/<transport>`, `auth variants: method = ${DEMO_AUTH_METHODS.join(' | ')}; transport = ${DEMO_TRANSPORTS.join(' | ')}`],
    ];
    const info = { name: 'Realtime Inspector demo server', demoToken: this.demoToken, seq: this.feed.seq, routes: Object.fromEntries(routes) };
    const wantsJson = url.searchParams.get('format') === 'json' || /application\/json/i.test(req.headers.accept ?? '');
    if (wantsJson) {
      sendJson(res, 200, info, { ...CORS, ...NO_CACHE });
      return;
    }
    const width = Math.max(...routes.map(([k]) => k.length));
    const text = [
      'Realtime Inspector demo server',
      '',
      ...routes.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
      '',
      `Demo token (every auth variant except token-url): ${this.demoToken}`,
      'Query parameter "access_token", header "Authorization: Bearer <token>", cookie "session",',
      'subprotocols ["access_token", <token>], first message {"type":"auth","token":"<token>"}.',
      '',
    ].join('\n');
    sendText(res, 200, text, 'text/plain; charset=utf-8', { ...CORS, ...NO_CACHE });
  }

  private servePoll(req: IncomingMessage, res: ServerResponse, url: URL, cors: OutgoingHttpHeaders): void {
    const since = intParam(url, 'since');
    if (Number.isNaN(since)) {
      sendError(res, 400, 'bad_request', '"since" must be a whole number: the cursor from an earlier answer (0 for everything buffered).', cors);
      return;
    }
    const base = { ...cors, ...NO_CACHE };
    if (since !== undefined) {
      const { messages, missed } = this.feed.after(this.validCursor(since));
      if (messages.length === 0) {
        res.writeHead(204, { ...base, 'X-Cursor': String(this.feed.seq) });
        res.end();
        return;
      }
      const last = messages[messages.length - 1].seq;
      sendRawJson(res, 200, `{"messages":[${joinJson(messages)}],"cursor":${last}${missed ? `,"missed":${missed}` : ''}}`, { ...base, 'X-Cursor': String(last) });
      return;
    }
    const latest = this.feed.latest;
    const etag = `"${this.feed.seq}"`;
    const headers: OutgoingHttpHeaders = { ...base, ETag: etag };
    if (latest) headers['Last-Modified'] = new Date(latest.ts).toUTCString();
    if (etagMatches(req.headers['if-none-match'], etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (!latest) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    sendRawJson(res, 200, latest.json, headers);
  }

  /** A cursor ahead of this server comes from an earlier run (seqs restarted): start over. */
  private validCursor(cursor: number): number {
    return cursor > this.feed.seq ? 0 : cursor;
  }

  private serveLongPoll(res: ServerResponse, url: URL, cors: OutgoingHttpHeaders): void {
    const cursorParam = intParam(url, 'cursor');
    const timeout = intParam(url, 'timeout');
    if (Number.isNaN(cursorParam)) {
      sendError(res, 400, 'bad_request', '"cursor" must be a whole number: the cursor from the previous answer.', cors);
      return;
    }
    if (Number.isNaN(timeout) || (timeout !== undefined && timeout > MAX_LONG_POLL_MS)) {
      sendError(res, 400, 'bad_request', `"timeout" must be a whole number of milliseconds from 0 to ${MAX_LONG_POLL_MS}.`, cors);
      return;
    }
    const headers = { ...cors, ...NO_CACHE };
    // No cursor: wait for the next message.
    const cursor = cursorParam === undefined ? this.feed.seq : this.validCursor(cursorParam);
    if (this.feed.seq > cursor) {
      answerLongPoll(res, this.feed, cursor, headers);
      return;
    }
    const holdMs = timeout ?? this.opts.longPollTimeoutMs;
    if (holdMs === 0) {
      res.writeHead(204, { ...headers, 'X-Cursor': String(cursor) });
      res.end();
      return;
    }
    // The client may have gone while this request was routed: then there is nothing to hold.
    if (!res.socket || res.socket.destroyed) return;
    res.socket.setNoDelay(true);
    const waiter: Waiter = {
      cursor,
      res,
      headers,
      timer: setTimeout(() => {
        this.waiters.delete(waiter);
        res.writeHead(204, { ...headers, 'X-Cursor': String(cursor) });
        res.end();
      }, holdMs),
    };
    this.waiters.add(waiter);
    // An aborted client releases its hold at once (no timer or entry left behind).
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
    });
  }

  private serveSse(req: IncomingMessage, res: ServerResponse, url: URL, cors: OutgoingHttpHeaders): void {
    if (!res.socket || res.socket.destroyed) return;
    const headerId = req.headers['last-event-id'];
    const lastId = (typeof headerId === 'string' ? headerId : undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
    res.writeHead(200, {
      ...cors,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.socket?.setNoDelay(true);
    let head = `retry: ${SSE_RETRY_MS}\n: connected\n\n`;
    if (lastId !== undefined && lastId.trim() !== '') {
      const id = lastId.trim();
      if (/^\d{1,15}$/.test(id)) {
        const cursor = this.validCursor(Number(id));
        const { messages, missed } = this.feed.after(cursor);
        if (missed) head += `: ${missed} message(s) after id ${cursor} are no longer buffered\n\n`;
        for (const m of messages) head += sseFrame(m);
      } else {
        head += `: Last-Event-ID ${JSON.stringify(id.slice(0, 64))} is not an id from this server; nothing replayed\n\n`;
      }
    }
    res.write(head);
    const client: SseClient = {
      res,
      heartbeat: setInterval(() => writeOrDrop(res, `: heartbeat ${Date.now()}\n\n`), this.opts.heartbeatMs),
    };
    this.sseClients.add(client);
    res.on('close', () => {
      clearInterval(client.heartbeat);
      this.sseClients.delete(client);
    });
  }

  private async serveSend(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.body(req, res);
    if (!body) return;
    const text = body.toString('utf8');
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: published as text.
    }
    const m = this.feed.publishData(data);
    sendJson(res, 202, { seq: m.seq }, { ...CORS, 'Cache-Control': 'no-store' });
  }

  private async serveEcho(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.body(req, res);
    if (!body) return;
    if (res.headersSent) return;
    res.writeHead(200, { ...CORS, 'Cache-Control': 'no-store', 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
  }

  private async serveToken(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const headers = { ...CORS, 'Cache-Control': 'no-store', Pragma: 'no-cache' };
    let clientId: string | undefined;
    let clientSecret: string | undefined;
    const basic = /^\s*basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = colon >= 0 ? decoded.slice(0, colon) : decoded;
      clientSecret = colon >= 0 ? decoded.slice(colon + 1) : '';
    }
    if (method === 'POST') {
      const body = await this.body(req, res);
      if (!body) return;
      const text = body.toString('utf8').trim();
      if (text) {
        const type = req.headers['content-type'] ?? '';
        if (/application\/x-www-form-urlencoded/i.test(type)) {
          const form = new URLSearchParams(text);
          clientId = form.get('client_id') ?? clientId;
          clientSecret = form.get('client_secret') ?? clientSecret;
        } else {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            sendError(res, 400, 'invalid_request', 'The body is not JSON; send {"client_id":"demo","client_secret":"demo-secret"} or nothing.', headers);
            return;
          }
          if (typeof json !== 'object' || json === null || Array.isArray(json)) {
            sendError(res, 400, 'invalid_request', 'The body must be a JSON object like {"client_id":"demo","client_secret":"demo-secret"}.', headers);
            return;
          }
          const o = json as Record<string, unknown>;
          if (o.client_id !== undefined) clientId = String(o.client_id);
          if (o.client_secret !== undefined) clientSecret = String(o.client_secret);
        }
      }
    }
    if ((clientId !== undefined || clientSecret !== undefined) && (clientId !== DEMO_CLIENT_ID || clientSecret !== DEMO_CLIENT_SECRET)) {
      sendError(res, 401, 'invalid_client', `Wrong client credentials; the demo client is client_id "${DEMO_CLIENT_ID}" with client_secret "${DEMO_CLIENT_SECRET}".`, {
        ...headers,
        'WWW-Authenticate': 'Basic realm="realtime-inspector-demo"',
      });
      return;
    }
    const { token, expiresIn } = this.tokens.issue();
    sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn }, headers);
  }

  /** Reads a bounded body; answers the error itself and returns undefined on failure. */
  private async body(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
    try {
      return await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) sendError(res, 413, 'too_large', 'The body is larger than 1 MiB.', { ...CORS, Connection: 'close' });
      else res.destroy();
      return undefined;
    }
  }

  private internalError(res: ServerResponse, err: unknown): void {
    if (!res.headersSent) sendError(res, 500, 'internal', `The demo server failed on this request: ${err instanceof Error ? err.message : String(err)}`);
    else res.destroy();
  }

  private count(socket: Duplex, key: RouteKey): void {
    this.requestCounts[key]++;
    let seen = this.socketRoutes.get(socket);
    if (!seen) this.socketRoutes.set(socket, (seen = new Set()));
    if (!seen.has(key)) {
      seen.add(key);
      this.connectionCounts[key]++;
    }
  }

  // ---- WebSocket ------------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = parseTarget(req.url);
    if (!url) {
      this.count(socket, 'other');
      rejectUpgrade(socket, 400, { error: 'bad_request', reason: 'The request target is not a valid URL path.' });
      return;
    }
    const r = route(url.pathname);
    this.count(socket, r.key === 'echo' ? 'wsEcho' : r.key);
    if (this.closing) {
      rejectUpgrade(socket, 503, { error: 'shutting_down', reason: 'The demo server is shutting down.' });
      return;
    }
    if (r.key === 'other') {
      rejectUpgrade(socket, 404, { error: 'not_found', reason: r.reason });
      return;
    }
    if (r.key !== 'ws' && r.key !== 'echo') {
      rejectUpgrade(socket, 400, { error: 'not_websocket', reason: `${url.pathname} is not a WebSocket endpoint; WebSocket endpoints are /ws, /echo and /auth/<method>/ws.` });
      return;
    }
    const bad = handshakeProblem(req);
    if (bad) {
      rejectUpgrade(socket, bad.status, { error: 'bad_handshake', reason: bad.reason }, bad.headers);
      return;
    }
    const auth = 'auth' in r ? r.auth : undefined;
    let mode: WsMode = r.key === 'echo' ? 'echo' : 'ticks';
    const unauthorized = (reason: string) => rejectUpgrade(socket, 401, { error: 'unauthorized', reason }, { 'WWW-Authenticate': 'Bearer realm="realtime-inspector-demo"' });
    if (auth === 'subprotocol' || auth === 'subprotocol-noecho') {
      const verdict = checkSubprotocols(this.tokens, parseSubprotocols(req.headers['sec-websocket-protocol']) ?? []);
      if (!verdict.ok) return unauthorized(verdict.reason);
      this.protocolChoice.set(req, auth === 'subprotocol' ? verdict.echo : false);
    } else if (auth === 'first-message') {
      mode = 'first-message';
    } else if (auth) {
      const verdict = this.checkHttpAuth(auth, url, req);
      if (!verdict.ok) return unauthorized(verdict.reason);
    }
    const deflate = url.searchParams.get('deflate');
    const wss = deflate === '1' || deflate === 'true' ? this.wssDeflate : this.wssPlain;
    wss.handleUpgrade(req, socket, head, (ws) => this.onWsOpen(ws, mode));
  }

  private onWsOpen(ws: WebSocket, mode: WsMode): void {
    if (this.closing) {
      ws.close(1001, 'server shutting down');
      return;
    }
    this.allWs.add(ws);
    let authTimer: NodeJS.Timeout | undefined;
    ws.on('error', () => undefined); // ws closes the socket itself; the 'close' below cleans up.
    ws.on('close', () => {
      clearTimeout(authTimer);
      this.allWs.delete(ws);
      this.tickWs.delete(ws);
      if (this.allWs.size === 0) this.wsDrained?.();
    });
    if (mode === 'echo') {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      return;
    }
    if (mode === 'ticks') {
      this.tickWs.add(ws);
      ws.on('message', (data, isBinary) => wrapEcho(ws, data, isBinary));
      return;
    }
    let state: 'waiting' | 'authed' | 'refused' = 'waiting';
    const refuse = (reason: string) => {
      state = 'refused';
      clearTimeout(authTimer);
      ws.send(JSON.stringify({ kind: 'auth-error', error: 'unauthorized', reason }));
      ws.close(4401, 'unauthorized');
    };
    authTimer = setTimeout(() => refuse(`No auth message within ${this.opts.firstMessageTimeoutMs} ms; send {"type":"auth","token":"<token>"} right after connecting.`), this.opts.firstMessageTimeoutMs);
    ws.on('message', (data, isBinary) => {
      if (state === 'authed') return wrapEcho(ws, data, isBinary);
      if (state === 'refused') return;
      if (isBinary) return refuse('The auth message must be a text frame: {"type":"auth","token":"<token>"}.');
      const parsed = parseAuthMessage(rawToBuffer(data).toString('utf8'));
      if ('reason' in parsed) return refuse(parsed.reason);
      const verdict = this.tokens.check(parsed.token, false);
      if (!verdict.ok) return refuse(verdict.reason);
      state = 'authed';
      clearTimeout(authTimer);
      ws.send('{"kind":"auth-ok"}');
      this.tickWs.add(ws);
    });
  }

  // ---- fan-out and shutdown --------------------------------------------------------------

  private fanOut(m: FeedMessage): void {
    for (const w of this.waiters) {
      if (m.seq <= w.cursor) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      answerLongPoll(w.res, this.feed, w.cursor, w.headers);
    }
    if (this.sseClients.size) {
      const frame = sseFrame(m);
      for (const c of this.sseClients) writeOrDrop(c.res, frame);
    }
    if (this.tickWs.size) {
      // One encoding for all clients instead of one per send().
      const bytes = Buffer.from(m.json, 'utf8');
      for (const ws of this.tickWs) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        if (ws.bufferedAmount > MAX_BACKLOG_BYTES) {
          ws.terminate();
          continue;
        }
        ws.send(bytes, { binary: false });
      }
    }
  }

  private async shutdown(): Promise<void> {
    this.feed.stop();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      sendError(w.res, 503, 'shutting_down', 'The demo server is shutting down.', { ...w.headers, Connection: 'close' });
    }
    this.waiters.clear();
    for (const c of this.sseClients) {
      clearInterval(c.heartbeat);
      c.res.end(': server shutting down\n\n');
    }
    this.sseClients.clear();
    const wsGone = new Promise<void>((resolve) => {
      if (this.allWs.size === 0) resolve();
      else this.wsDrained = resolve;
    });
    for (const ws of this.allWs) ws.close(1001, 'server shutting down');
    const serverClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    // Let well-behaved clients answer the close frame; everything else is cut after the grace.
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([wsGone, new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    const socketsGone = new Promise<void>((resolve) => {
      if (this.sockets.size === 0) resolve();
      else this.socketsDrained = resolve;
    });
    // end() flushes what was written (final chunks, 503s) before the FIN.
    for (const s of this.sockets) s.end();
    await Promise.race([socketsGone, new Promise<void>((resolve) => {
      clearTimeout(graceTimer);
      graceTimer = setTimeout(resolve, CLOSE_GRACE_MS);
    })]);
    clearTimeout(graceTimer);
    for (const s of this.sockets) s.destroy();
    for (const ws of this.allWs) ws.terminate();
    this.wssPlain.close();
    this.wssDeflate.close();
    await serverClosed;
  }
}

type HttpAuthMethod = 'query' | 'bearer' | 'cookie' | 'token-url';

function wsOnlyReason(method: DemoAuthMethod, transport: DemoTransport): string {
  const alternatives = 'query, bearer, cookie or token-url';
  if (method === 'first-message') {
    return `first-message auth is WebSocket-only: the token travels in the first frame after the connection opens, and ${transport} has no such frame. Use ${alternatives} for ${transport}.`;
  }
  return `${method} auth is WebSocket-only: the token travels in the Sec-WebSocket-Protocol handshake header, which ${transport} does not have. Use ${alternatives} for ${transport}.`;
}

/** Checks ws would do, answered here so the refusal carries our headers and a clear reason. */
function handshakeProblem(req: IncomingMessage): { status: number; reason: string; headers?: Record<string, string> } | undefined {
  if (req.method !== 'GET') return { status: 405, reason: `A WebSocket handshake must be a GET, not ${req.method ?? '?'}.`, headers: { Allow: 'GET' } };
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return { status: 400, reason: `Only WebSocket upgrades are served (got Upgrade: ${req.headers.upgrade ?? ''}).` };
  }
  const key = req.headers['sec-websocket-key'];
  if (!key || !/^[+/0-9A-Za-z]{22}==$/.test(key)) return { status: 400, reason: 'Missing or invalid Sec-WebSocket-Key header.' };
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    return { status: 426, reason: `Unsupported Sec-WebSocket-Version ${JSON.stringify(version ?? '')}; this server speaks 13.`, headers: { 'Sec-WebSocket-Version': '13' } };
  }
  if (parseSubprotocols(req.headers['sec-websocket-protocol']) === undefined) {
    return { status: 400, reason: 'Invalid Sec-WebSocket-Protocol header: a comma-separated list of distinct tokens is expected.' };
  }
  return undefined;
}

/** Origin-form ("/poll?x") or absolute-form targets; "//x" stays a path, not a host. */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    if (!target || target.startsWith('/')) return new URL(`http://demo.invalid${target ?? '/'}`);
    return new URL(target);
  } catch {
    return undefined;
  }
}

function joinJson(messages: FeedMessage[]): string {
  let out = '';
  for (let i = 0; i < messages.length; i++) out += (i ? ',' : '') + messages[i].json;
  return out;
}

function answerLongPoll(res: ServerResponse, feed: Feed, cursor: number, headers: OutgoingHttpHeaders): void {
  const { messages, missed } = feed.after(cursor);
  const last = messages.length ? messages[messages.length - 1].seq : feed.seq;
  sendRawJson(res, 200, `{"cursor":${last},"messages":[${joinJson(messages)}]${missed ? `,"missed":${missed}` : ''}}`, { ...headers, 'X-Cursor': String(last) });
}

function sseFrame(m: FeedMessage): string {
  // m.json is single-line JSON (JSON.stringify escapes newlines), so one data: line suffices.
  return `id: ${m.seq}\nevent: ${m.kind}\ndata: ${m.json}\n\n`;
}

/** Writes to a stream, dropping a client that stopped reading instead of buffering forever. */
function writeOrDrop(res: ServerResponse, chunk: string): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.writableLength > MAX_BACKLOG_BYTES) {
    res.destroy();
    return;
  }
  res.write(chunk);
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** /ws echo: text comes back wrapped (JSON embedded as JSON, anything else as a string); binary comes back as is. */
function wrapEcho(ws: WebSocket, data: RawData, isBinary: boolean): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (isBinary) {
    ws.send(data, { binary: true });
    return;
  }
  const text = rawToBuffer(data).toString('utf8');
  ws.send(`{"kind":"echo","ts":${Date.now()},"data":${isJson(text) ? text : JSON.stringify(text)}}`);
}
