import type { ClientRequest, IncomingMessage } from 'node:http';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import { oneLine, truncate, utf8Length, type HeaderList, type MessageEvent, type TlsCertificate } from '../shared/events';
import { DEFAULTS } from '../shared/options';
import { applyAuth } from './auth';
import { backoffDelay, span } from './clock';
import { DialError, describeStall, dial, formatCertificate, type DialTrace } from './dial';
import { describeNetworkError } from './errors';
import { USER_AGENT, parseRequestHead, rawHeaderList, redirectRefusal, responseHeaderBytes, stripForCrossOrigin } from './http';
import { ConnectError, Session } from './session';

/**
 * WebSocket transport over `ws`. Every handshake is instrumented: ws's `createConnection`
 * hook hands us the raw socket (DNS/TCP/TLS times from its events), `finishRequest` hands
 * us the ClientRequest (the exact request head as written), and `upgrade` /
 * `unexpected-response` give the answer. Redirects are followed here, not by ws, so each
 * hop is a logged exchange and every credential carrier can be dropped across origins.
 */

/** How long close() waits for the server's close frame before cutting the socket. */
const CLOSE_WAIT_MS = 2000;
/** Body bytes kept from a non-101 answer to explain it. */
const ERROR_BODY_BYTES = 4096;
/** How long to wait for that body before giving up on it. */
const ERROR_BODY_WAIT_MS = 2000;
const MAX_REDIRECTS = 5;
/**
 * Most fragments one message may have. ws's client default is unlimited: a server sending a
 * 100 MB message as 1-byte fragments would make 100 million buffers. 65,536 is four times
 * ws's own server default and far beyond what real servers send.
 */
const MAX_FRAGMENTS = 65_536;

/** Bytes of frame header for a payload of this length (RFC 6455 §5.2); masked adds the 4-byte key (client to server). */
export function wsFrameOverhead(payloadLength: number, masked: boolean): number {
  const base = payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
  return masked ? base + 4 : base;
}

/** Plain words for a close code (RFC 6455 §7.4 and the IANA registry). */
export function describeCloseCode(code: number): string {
  switch (code) {
    case 1000:
      return 'normal closure';
    case 1001:
      return 'going away (the server is shutting down or the endpoint went away)';
    case 1002:
      return 'protocol error';
    case 1003:
      return 'unsupported data (a message type the endpoint cannot accept)';
    case 1005:
      return 'closed without a status code';
    case 1006:
      return 'abnormal closure: the connection dropped without a close frame';
    case 1007:
      return 'invalid payload data (e.g. text that is not UTF-8)';
    case 1008:
      return 'policy violation';
    case 1009:
      return 'message too big';
    case 1010:
      return 'a required extension was not negotiated';
    case 1011:
      return 'internal server error';
    case 1012:
      return 'service restart';
    case 1013:
      return 'try again later';
    case 1014:
      return 'bad gateway';
    case 1015:
      return 'TLS handshake failure';
    default:
      if (code >= 4000 && code <= 4999) return `application-defined close code ${code}`;
      if (code >= 3000 && code <= 3999) return `library/framework close code ${code}`;
      return `close code ${code}`;
  }
}

/** ws receiver error codes in plain words, with the close code the client answers with. */
const FRAME_ERRORS: Record<string, { words: string; status: number }> = {
  WS_ERR_INVALID_UTF8: { words: 'a text frame or close reason is not valid UTF-8', status: 1007 },
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: { words: 'a message is larger than the maxPayload limit', status: 1009 },
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: { words: 'a frame declares a length beyond 2^53 - 1 bytes', status: 1009 },
  WS_ERR_UNEXPECTED_RSV_1: { words: 'the RSV1 (compression) bit is set where it is not allowed (no permessage-deflate negotiated, or on a control/continuation frame)', status: 1002 },
  WS_ERR_UNEXPECTED_RSV_2_3: { words: 'the reserved bits RSV2/RSV3 are set', status: 1002 },
  WS_ERR_INVALID_OPCODE: { words: 'a frame has an invalid or unexpected opcode', status: 1002 },
  WS_ERR_EXPECTED_FIN: { words: 'a control frame (close/ping/pong) is fragmented', status: 1002 },
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: { words: 'a control frame (close/ping/pong) carries more than 125 bytes', status: 1002 },
  WS_ERR_EXPECTED_MASK: { words: 'a frame is not masked although it must be', status: 1002 },
  WS_ERR_UNEXPECTED_MASK: { words: 'the server masked a frame (servers must not mask)', status: 1002 },
  WS_ERR_INVALID_CLOSE_CODE: { words: 'the close frame carries an invalid close code', status: 1002 },
  WS_ERR_TOO_MANY_BUFFERED_PARTS: { words: `a message is split into more than ${MAX_FRAGMENTS} fragments`, status: 1008 },
};

