import type { IncomingMessage } from 'node:http';
import { EventSource, type ErrorEvent as EventSourceErrorEvent, type FetchLike, type FetchLikeResponse } from 'eventsource';
import { oneLine, truncate, type HeaderList, type MessageEvent } from '../shared/events';
import { DEFAULTS, type ConnectOptions } from '../shared/options';
import { applyAuth, type AuthPlacement } from './auth';
import { sleep } from './clock';
import { describeNetworkError } from './errors';
import { headerValue, httpRequest, type HttpExchange } from './http';
import { sendOverHttp } from './httpSend';
import { ConnectError, Session } from './session';
import { SseStreamInspector, formatByteLimit } from './sseStream';

/**
 * Server-Sent Events. `eventsource` manages the connection (when to reconnect, Last-Event-ID,
 * stop on 204, the status and content-type checks); it gets a fetch built on httpRequest(),
 * so every (re)connect is logged with headers and timings. The body passes through
 * SseStreamInspector, which logs every field raw; eventsource is fed only a small control
 * stream (ids and retry), so the payload is parsed once. An event stream's body is read
 * from the socket by BodyTap (chunked framing decoded there, one delivery per socket read,
 * the framing counted in each event's overheadBytes); other bodies go through node:http.
 */

/** What browsers and eventsource use when the server never sent `retry` (the spec leaves it to the client). */
const DEFAULT_RETRY_MS = 3000;
/** Longest wait for the start of an error body, so a server that never finishes one cannot hold connect(). */
const PREVIEW_WAIT_MS = 2000;
const PREVIEW_BYTES = 200;
/** Unknown-field notices per stream: binary junk would otherwise flood the log. */
const MAX_UNKNOWN_FIELD_NOTICES = 20;
/**
 * eventsource's own reconnect timer is set to 0 at the start of every body: the wait happens
 * in our fetch instead, with the clamped retry. Owning the wait (rather than rewriting the
 * server's retry line for eventsource) also covers failed attempts before any body arrived,
 * where eventsource would use its fixed 3 s, and lets close() cut a wait short at once.
 */
const CONTROL_RETRY_ZERO = Buffer.from('retry: 0\n');
const CLOSED = 2;
/** The `sse` fields of an event with no event name, id or retry: one shared, frozen object. */
const PLAIN_SSE_FIELDS: NonNullable<MessageEvent['sse']> = Object.freeze({ event: 'message', id: undefined, retry: undefined });

interface Connection {
  ex: HttpExchange;
  res: IncomingMessage;
  requestId: number;
  controller?: ReadableStreamDefaultController<Uint8Array>;
  open: boolean;
  done: boolean;
  /** An error the response raised before we listened for data. */
  early?: Error;
  lastByteAt: number;
}

export class SseSession extends Session {
  readonly transport = 'sse' as const;
  private es?: EventSource;
  private placement?: AuthPlacement;
  private readonly inspector: SseStreamInspector;
  private readonly maxLineBytes: number;
  private readonly clamp: { min: number; max: number };
  /** The reconnection time in force (already clamped). */
  private retryMs: number;
  private readonly reconnectEnabled: boolean;
  private readonly maxAttempts: number;
  /** Reconnect attempts since the stream was last open. */
  private attempt = 0;
  private requestsStarted = 0;
  private everOpened = false;
  /** Why the last connection ended or failed: the reason of the next `reconnect` event. */
  private lastDrop = '';
  private current?: Connection;
  private idleTimer?: NodeJS.Timeout;
  private ended = false;
  /** Whether the connection attempt in progress already has its `close` event. */
  private closeLogged = false;
  private versionLogged = false;
  private unknownFieldNotices = 0;
  private lastId: string | undefined;
  /** When the socket chunk being parsed was read. */
  private chunkT = 0;
  private idDirty = false;
  private limit?: { kind: 'line' | 'event'; limit: number };
  private opening?: { promise: Promise<void>; resolve: () => void; reject: (e: ConnectError) => void; settled: boolean };

  constructor(options: ConnectOptions) {
    super(options);
    this.maxLineBytes = options.maxLineBytes ?? DEFAULTS.maxLineBytes;
    this.clamp = options.retryClampMs ?? DEFAULTS.retryClampMs;
    this.retryMs = this.clampRetry(options.reconnect?.initialDelayMs ?? DEFAULT_RETRY_MS);
    // Reconnecting is what the protocol does, so it is on unless turned off.
    this.reconnectEnabled = options.reconnect?.enabled ?? true;
    this.maxAttempts = options.reconnect?.maxAttempts ?? DEFAULTS.reconnect.maxAttempts;
    this.inspector = new SseStreamInspector(
      {
        onEvent: this.onSseEvent,
        onComment: (text) => this.emit({ type: 'comment', text: this.redact(text), requestId: this.current?.requestId }),
        onRetry: (raw, value) => this.onRetryField(raw, value),
        onUnknownField: (name) => this.onUnknownField(name),
        onLimit: (kind, limit) => (this.limit = { kind, limit }),
      },
      { maxLineBytes: this.maxLineBytes },
    );
  }

  connect(): Promise<void> {
    if (this.opening) return this.opening.promise;
    if (this.ended) return Promise.reject(new ConnectError('The session is closed; create a new one to connect again.', 'CLOSED'));
    let resolve!: () => void;
    let reject!: (e: ConnectError) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const opening = { promise, resolve, reject, settled: false };
    this.opening = opening;
    this.start().catch((err: unknown) => this.failConnect('INTERNAL', `The SSE session failed to start: ${this.redact(String((err as Error)?.message ?? err))}`));
    return promise;
  }

  async send(data: string | Uint8Array, opts?: { binary?: boolean }): Promise<void> {
    if (this.ended) throw new Error('The session is closed: nothing can be sent.');
    // The same credentials as the stream (header, cookie, bearer); a query token stays on the stream URL.
    const headers = this.placement?.headers ?? this.options.headers ?? [];
    await sendOverHttp(this, this.options.sendUrl, data, headers, opts);
  }

  protected async shutdown(_code?: number, reason?: string): Promise<void> {
    if (!this.opening) {
      // Never connected: nothing to close, nothing to log but the state.
      this.ended = true;
      return;
    }
    this.endSession({ reason: reason ?? 'closed by the client', by: 'client', wasClean: true }, new ConnectError('The session was closed before the event stream opened.', 'CLOSED'));
  }