/** The same code can stand for different faults: the library's message tells them apart. */
function frameErrorWords(code: string, message: string): { words: string; status: number } | undefined {
  if (code === 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH' && /length 1$/.test(message)) {
    return { words: 'a close frame carries a 1-byte payload (a close payload is empty, or a 2-byte code plus an optional reason)', status: 1002 };
  }
  if (code === 'WS_ERR_INVALID_CLOSE_CODE') {
    const m = /status code (\d+)/.exec(message);
    if (m) return { words: `the close frame carries close code ${m[1]}, which may not be sent on the wire (valid: 1000-1003, 1007-1014, 3000-4999)`, status: 1002 };
  }
  if (code === 'WS_ERR_TOO_MANY_BUFFERED_PARTS' && /chunks/.test(message)) {
    return { words: 'too much data arrived faster than it could be processed', status: 1008 };
  }
  return FRAME_ERRORS[code];
}

/** A failed handshake: a ConnectError that also knows which exchange it belongs to. */
class HandshakeError extends ConnectError {
  constructor(
    message: string,
    code: string,
    readonly requestId?: number,
    readonly detail?: string,
    readonly tls?: TlsCertificate,
  ) {
    super(message, code);
  }
}

/** What one handshake is sent with. */
interface Target {
  url: URL;
  headers: HeaderList;
  protocols: string[];
  firstMessage?: string;
  tokenProtocol?: string;
}

type HopOutcome = { kind: 'open' } | { kind: 'redirect'; status: number; location: string; requestId: number };

/** One WebSocket connection attempt and, once open, the live connection. */
interface Conn {
  ws: WebSocket;
  requestId: number;
  opened: boolean;
  /** Set once its close has been reported (or the session let go of it): later ws events are ignored. */
  retired: boolean;
  responseHeaders?: HeaderList;
  socketError?: NodeJS.ErrnoException;
  closeRequested?: { code: number; reason: string };
  protocolError?: { status: number; words: string };
  sendFailed: boolean;
  /**
   * When the socket's current chunk was read (-1 before the first): ws parses a chunk's
   * frames synchronously, so this is every message's arrival time, one clock read per chunk
   * instead of one per message.
   */
  chunkT: number;
  /** Abandons a handshake in progress (close() during connecting). */
  abort(): void;
  resolveClosed(): void;
  closedPromise: Promise<void>;
  onSendDone(err?: Error): void;
}

type ConnectionOpts = tls.ConnectionOptions & net.TcpNetConnectOpts;

export class WebSocketSession extends Session {
  readonly transport = 'ws' as const;
  private conn?: Conn;
  private started = false;
  private userClosing = false;
  private reconnectTimer?: NodeJS.Timeout;
  /** True from a scheduled reconnect until that attempt settles. */
  private reconnecting = false;
  private attempts = 0;

  async connect(): Promise<void> {
    if (this.started) throw new Error('connect() was already called on this session; create a new session to connect again.');
    this.started = true;
    const o = this.options;
    this.emitStart({
      timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
      maxPayload: o.maxPayload ?? DEFAULTS.maxPayload,
      perMessageDeflate: o.perMessageDeflate ?? true,
      redirects: o.redirects ?? 'same-origin',
      subprotocols: this.redact((o.subprotocols ?? []).join(', ')),
      reconnect: this.reconnectOptions.enabled,
      insecure: o.insecure ?? false,
    });
    try {
      await this.openOnce();
    } catch (err) {
      const e = this.asConnectError(err);
      if (this.userClosing) throw new ConnectError('Closed by the client before the connection opened.', 'ABORTED');
      this.emit({ type: 'error', code: e.code, message: e.message, requestId: e.requestId, detail: e.detail, tls: e.tls, fatal: true });
      this.setState('closed');
      throw e;
    }
  }

  async send(data: string | Uint8Array, opts?: { binary?: boolean }): Promise<void> {
    const conn = this.openConn('send');
    this.sendOn(conn, data, opts?.binary ?? typeof data !== 'string');
  }