  private async start(): Promise<void> {
    const o = this.options;
    this.emitStart({
      reconnect: this.reconnectEnabled,
      maxAttempts: this.maxAttempts,
      retryMs: this.retryMs,
      retryMinMs: this.clamp.min,
      retryMaxMs: this.clamp.max,
      maxLineBytes: this.maxLineBytes,
      idleTimeoutMs: o.idleTimeoutMs ?? 0,
      timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
    });
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      return this.failConnect('BAD_URL', `${JSON.stringify(this.redactUrl(o.url))} is not a valid URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return this.failConnect('BAD_URL', `Server-Sent Events need an http: or https: URL, not ${url.protocol}.`);
    }
    const auth = o.auth;
    const carrier = auth?.method === 'token-url' ? (auth.placement ?? 'bearer') : auth?.method;
    if (carrier === 'subprotocol') {
      return this.failConnect('AUTH_NOT_APPLICABLE', 'A token in Sec-WebSocket-Protocol only exists for WebSocket: an event stream request has no subprotocols. Use bearer, cookie, query, header or token-url auth.');
    }
    if (carrier === 'first-message') {
      return this.failConnect('AUTH_NOT_APPLICABLE', 'First-message auth cannot protect an event stream: the stream opens with the request alone and the client cannot write on it. Use bearer, cookie, query, header or token-url auth.');
    }
    try {
      this.placement = await applyAuth(this, 'sse', auth, { url, headers: [...(o.headers ?? [])], subprotocols: [] });
    } catch (err) {
      const e = err instanceof ConnectError ? err : new ConnectError(this.redact((err as Error).message), 'AUTH');
      return this.failConnect(e.code, e.message);
    }
    if (this.ended) return;
    // The constructor calls our fetch synchronously; handlers are set right after, before any response can arrive.
    const es = new EventSource(this.placement.url, { fetch: this.fetchStream });
    this.es = es;
    es.onopen = () => this.onOpen();
    es.onerror = (ev) => this.onEventSourceError(ev);
  }

  /** The fetch eventsource calls for every (re)connect. Every rejection is an AbortError: failures are handled here, not by eventsource's 3 s timer. */
  private readonly fetchStream: FetchLike = async (_url, init) => {
    const signal = AbortSignal.any([this.signal, init.signal as AbortSignal]);
    const lastEventId = init.headers['Last-Event-ID'];
    for (;;) {
      if (this.requestsStarted > 0) {
        this.attempt++;
        this.emit({ type: 'reconnect', attempt: this.attempt, delayMs: this.retryMs, reason: this.lastDrop, lastEventId });
        await sleep(this.retryMs, signal);
        if (signal.aborted || this.ended) throw abortError();
        if (this.options.auth?.method === 'token-url') {
          // A short-lived token may have expired while the stream was open: fetch a fresh one.
          try {
            this.placement = await applyAuth(this, 'sse', this.options.auth, { url: new URL(this.options.url), headers: [...(this.options.headers ?? [])], subprotocols: [] });
          } catch (err) {
            if (signal.aborted || this.ended) throw abortError();
            this.lastDrop = this.redact((err as Error).message);
            this.emit({ type: 'error', code: err instanceof ConnectError ? err.code : 'AUTH', message: this.lastDrop, fatal: false });
            if (!this.canReconnect()) return this.giveUp();
            continue;
          }
        }
      }
      this.requestsStarted++;
      this.closeLogged = false;
      const placement = this.placement!;
      const headers: HeaderList = [...placement.headers];
      if (!headerValue(headers, 'accept')) headers.push(['Accept', 'text/event-stream']);
      if (!headerValue(headers, 'cache-control')) headers.push(['Cache-Control', 'no-cache']);
      if (lastEventId) headers.push(['Last-Event-ID', lastEventId]);
      let ex: HttpExchange;
      try {
        ex = await httpRequest(this, {
          url: placement.url,
          headers,
          purpose: 'sse',
          agent: this.agentFor(placement.url),
          insecure: this.options.insecure,
          headersTimeoutMs: this.options.timeoutMs ?? DEFAULTS.timeoutMs,
          signal,
          redirects: this.options.redirects ?? 'same-origin',
          tapBody: isEventStream,
        });
      } catch (err) {
        if (signal.aborted || this.ended) throw abortError();
        // httpRequest has logged the readable error event already.
        this.lastDrop = this.redact(describeNetworkError(err, this.redactUrl(placement.url.toString())));
        if (!this.canReconnect()) return this.giveUp();
        continue;
      }
      return this.toResponse(ex, placement.url);
    }
  };

  /** A Response-like object for eventsource. Data flows only once eventsource has accepted the response (onOpen). */
  private toResponse(ex: HttpExchange, requested: URL): FetchLikeResponse {
    const res = ex.res;
    // For a stream the exchange that matters is the connect (like a WebSocket upgrade): timings are logged now, not when the stream ends.
    ex.finish();
    if (!this.versionLogged) {
      this.versionLogged = true;
      const v = res.httpVersion;
      this.emit({
        type: 'info',
        key: 'sse-http-version',
        message:
          v.startsWith('1.')
            ? `SSE over HTTP/${v}: each open stream holds its own TCP connection (browsers allow about 6 per origin on HTTP/1.1; HTTP/2 would multiplex them on one).`
            : `SSE over HTTP/${v}: streams to this origin can share one connection.`,
      });
    }
    const conn: Connection = { ex, res, requestId: ex.requestId, open: false, done: false, lastByteAt: this.now() };
    // Listening for errors at once: a reset before eventsource decides must not become an uncaught error.
    res.on('error', (e) => (conn.early ??= e));
    this.current = conn;
    const body = new ReadableStream<Uint8Array>({ start: (c) => (conn.controller = c) });
    return {
      status: res.statusCode ?? 0,
      url: ex.url.toString(),
      redirected: ex.url.href !== requested.href,
      headers: {
        get: (name: string) => {
          const v = res.headers[name.toLowerCase()];
          if (v === undefined) return null;
          const s = Array.isArray(v) ? v.join(', ') : String(v);
          // Media types are case-insensitive; eventsource compares "text/event-stream" case-sensitively.
          return name.toLowerCase() === 'content-type' ? s.toLowerCase() : s;
        },
      },
      body,
    };
  }

  /** eventsource accepted the response (200, text/event-stream). */
  private onOpen(): void {
    const conn = this.current;
    if (!conn || this.ended || conn.open) return;
    conn.open = true;
    this.everOpened = true;
    this.attempt = 0;
    this.inspector.reset();
    this.unknownFieldNotices = 0;
    enqueueControl(conn, CONTROL_RETRY_ZERO);
    const res = conn.res;
    const tap = conn.ex.tap?.taken ? conn.ex.tap : undefined;
    if (tap) {
      // The body's bytes come from the socket (BodyTap); res only ends. Started on the next tick, like the 'data' of a resumed stream.
      process.nextTick(() => {
        if (!conn.done) tap.start({ data: (chunk, marks, markCount) => this.onChunk(conn, chunk, marks, markCount), error: (e) => this.onBodyError(conn, e) });
      });
      res.resume();
    } else {
      res.on('data', (chunk: Buffer) => this.onChunk(conn, chunk));
    }
    res.on('end', () => this.streamEnded(conn, 'end'));
    res.on('error', (e) => this.streamEnded(conn, 'error', e));
    res.on('close', () => this.streamEnded(conn, 'error', conn.early));
    if (conn.early || res.destroyed) {
      if (tap?.error) return this.onBodyError(conn, tap.error);
      this.streamEnded(conn, 'error', conn.early);
      return;
    }
    this.armIdle(conn);
    this.setState('open');
    this.settleOpen();
  }

  /** Hot path: bytes from the stream. */
  private onChunk(conn: Connection, chunk: Buffer, framing?: readonly number[], framingCount?: number): void {
    if (conn.done) return;
    // One clock read per socket chunk: the time of every event it holds (as for WebSocket messages).
    this.chunkT = this.now();
    if (this.idleTimer) conn.lastByteAt = this.chunkT;
    this.idDirty = false;
    if (!this.inspector.push(chunk, framing, framingCount)) {
      const l = this.limit!;
      const message =
        l.kind === 'line'
          ? `A line in the event stream passed ${formatByteLimit(l.limit)} without a newline; stopped reading to protect memory.`
          : `One event's data in the stream passed ${formatByteLimit(l.limit)} without a blank line to end it; stopped reading to protect memory.`;
      this.emit({ type: 'error', code: l.kind === 'line' ? 'LINE_TOO_LONG' : 'EVENT_TOO_LARGE', message, requestId: conn.requestId, fatal: true, detail: 'Raise the limit (maxLineBytes) if this server really sends lines this long.' });
      this.streamEnded(conn, 'limit');
      return;
    }
    // Only ids reach eventsource (once per chunk), so it sends the right Last-Event-ID.
    if (this.idDirty) enqueueControl(conn, Buffer.from(`id: ${this.lastId}\ndata\n\n`));
  }

  /** The chunked framing of the body is malformed (BodyTap): said once, then the stream ends like a broken connection. */
  private onBodyError(conn: Connection, err: Error): void {
    if (conn.done || this.ended) return;
    this.emit({ type: 'error', code: (err as NodeJS.ErrnoException).code ?? 'BAD_CHUNKED_ENCODING', message: this.redact(err.message), requestId: conn.requestId, fatal: false });
    this.streamEnded(conn, 'error', err);
  }

  /** Hot path: one event object per SSE event, payload by reference. */
  private readonly onSseEvent = (data: string, event: string | undefined, id: string | undefined, retry: number | undefined, size: number, overheadBytes: number): void => {
    if (id !== undefined) {
      this.lastId = id;
      this.idDirty = true;
    }
    const shown = this.maskText(data);
    const hidden = shown !== data;
    // seq and t are in the literal so emit() fills slots the object already has (adding them
    // would grow every event by a separate property store); the common field set is shared.
    const ev: MessageEvent = {
      type: 'message',
      seq: 0,
      t: 0,
      direction: 'in',
      size,
      binary: false,
      data: shown,
      sse: event === undefined && id === undefined && retry === undefined ? PLAIN_SSE_FIELDS : { event: event ?? 'message', id, retry },
      requestId: this.current?.requestId,
      overheadBytes,
    };
    if (hidden) ev.redacted = true;
    this.emit(ev, this.chunkT);
  };