  /** Sends a ping (at most 125 bytes of data) and logs it. */
  ping(data: string | Uint8Array = Buffer.alloc(0)): void {
    const conn = this.openConn('ping');
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.byteLength > 125) throw new RangeError(`A ping carries at most 125 bytes of data (got ${bytes.byteLength}).`);
    conn.ws.ping(bytes, undefined, conn.onSendDone);
    this.emit({ type: 'ping', direction: 'out', size: bytes.byteLength, data: bytes });
  }

  /** Closing handshake: sends a close frame, waits up to 2 s for the server's, then cuts the socket. Cancels a pending reconnect at once. */
  override async close(code = 1000, reason = ''): Promise<void> {
    if (code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new RangeError(`Close code ${code} cannot be sent: use 1000 (normal) or an application code 3000-4999.`);
    }
    if (Buffer.byteLength(reason) > 123) throw new RangeError(`The close reason is ${Buffer.byteLength(reason)} bytes; a close frame holds at most 123.`);
    this.userClosing = true;
    this.cancelReconnect();
    const conn = this.conn;
    if (conn && conn.opened && !conn.retired) {
      if (conn.ws.readyState === WebSocket.OPEN) {
        conn.closeRequested = { code, reason };
        this.setState('closing');
        conn.ws.close(code, reason);
      }
      // Also when the server already started closing: let that handshake finish.
      if (conn.ws.readyState === WebSocket.CLOSING || conn.ws.readyState === WebSocket.OPEN) await waitAtMost(conn.closedPromise, CLOSE_WAIT_MS);
    }
    await super.close(code, reason);
  }

  /** Immediate stop: cancels timers and cuts the socket without a closing handshake. */
  protected async shutdown(): Promise<void> {
    this.userClosing = true;
    this.cancelReconnect();
    const conn = this.conn;
    this.conn = undefined;
    if (!conn || conn.retired) return;
    if (!conn.opened) {
      conn.abort();
      return;
    }
    conn.retired = true;
    conn.ws.terminate();
    conn.resolveClosed();
    const asked = conn.closeRequested;
    this.emit({
      type: 'close',
      code: asked?.code ?? 1006,
      reason: asked ? `the server did not answer the close frame within ${CLOSE_WAIT_MS} ms; connection cut` : 'connection cut by the client',
      by: 'client',
      wasClean: false,
    });
  }

  protected override reconnectPending(): boolean {
    return this.reconnectTimer !== undefined || this.reconnecting;
  }

  // ---------------------------------------------------------------------------------------

  private openConn(what: string): Conn {
    const conn = this.conn;
    if (!conn || !conn.opened || conn.retired || conn.ws.readyState !== WebSocket.OPEN) {
      const message = `Cannot ${what}: the WebSocket is not open (state ${this.state}${this.reconnectPending() ? ', reconnect pending' : ''}).`;
      this.emit({ type: 'error', code: 'NOT_OPEN', message, fatal: false });
      throw new Error(message);
    }
    return conn;
  }

  private sendOn(conn: Conn, data: string | Uint8Array, binary: boolean): void {
    const payload = binary && typeof data === 'string' ? Buffer.from(data) : data;
    // Not waiting for the callback: it only reports failures (as error events).
    conn.ws.send(payload, { binary }, conn.onSendDone);
    const size = typeof payload === 'string' ? utf8Length(payload) : payload.byteLength;
    if (!this.hasSecretsToMask()) {
      this.recordMessage('out', payload, size, binary, binary ? 2 : 1, wsFrameOverhead(size, true));
      return;
    }
    let shown: string | Uint8Array = payload;
    if (!binary && typeof shown !== 'string') shown = Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength).toString();
    let redacted = false;
    if (typeof shown === 'string' && this.redactor.size > 0 && !this.redactor.reveal) {
      const r = this.redact(shown);
      redacted = r !== shown;
      shown = r;
    }
    const ev: Omit<MessageEvent, 'seq' | 't'> = { type: 'message', direction: 'out', size, binary, data: shown, opcode: binary ? 2 : 1, overheadBytes: wsFrameOverhead(size, true) };
    if (redacted) ev.redacted = true;
    this.emit(ev);
  }

  /** Authenticates, then handshakes, following redirects per policy. Resolves once open. */
  private async openOnce(): Promise<void> {
    const o = this.options;
    const base = this.parseUrl(o.url);
    const placement = await applyAuth(this, 'ws', o.auth, { url: base, headers: o.headers ?? [], subprotocols: o.subprotocols ?? [] });
    if (this.userClosing) throw new ConnectError('Closed by the client before the connection opened.', 'ABORTED');
    let target: Target = { url: placement.url, headers: placement.headers, protocols: placement.subprotocols, firstMessage: placement.firstMessage, tokenProtocol: placement.tokenProtocol };
    for (let hop = 0; ; hop++) {
      const outcome = await this.handshake(target);
      if (outcome.kind === 'open') return;
      target = this.redirectTarget(outcome, target, hop);
    }
  }

  private parseUrl(raw: string): URL {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new ConnectError(`The URL is not valid: ${JSON.stringify(this.redactUrl(raw))}.`, 'BAD_URL');
    }
    if (u.protocol === 'http:') u.protocol = 'ws:';
    else if (u.protocol === 'https:') u.protocol = 'wss:';
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
      throw new ConnectError(`A WebSocket URL starts with ws:// or wss:// (got "${u.protocol}").`, 'BAD_URL');
    }
    // A fragment is never sent to the server (and ws rejects it): drop it, as browsers do.
    u.hash = '';
    return u;
  }

  /** Decides whether to follow a redirect; returns the next hop with credentials removed across origins, or throws. */
  private redirectTarget(out: Extract<HopOutcome, { kind: 'redirect' }>, target: Target, hop: number): Target {
    const policy = this.options.redirects ?? 'same-origin';
    const from = this.redactUrl(target.url.toString());
    let next: URL | undefined;
    try {
      next = new URL(out.location, target.url);
      if (next.protocol === 'http:') next.protocol = 'ws:';
      else if (next.protocol === 'https:') next.protocol = 'wss:';
      next.hash = '';
    } catch {
      next = undefined;
    }
    const to = next ? this.redactUrl(next.toString()) : this.redact(out.location);
    const schemeOk = next !== undefined && (next.protocol === 'ws:' || next.protocol === 'wss:');
    const crossOrigin = !next || next.origin !== target.url.origin;
    const follow = schemeOk && hop < MAX_REDIRECTS && policy !== 'none' && (!crossOrigin || policy === 'all');
    const stripped: string[] = [];
    let result: Target = { ...target, url: next ?? target.url };
    if (follow && next && crossOrigin) result = this.stripCredentials(target, next, stripped);
    this.emit({ type: 'redirect', requestId: out.requestId, status: out.status, from, to, crossOrigin, followed: follow, stripped });
    if (follow) return result;
    const why = !next
      ? [`The server redirected (${out.status}) to an invalid location ${JSON.stringify(to)}.`, 'BAD_REDIRECT']
      : !schemeOk
        ? [`The server redirected (${out.status}) to ${to}, which is not a WebSocket (or HTTP) URL.`, 'BAD_REDIRECT']
        : hop >= MAX_REDIRECTS
          ? [redirectRefusal(out.status, to, 'too-many', MAX_REDIRECTS), 'TOO_MANY_REDIRECTS']
          : policy === 'none'
            ? [redirectRefusal(out.status, to, 'off', MAX_REDIRECTS), 'REDIRECT_REFUSED']
            : [redirectRefusal(out.status, to, 'cross-origin', MAX_REDIRECTS), 'REDIRECT_REFUSED'];
    throw new HandshakeError(why[0], why[1], out.requestId);
  }

  /** Removes every credential carrier before a cross-origin hop: what stripForCrossOrigin removes, plus the subprotocol token and the first message. */
  private stripCredentials(target: Target, next: URL, stripped: string[]): Target {
    const headers = stripForCrossOrigin(this, target.headers, next, stripped);
    const auth = this.options.auth;
    const marker = auth?.method === 'subprotocol' ? auth.marker : undefined;
    const protocols = target.protocols.filter((p) => {
      const strip = p === target.tokenProtocol || p === marker || this.redactor.contains(p);
      if (strip && p !== marker) stripped.push('token in Sec-WebSocket-Protocol');
      return !strip;
    });
    if (target.firstMessage !== undefined) stripped.push('first message (carries the token)');
    return { url: next, headers, protocols, firstMessage: undefined, tokenProtocol: undefined };
  }

  /** One opening handshake. Resolves when open (or with a redirect to follow); rejects with a HandshakeError. */
  private handshake(target: Target): Promise<HopOutcome> {
    return new Promise<HopOutcome>((resolve, reject) => {
      const o = this.options;
      const timeoutMs = o.timeoutMs ?? DEFAULTS.timeoutMs;
      const maxPayload = o.maxPayload ?? DEFAULTS.maxPayload;
      const deflate = o.perMessageDeflate ?? true;
      const url = target.url;
      const secure = url.protocol === 'wss:';
      const shownUrl = this.redactUrl(url.toString());
      const requestId = this.nextRequestId();
      const start = this.now();
      let dialed: DialTrace | undefined;
      let tResponse: number | undefined;
      let socket: net.Socket | undefined;
      let socketError: NodeJS.ErrnoException | undefined;
      let settled = false;

      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        return true;
      };
      const fail = (err: HandshakeError): void => {
        if (!settle()) return;
        conn.retired = true;
        conn.resolveClosed();
        if (this.conn === conn) this.conn = undefined;
        conn.ws?.terminate();
        reject(err);
      };
      const emitTiming = (): void => {
        const end = tResponse ?? this.now();
        const tDns = dialed?.dns;
        const tTcp = dialed?.tcp;
        const tProxy = dialed?.proxy;
        const tTls = dialed?.tls;
        const sentAt = tTls ?? tProxy ?? tTcp ?? start;
        this.emit({
          type: 'timing',
          requestId,
          dns: tDns === undefined ? undefined : span(start, tDns),
          tcp: tTcp === undefined ? undefined : span(tDns ?? start, tTcp),
          proxy: tProxy === undefined || tTcp === undefined ? undefined : span(tTcp, tProxy),
          tls: tTls === undefined || tTcp === undefined ? undefined : span(tProxy ?? tTcp, tTls),
          ttfb: tResponse === undefined ? undefined : span(sentAt, tResponse),
          total: span(start, end),
          reusedSocket: false,
          remoteAddress: socket?.remoteAddress,
          remotePort: socket?.remotePort,
        });
      };
      const timer = setTimeout(() => fail(new HandshakeError(this.stallMessage(dialed, socket, timeoutMs, shownUrl), 'TIMEOUT', requestId)), timeoutMs);

      let closedResolve!: () => void;
      let sendErrors = 0;
      const conn: Conn = {
        ws: undefined as unknown as WebSocket,
        requestId,
        opened: false,
        retired: false,
        sendFailed: false,
        chunkT: -1,
        abort: () => fail(new HandshakeError('Closed by the client before the connection opened.', 'ABORTED', requestId)),
        closedPromise: new Promise<void>((r) => (closedResolve = r)),
        resolveClosed: () => closedResolve(),
        onSendDone: (err?: Error) => {
          // Once a connection fails every queued frame errors the same way: report the first only.
          if (!err || conn.retired || sendErrors++ > 0) return;
          this.emit({ type: 'error', code: 'SEND_FAILED', message: `A frame could not be sent: ${this.redact(err.message)}.`, fatal: false });
        },
      };
      this.conn = conn;

      // node:http calls this with a callback (ws passes it through): the socket is handed over
      // once dial() has gone through the proxy and verified TLS, so nothing is written before.
      const createConnection = (opts: ConnectionOpts, oncreate: (err: Error | null, s?: net.Socket) => void): undefined => {
        const host = String(opts.host ?? url.hostname).replace(/^\[|\]$/g, '');
        const port = Number(opts.port) || (secure ? 443 : 80);
        dialed = dial(this, { host, port, secure }, { insecure: o.insecure, ca: o.ca, proxy: o.proxy, timeoutMs }, (err, s) => {
          if (s) {
            socket = s;
            s.on('error', (e: NodeJS.ErrnoException) => {
              socketError = e;
              conn.socketError = e;
            });
          } else if (err) {
            socketError = err as NodeJS.ErrnoException;
            conn.socketError = socketError;
          }
          oncreate(err, s);
        });
        return undefined;
      };

      const headers: Record<string, string> = {};
      let hasUA = false;
      for (const [k, v] of target.headers) {
        const key = k.toLowerCase();
        if (key === 'user-agent') hasUA = true;
        const prev = Object.keys(headers).find((h) => h.toLowerCase() === key);
        if (prev === undefined) headers[k] = v;
        else headers[prev] = `${headers[prev]}${key === 'cookie' ? '; ' : ', '}${v}`;
      }
      if (!hasUA) headers['User-Agent'] = USER_AGENT;

      for (const p of target.protocols) {
        if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) {
          fail(new HandshakeError(`Subprotocol ${JSON.stringify(this.redact(p))} is not valid: a subprotocol is a token (letters, digits and !#$%&'*+-.^_\`|~ only).`, 'BAD_SUBPROTOCOL', requestId));
          return;
        }
      }
      if (new Set(target.protocols).size !== target.protocols.length) {
        fail(new HandshakeError(`A subprotocol is offered twice: ${this.redact(target.protocols.join(', '))}.`, 'BAD_SUBPROTOCOL', requestId));
        return;
      }

      const wsOptions: ClientOptions & { closeTimeout?: number } = {
        headers,
        handshakeTimeout: timeoutMs,
        maxPayload,
        perMessageDeflate: deflate,
        rejectUnauthorized: !o.insecure,
        followRedirects: false,
        skipUTF8Validation: false,
        maxFragments: MAX_FRAGMENTS,
        // Pongs are sent below so the log shows them.
        autoPong: false,
        closeTimeout: CLOSE_WAIT_MS,
        createConnection: createConnection as unknown as ClientOptions['createConnection'],
        finishRequest: (req: ClientRequest) => {
          req.end();
          const head = (req as unknown as { _header?: string })._header ?? '';
          this.emit({
            type: 'request',
            requestId,
            purpose: 'upgrade',
            method: 'GET',
            url: shownUrl,
            headers: this.redactHeaders(parseRequestHead(head)),
            headerBytes: Buffer.byteLength(head),
            bodyBytes: 0,
          });
        },
      };

      let ws: WebSocket;
      try {
        ws = new WebSocket(url, target.protocols, wsOptions);
      } catch (err) {
        fail(new HandshakeError(`The handshake request could not be built: ${this.redact((err as Error).message)}.`, 'BAD_REQUEST', requestId));
        return;
      }
      conn.ws = ws;
      ws.binaryType = 'nodebuffer';

      // Always listening: ws throws an unhandled 'error' otherwise.
      ws.on('error', (err: Error) => {
        if (!conn.opened) {
          fail(this.handshakeError(err, requestId, target, shownUrl, timeoutMs, dialed, socket));
          return;
        }
        if (!conn.retired) this.onConnError(conn, err);
      });

      ws.on('upgrade', (res: IncomingMessage) => {
        tResponse = this.now();
        conn.responseHeaders = rawHeaderList(res.rawHeaders);
        this.emit({
          type: 'response',
          requestId,
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          httpVersion: res.httpVersion,
          headers: this.redactHeaders(conn.responseHeaders),
          headerBytes: responseHeaderBytes(res),
        });
        emitTiming();
      });

      ws.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
        tResponse = this.now();
        const status = res.statusCode ?? 0;
        this.emit({
          type: 'response',
          requestId,
          status,
          statusText: res.statusMessage ?? '',
          httpVersion: res.httpVersion,
          headers: this.redactHeaders(rawHeaderList(res.rawHeaders)),
          headerBytes: responseHeaderBytes(res),
        });
        const location = res.headers.location;
        if (status >= 300 && status <= 399 && location) {
          emitTiming();
          if (!settle()) return;
          conn.retired = true;
          conn.resolveClosed();
          if (this.conn === conn) this.conn = undefined;
          res.resume();
          ws.terminate();
          resolve({ kind: 'redirect', status, location, requestId });
          return;
        }
        void readSome(res, ERROR_BODY_BYTES, ERROR_BODY_WAIT_MS).then((body) => {
          emitTiming();
          fail(this.statusError(res, body, requestId));
        });
      });

      ws.on('open', () => {
        if (settled) return;
        settle();
        conn.opened = true;
        this.attempts = 0;
        this.announceNegotiation(conn, target);
        // Before ws's own 'data' listener (attached before 'open'; the first bytes flow on a later tick).
        socket?.prependListener('data', () => {
          conn.chunkT = this.now();
        });
        this.setState('open');
        if (target.firstMessage !== undefined) this.sendOn(conn, target.firstMessage, false);
        resolve({ kind: 'open' });
      });

      ws.on('close', (code: number, reason: Buffer) => {
        if (!conn.opened) {
          const detail = socketError ? describeNetworkError(socketError, shownUrl) : `The connection closed before the handshake finished (${shownUrl}).`;
          fail(new HandshakeError(this.redact(detail), socketError?.code ?? 'CLOSED', requestId));
          return;
        }
        this.onConnClose(conn, code, reason);
      });

      // Hot path: recordMessage() keeps a timestamp and a copy of the bytes in the log's typed
      // arrays (no event object, no string). Text is decoded only when shown, except when the
      // session knows secrets it must mask: then the text is checked now (an echoed token must
      // not land in the log). Binary payloads are not scanned.
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (conn.retired) return;
        const buf = data as Buffer;
        const size = buf.length;
        if (!isBinary && this.hasSecretsToMask()) {
          const text = buf.toString();
          const shown = this.maskText(text);
          if (shown !== text) {
            this.emit({ type: 'message', direction: 'in', size, binary: false, data: shown, opcode: 1, overheadBytes: wsFrameOverhead(size, false), redacted: true });
            return;
          }
        }
        this.recordMessage('in', buf, size, isBinary, isBinary ? 2 : 1, wsFrameOverhead(size, false), conn.chunkT);
      });

      ws.on('ping', (data: Buffer) => {
        if (conn.retired) return;
        this.emit({ type: 'ping', direction: 'in', size: data.length, data });
        if (ws.readyState === WebSocket.OPEN) {
          ws.pong(data, undefined, conn.onSendDone);
          this.emit({ type: 'pong', direction: 'out', size: data.length, data });
        }
      });

      ws.on('pong', (data: Buffer) => {
        if (conn.retired) return;
        this.emit({ type: 'pong', direction: 'in', size: data.length, data });
      });
    });
  }

  /** Logs the negotiated subprotocol and compression before the state turns open. */
  private announceNegotiation(conn: Conn, target: Target): void {
    const proto = conn.ws.protocol;
    if (proto) {
      this.emit({ type: 'info', key: 'subprotocol', message: `Subprotocol negotiated: ${this.redact(proto)}.` });
      if (target.tokenProtocol && proto === target.tokenProtocol) {
        this.emit({ type: 'info', key: 'subprotocol', message: 'The server echoed the token-bearing subprotocol itself, so the token is also in the response headers (redacted here).' });
      }
    }
    if (this.options.perMessageDeflate ?? true) {
      const ext = conn.responseHeaders?.find(([k]) => k.toLowerCase() === 'sec-websocket-extensions')?.[1];
      if (ext && /permessage-deflate/i.test(ext)) {
        this.emit({ type: 'info', key: 'permessage-deflate', message: `permessage-deflate negotiated: ${ext}.` });
      } else {
        this.emit({ type: 'info', key: 'permessage-deflate', message: 'permessage-deflate was offered but the server did not accept it: frames travel uncompressed.' });
      }
    }
  }

  /** Errors on an open connection: frame/protocol errors (ws then closes), or sender failures. */
  private onConnError(conn: Conn, err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? 'WS_ERROR';
    const known = frameErrorWords(code, err.message);
    const fatal = !this.reconnectOptions.enabled;
    if (known) {
      conn.protocolError = known;
      const limit = code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? ` (${this.options.maxPayload ?? DEFAULTS.maxPayload} bytes)` : '';
      this.emit({
        type: 'error',
        code,
        message: `Protocol error from the server: ${known.words}${limit}; the client closes the connection with ${known.status} (${describeCloseCode(known.status)}).`,
        detail: err.message,
        fatal,
      });
      return;
    }
    this.emit({ type: 'error', code, message: `WebSocket error: ${this.redact(err.message)}.`, fatal: false });
  }

  private onConnClose(conn: Conn, wsCode: number, reasonBuf: Buffer): void {
    if (conn.retired) return;
    conn.retired = true;
    conn.resolveClosed();
    if (this.conn === conn) this.conn = undefined;
    const raw = reasonBuf.length ? this.redact(reasonBuf.toString()) : '';
    let code = wsCode;
    let reason: string;
    let by: 'client' | 'server' | 'network';
    if (conn.protocolError) {
      by = 'client';
      code = conn.protocolError.status;
      reason = `protocol error: ${conn.protocolError.words}`;
    } else if (conn.closeRequested) {
      by = 'client';
      if (wsCode === 1006) {
        code = conn.closeRequested.code;
        reason = 'no close frame came back from the server; connection cut';
      } else reason = raw || conn.closeRequested.reason || describeCloseCode(code);
    } else if (wsCode === 1006) {
      by = 'network';
      const cause = conn.socketError?.code ? ` (${conn.socketError.code})` : '';
      reason = `the connection dropped without a close frame${cause}`;
    } else {
      by = 'server';
      reason = raw || describeCloseCode(wsCode);
    }
    this.emit({ type: 'close', code, reason, by, wasClean: wsCode !== 1006 });
    if (!this.userClosing && !conn.closeRequested && this.reconnectOptions.enabled) {
      this.scheduleReconnect(`${by === 'network' ? 'connection lost' : `closed by the ${by}`}: ${code} ${reason}`);
      return;
    }
    this.setState('closed');
  }

  private scheduleReconnect(reason: string): void {
    const ro = this.reconnectOptions;
    const attempt = ++this.attempts;
    if (ro.maxAttempts > 0 && attempt > ro.maxAttempts) {
      this.reconnecting = false;
      this.emit({ type: 'error', code: 'RECONNECT_GAVE_UP', message: `Gave up reconnecting after ${ro.maxAttempts} attempt${ro.maxAttempts === 1 ? '' : 's'}; last failure: ${reason}`, fatal: true });
      this.finish();
      return;
    }
    const delayMs = backoffDelay(attempt - 1, ro.initialDelayMs, ro.maxDelayMs);
    this.reconnecting = true;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnectNow();
    }, delayMs);
    this.emit({ type: 'reconnect', attempt, delayMs, reason });
    this.setState('closed');
  }

  private async reconnectNow(): Promise<void> {
    if (this.userClosing) return;
    this.setState('connecting');
    try {
      await this.openOnce();
      this.reconnecting = false;
    } catch (err) {
      if (this.userClosing) return;
      const e = this.asConnectError(err);
      this.emit({ type: 'error', code: e.code, message: `Reconnect attempt ${this.attempts} failed: ${e.message}`, requestId: e.requestId, detail: e.detail, tls: e.tls, fatal: false });
      this.scheduleReconnect(e.message);
    }
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.reconnecting = false;
  }

  private asConnectError(err: unknown): HandshakeError {
    if (err instanceof HandshakeError) return err;
    if (err instanceof ConnectError) return new HandshakeError(err.message, err.code);
    return new HandshakeError(this.redact(err instanceof Error ? err.message : String(err)), 'CONNECT_FAILED');
  }

  /** ws handshake failures in plain words. */
  private handshakeError(err: Error, requestId: number, target: Target, shownUrl: string, timeoutMs: number, dialed: DialTrace | undefined, socket: net.Socket | undefined): HandshakeError {
    const e = err as NodeJS.ErrnoException;
    const offered = this.redact(target.protocols.join(', '));
    const browsers = 'browsers close this connection (RFC 6455 §4.1)';
    if (err instanceof DialError) {
      const detail = err.tls ? formatCertificate(err.tls) : err.detail;
      return new HandshakeError(this.redact(describeNetworkError(err, shownUrl)), err.code, requestId, detail && this.redact(detail), err.tls);
    }
    switch (err.message) {
      case 'Opening handshake has timed out':
        return new HandshakeError(this.stallMessage(dialed, socket, timeoutMs, shownUrl), 'TIMEOUT', requestId);
      case 'Server sent no subprotocol':
        return new HandshakeError(
          `The server did not echo a subprotocol (offered: ${offered}): ${browsers}.${target.tokenProtocol ? ' With the token in Sec-WebSocket-Protocol the server must answer with one of the offered protocols.' : ''}`,
          'WS_NO_SUBPROTOCOL',
          requestId,
        );
      case 'Server sent an invalid subprotocol': {
        const echoed = this.redact(responseHeader(this.conn, 'sec-websocket-protocol') ?? '');
        return new HandshakeError(`The server echoed subprotocol "${echoed}", which was not offered (offered: ${offered}): ${browsers}.`, 'WS_BAD_SUBPROTOCOL', requestId);
      }
      case 'Server sent a subprotocol but none was requested': {
        const echoed = this.redact(responseHeader(this.conn, 'sec-websocket-protocol') ?? '');
        return new HandshakeError(`The server chose subprotocol "${echoed}" although none was offered: ${browsers}.`, 'WS_BAD_SUBPROTOCOL', requestId);
      }
      case 'Invalid Sec-WebSocket-Accept header':
        return new HandshakeError('The server answered 101 with a wrong Sec-WebSocket-Accept: it is not a conforming WebSocket server, or a proxy altered the handshake.', 'WS_BAD_ACCEPT', requestId);
      case 'Invalid Upgrade header':
        return new HandshakeError('The server answered 101 without "Upgrade: websocket".', 'WS_BAD_UPGRADE', requestId);
      case 'WebSocket was closed before the connection was established':
        return new HandshakeError('Closed by the client before the connection opened.', 'ABORTED', requestId);
    }
    if (/Sec-WebSocket-Extensions|extension/i.test(err.message)) {
      return new HandshakeError(`The server's Sec-WebSocket-Extensions answer is not acceptable: ${err.message}.`, 'WS_BAD_EXTENSIONS', requestId);
    }
    if (e.code) return new HandshakeError(this.redact(describeNetworkError(err, shownUrl)), e.code, requestId);
    return new HandshakeError(`The WebSocket handshake with ${shownUrl} failed: ${this.redact(err.message)}.`, 'HANDSHAKE_FAILED', requestId);
  }

  /** What a handshake still unanswered after `ms` is stuck on, in one sentence. */
  private stallMessage(dialed: DialTrace | undefined, socket: net.Socket | undefined, ms: number, shownUrl: string): string {
    const got = socket?.bytesRead ?? 0;
    if (dialed && dialed.tcp !== undefined && (!dialed.via || dialed.proxy !== undefined) && (!dialed.secure || dialed.tls !== undefined)) {
      return got > 0
        ? `The answer to the WebSocket handshake did not finish within ${ms} ms: only ${got} bytes of it arrived from ${shownUrl} (the server answers too slowly).`
        : `No answer to the WebSocket handshake within ${ms} ms: ${shownUrl} accepted the connection but never responded.`;
    }
    const phrase = describeStall(dialed, ms, got, 'answer');
    return `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)}.`;
  }

  /** A non-101, non-redirect answer: status, what it looks like, and the start of its body. */
  private statusError(res: IncomingMessage, body: Buffer, requestId: number): HandshakeError {
    const status = res.statusCode ?? 0;
    const ctype = String(res.headers['content-type'] ?? '');
    const text = body.length ? oneLine(this.redact(body.toString('utf8'))).trim() : '';
    const html = /html/i.test(ctype) || /^<(!doctype|html)/i.test(text);
    let hint = '';
    if (status >= 200 && status <= 299 && html) hint = ' (it sent an HTML page: this looks like a web page URL, not the WebSocket endpoint)';
    else if (status >= 200 && status <= 299) hint = ' (it does not speak WebSocket at this URL)';
    else if (status === 401 || status === 403) hint = ' (the credential was missing or refused)';
    else if (status === 404) hint = ' (no WebSocket endpoint at this path)';
    else if (status === 426) hint = ' (426 Upgrade Required: check the WebSocket version or the scheme)';
    const line = `${status}${res.statusMessage ? ' ' + res.statusMessage : ''}`;
    const message = `The server answered ${line} instead of upgrading to WebSocket${hint}${text ? `: ${truncate(text, 300)}` : '.'}`;
    const detail = `content-type: ${ctype || '(none)'}${text ? `; body (first ${Math.min(body.length, ERROR_BODY_BYTES)} bytes): ${this.redact(body.toString('utf8'))}` : ''}`;
    return new HandshakeError(message, 'HTTP_STATUS', requestId, detail);
  }
}

/** Reads up to `limit` bytes of a response body, or what arrived within `waitMs`. */
function readSome(res: IncomingMessage, limit: number, waitMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const done = (): void => {
      clearTimeout(timer);
      res.removeListener('data', onData);
      const all = Buffer.concat(chunks);
      resolve(all.length > limit ? all.subarray(0, limit) : all);
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      n += c.length;
      if (n >= limit) done();
    };
    const timer = setTimeout(done, waitMs);
    res.on('data', onData);
    res.once('end', done);
    res.once('close', done);
    res.once('error', done);
  });
}

function responseHeader(conn: Conn | undefined, name: string): string | undefined {
  return conn?.responseHeaders?.find(([k]) => k.toLowerCase() === name)?.[1];
}

function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