  private onRetryField(raw: string, value: number | undefined): void {
    if (value === undefined) {
      this.emit({ type: 'retry', raw, appliedMs: undefined });
      return;
    }
    this.retryMs = this.clampRetry(value);
    this.emit({ type: 'retry', raw, appliedMs: this.retryMs });
  }

  private onUnknownField(name: string): void {
    if (this.unknownFieldNotices >= MAX_UNKNOWN_FIELD_NOTICES) return;
    this.unknownFieldNotices++;
    const more = this.unknownFieldNotices === MAX_UNKNOWN_FIELD_NOTICES ? ' Further unknown fields on this stream are not reported.' : '';
    this.emit({
      type: 'info',
      key: 'sse-unknown-field',
      message: `Ignored a line with unknown field ${JSON.stringify(truncate(oneLine(this.redact(name)), 40))}: the spec only knows data, event, id and retry.${more}`,
    });
  }

  /** The stream of `conn` stopped: decide between reconnecting and ending. */
  private streamEnded(conn: Connection, how: 'end' | 'error' | 'idle' | 'limit', err?: Error): void {
    if (conn.done) return;
    conn.done = true;
    this.clearIdle();
    const tail = this.inspector.end();
    if (this.ended) return;
    if (tail.incompleteEvent) {
      this.emit({ type: 'info', key: 'sse-partial-event', message: `The stream stopped in the middle of an event: ${tail.discardedBytes} bytes after the last blank line were not dispatched (the spec drops an unfinished event).` });
    }
    const url = this.redactUrl(conn.ex.url.toString());
    let reason: string;
    let by: 'server' | 'client' | 'network';
    if (how === 'end') {
      reason = 'the server ended the stream';
      by = 'server';
    } else if (how === 'idle') {
      reason = `no data for ${this.options.idleTimeoutMs} ms`;
      by = 'client';
    } else if (how === 'limit') {
      reason = 'stopped reading: a limit was passed';
      by = 'client';
    } else {
      reason = err ? this.redact(describeNetworkError(err, url)) : `the connection closed before the stream ended (${url})`;
      by = 'network';
    }
    if (how !== 'end') conn.res.destroy();
    this.emit({ type: 'close', code: 0, reason, by, wasClean: how === 'end' });
    this.closeLogged = true;
    this.lastDrop = reason;
    if (how !== 'limit' && this.canReconnect()) {
      this.setState('connecting');
      // eventsource sees the body end and calls our fetch again (its timer is 0): the wait and the `reconnect` event happen there.
      closeController(conn);
      return;
    }
    if (how !== 'limit') {
      this.emit({
        type: 'info',
        key: 'sse-no-reconnect',
        message: this.reconnectEnabled ? `Not reconnecting: ${this.maxAttempts} reconnect attempts in a row were made.` : 'Not reconnecting: reconnect is turned off for this session.',
      });
    }
    this.endSession();
  }

  /** eventsource dispatched `error`. When its state is CLOSED it judged the response (204, non-200, content type). */
  private onEventSourceError(ev: EventSourceErrorEvent): void {
    if (this.ended || this.es?.readyState !== CLOSED) return;
    const conn = this.current;
    if (!conn || conn.open) return;
    conn.done = true;
    const res = conn.res;
    const status = res.statusCode ?? 0;
    if (status === 204) {
      res.destroy();
      const message = 'Server answered 204 No Content: the stream is over, not reconnecting.';
      this.emit({ type: 'info', key: 'sse-204', message });
      this.emit({ type: 'close', code: 0, reason: message, by: 'server', wasClean: true });
      this.closeLogged = true;
      this.endSession(undefined, new ConnectError(message, 'NO_CONTENT'));
      return;
    }
    const type = res.headers['content-type'];
    const statusText = `${status}${res.statusMessage ? ' ' + res.statusMessage : ''}`;
    // A redirect the policy refused is the real reason, not "3xx instead of an event stream".
    const refused = conn.ex.redirectRefused;
    const code = refused ? 'REDIRECT_REFUSED' : status !== 200 ? 'HTTP_STATUS' : 'BAD_CONTENT_TYPE';
    const message = refused
      ? `${refused} Not reconnecting.`
      : status !== 200
        ? `The server answered ${statusText} (${type ? `Content-Type ${type}` : 'no Content-Type'}) instead of an event stream; not reconnecting.`
        : `The server answered 200 with ${type ? `Content-Type ${JSON.stringify(type)}` : 'no Content-Type'} instead of text/event-stream; not reconnecting.`;
    void readPrefix(res, PREVIEW_BYTES, PREVIEW_WAIT_MS).then((bytes) => {
      if (this.ended) return;
      const body = bytes.length ? truncate(oneLine(this.redact(bytes.toString('utf8'))), PREVIEW_BYTES + 1) : '(empty)';
      const detail = `status: ${statusText}\ncontent-type: ${type ?? '(none)'}\nbody starts: ${body}\n(eventsource: ${ev.message ?? ''})`;
      this.failConnect(code, this.redact(message), this.redact(detail), conn.requestId);
    });
  }

  private canReconnect(): boolean {
    return this.reconnectEnabled && !this.ended && !this.signal.aborted && (this.maxAttempts === 0 || this.attempt < this.maxAttempts);
  }

  /** A (re)connect attempt failed and no more are allowed. Returns eventsource a promise that never settles: the session is over. */
  private giveUp(): Promise<FetchLikeResponse> {
    const message = !this.reconnectEnabled
      ? `Could not open the event stream (reconnect is off): ${this.lastDrop}`
      : this.everOpened || this.attempt > 0
        ? `Gave up after ${this.attempt} reconnect attempt${this.attempt === 1 ? '' : 's'}: ${this.lastDrop}`
        : `Could not open the event stream: ${this.lastDrop}`;
    this.emit({ type: 'error', code: 'RECONNECT_GAVE_UP', message, fatal: true });
    if (!this.closeLogged) {
      this.emit({ type: 'close', code: 0, reason: this.lastDrop, by: 'network', wasClean: false });
      this.closeLogged = true;
    }
    this.endSession(undefined, new ConnectError(message, 'RECONNECT_GAVE_UP'));
    return Promise.reject(abortError());
  }

  /** Logs a fatal error and ends the session; connect() rejects with the same sentence. */
  private failConnect(code: string, message: string, detail?: string, requestId?: number): void {
    if (this.ended) return;
    this.emit({ type: 'error', code, message, detail, requestId, fatal: true });
    if (!this.closeLogged) {
      this.emit({ type: 'close', code: 0, reason: message, by: 'client', wasClean: false });
      this.closeLogged = true;
    }
    this.endSession(undefined, new ConnectError(message, code));
  }

  /** Ends everything at once: eventsource (and its timer), the request, the idle timer, the sockets. */
  private endSession(close?: { reason: string; by: 'client' | 'server' | 'network'; wasClean: boolean }, err?: ConnectError): void {
    if (this.ended) return;
    this.ended = true;
    this.es?.close();
    this.clearIdle();
    const conn = this.current;
    if (conn && !conn.done) {
      conn.done = true;
      this.inspector.end();
    }
    if (conn) {
      conn.res.destroy();
      closeController(conn);
    }
    if (close && !this.closeLogged) {
      this.emit({ type: 'close', code: 0, ...close });
      this.closeLogged = true;
    }
    const o = this.opening;
    if (o && !o.settled) {
      o.settled = true;
      o.reject(err ?? new ConnectError('The session ended before the event stream opened.', 'CLOSED'));
    }
    this.destroyAgent();
    this.finish();
  }

  private settleOpen(): void {
    const o = this.opening;
    if (o && !o.settled) {
      o.settled = true;
      o.resolve();
    }
  }

  private clampRetry(ms: number): number {
    return Math.min(this.clamp.max, Math.max(this.clamp.min, ms));
  }

  /** Idle check without touching a timer per chunk: the chunk handler stamps lastByteAt, the timer re-arms for what is left. */
  private armIdle(conn: Connection): void {
    const idle = this.options.idleTimeoutMs ?? 0;
    if (!idle) return;
    conn.lastByteAt = this.now();
    const check = (): void => {
      this.idleTimer = undefined;
      if (conn.done || this.ended) return;
      const quiet = this.now() - conn.lastByteAt;
      if (quiet < idle) {
        this.idleTimer = setTimeout(check, Math.max(1, Math.ceil(idle - quiet)));
        return;
      }
      this.emit({
        type: 'error',
        code: 'IDLE_TIMEOUT',
        message: `No data for ${idle} ms on the event stream (not even a heartbeat comment); ${this.canReconnect() ? 'reconnecting' : 'closing'}.`,
        requestId: conn.requestId,
        fatal: false,
      });
      this.streamEnded(conn, 'idle');
    };
    this.idleTimer = setTimeout(check, idle);
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

/** The responses eventsource accepts as a stream (200, text/event-stream): only their bodies are read from the socket directly. */
function isEventStream(res: IncomingMessage): boolean {
  if (res.statusCode !== 200) return false;
  const v = res.headers['content-type'];
  if (v === undefined) return false;
  return (Array.isArray(v) ? v.join(', ') : String(v)).toLowerCase().startsWith('text/event-stream');
}

/**
 * Feeds eventsource's control stream. A listener may close the session while a chunk is
 * being parsed (e.g. "stop after N messages"); eventsource then cancels the body, and
 * enqueueing into it would throw out of the socket's data handler.
 */
function enqueueControl(conn: Connection, bytes: Uint8Array): void {
  if (conn.done || !conn.controller) return;
  try {
    conn.controller.enqueue(bytes);
  } catch {
    // The body was cancelled (the session is closing).
  }
}

function closeController(conn: Connection): void {
  try {
    conn.controller?.close();
  } catch {
    // Already closed.
  }
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/** Reads at most `max` bytes of a body, waiting at most `waitMs`, then drops the rest. */
function readPrefix(res: IncomingMessage, max: number, waitMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.destroy();
      const all = Buffer.concat(parts);
      resolve(all.length > max ? all.subarray(0, max) : all);
    };
    const timer = setTimeout(done, waitMs);
    res.on('data', (c: Buffer) => {
      parts.push(c);
      n += c.length;
      if (n >= max) done();
    });
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}
