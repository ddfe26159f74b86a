import * as http from 'node:http';
import type { ConnectionState, EventInit, HeaderList, InspectorEvent, TransportKind } from '../shared/events';
import { EventLog } from '../shared/eventLog';
import { secretsOf } from '../shared/exportRedact';
import { DEFAULTS, type ConnectOptions, type ReconnectOptions } from '../shared/options';
import { createStats, updateStats, updateStatsForMessage, type SessionStats } from '../shared/stats';
import { monotonic } from './clock';
import { createDialAgent } from './dial';
import { Redactor, isCredentialHeader, redactUrl } from './redact';

/** What transports and the HTTP helper write into. */
export interface EventSink {
  now(): number;
  emit(ev: EventInit): InspectorEvent;
  nextRequestId(): number;
  readonly redactor: Redactor;
  redact(text: string): string;
  redactUrl(url: string): string;
  redactHeaders(headers: HeaderList): HeaderList;
  /** Credential header names of this session (standard ones plus a custom auth header). */
  isCredentialHeader(name: string): boolean;
  /** Connection settings (TLS trust, proxy, timeout) the HTTP helper applies to every connection. */
  readonly options?: Pick<ConnectOptions, 'insecure' | 'ca' | 'proxy' | 'timeoutMs'>;
  /** The session's keep-alive agent for this URL's protocol (sockets opened by dial()). */
  httpAgent?(url: URL): http.Agent;
}

export type EventListener = (ev: InspectorEvent) => void;
/** Told of every event appended; `ev` is undefined for a message recorded compactly (read it from the log if needed). */
export type AppendListener = (ev: InspectorEvent | undefined) => void;

/** Raised by connect() when a session could not open; its message is the one-line reason. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

/**
 * The shape every transport shares: a state and one stream of timestamped events, kept in
 * a bounded log and folded into running stats. Subclasses implement open/send/shutdown.
 */
export abstract class Session implements EventSink {
  abstract readonly transport: TransportKind;
  readonly log: EventLog;
  readonly stats: SessionStats;
  readonly redactor: Redactor;
  readonly options: ConnectOptions;
  readonly wallStart = Date.now();
  private readonly t0 = monotonic();
  private seq = 0;
  private requestSeq = 0;
  private listeners: EventListener[] = [];
  private appendListeners: AppendListener[] = [];
  private _state: ConnectionState = 'connecting';
  private customCredentialHeader?: string;
  protected readonly abort = new AbortController();
  private closedResolve!: () => void;
  /** Resolves when the session has ended for good (closed, no reconnect pending). */
  readonly closed: Promise<void> = new Promise((r) => (this.closedResolve = r));

  constructor(options: ConnectOptions) {
    this.options = options;
    this.log = new EventLog(options.logCap ?? DEFAULTS.logCap, options.logMaxBytes ?? DEFAULTS.logMaxBytes);
    this.stats = createStats();
    this.redactor = new Redactor(options.showSecrets ?? false);
    // Auth tokens, secret variables and credentials typed into the headers by hand: one list,
    // shared with the export's redaction (a credential echoed in a payload must be masked too).
    for (const secret of secretsOf(options)) this.redactor.add(secret);
    registerProxySecrets(this.redactor, options.proxy?.url);
    if (options.auth?.method === 'header') this.customCredentialHeader = options.auth.name.toLowerCase();
  }

  get state(): ConnectionState {
    return this._state;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get reconnectOptions(): ReconnectOptions {
    return { ...DEFAULTS.reconnect, ...this.options.reconnect };
  }

  /** ms since the session started, to the microsecond (finer digits are clock noise and clutter every log line). */
  now(): number {
    return Math.round((monotonic() - this.t0) * 1000) / 1000;
  }

  nextRequestId(): number {
    return ++this.requestSeq;
  }

  onEvent(fn: EventListener): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /**
   * Like onEvent, without building an event object for messages recorded compactly
   * (recordMessage): for listeners that only need to know something was appended, such as
   * the extension's batcher, so an open panel keeps the receive path as cheap as no panel.
   */
  onAppend(fn: AppendListener): () => void {
    this.appendListeners.push(fn);
    return () => {
      this.appendListeners = this.appendListeners.filter((l) => l !== fn);
    };
  }

  /**
   * Stamps and records an event. Hot path: no copies, no formatting. `readAt`: when the bytes
   * were read, for events parsed from a socket chunk whose time the transport took once.
   */
  emit(init: EventInit, readAt = -1): InspectorEvent {
    const ev = init as InspectorEvent;
    ev.seq = this.seq++;
    ev.t = this.timeOf(readAt);
    this.log.push(ev);
    updateStats(this.stats, ev);
    this.notify(ev, ev);
    return ev;
  }

  /**
   * Records a message the way emit() would, without an event object: the log keeps its time,
   * size and bytes in typed arrays and a slab (EventLog.pushMessage), the stats count it, and
   * only onEvent listeners, if any, get an object built for them. The receive hot path of
   * frame-based transports: a memcpy per message and nothing for the GC.
   */
  protected recordMessage(direction: 'in' | 'out', payload: Uint8Array | string, size: number, binary: boolean, opcode: number, overheadBytes: number, readAt = -1): void {
    const seq = this.seq++;
    const t = this.timeOf(readAt);
    this.log.pushMessage(seq, t, direction, payload, size, binary, opcode, overheadBytes);
    updateStatsForMessage(this.stats, t, direction, size, overheadBytes);
    if (this.listeners.length || this.appendListeners.length) {
      this.notify(this.listeners.length ? this.log.at(this.log.size - 1) : undefined, undefined);
    }
  }

  /** Now, or the time the bytes were read (never before the previous event: t stays in seq order). */
  private timeOf(readAt: number): number {
    return readAt < 0 ? this.now() : Math.max(readAt, this.stats.lastT);
  }

  private notify(ev: InspectorEvent | undefined, appended: InspectorEvent | undefined): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i](ev!);
      } catch {
        // A faulty listener must not break recording.
      }
    }
    const as = this.appendListeners;
    for (let i = 0; i < as.length; i++) {
      try {
        as[i](appended);
      } catch {
        // Same.
      }
    }
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /**
   * An incoming text payload with any known secret it quotes masked (a server echoing the
   * token back must not put it in the log). Returns the same string when there is nothing to
   * mask, so callers tell "redacted" by identity, and it costs nothing without secrets.
   * Every transport's receive path goes through here.
   */
  protected maskText(text: string): string {
    return this.hasSecretsToMask() ? this.redactor.redact(text) : text;
  }

  /** Whether incoming text must be checked for known secrets (some are known and the user did not ask to see them). */
  protected hasSecretsToMask(): boolean {
    const r = this.redactor;
    return r.size !== 0 && !r.reveal;
  }

  redactUrl(url: string): string {
    return redactUrl(url, this.redactor);
  }

  redactHeaders(headers: HeaderList): HeaderList {
    if (this.redactor.reveal) return headers;
    const custom = this.customCredentialHeader;
    return this.redactor.redactHeaders(headers).map(([k, v]) => [k, custom && k.toLowerCase() === custom ? Redactor.mask(v) : v]);
  }

  isCredentialHeader(name: string): boolean {
    return isCredentialHeader(name) || name.toLowerCase() === this.customCredentialHeader;
  }

  protected setState(state: ConnectionState): void {
    if (state === this._state) return;
    const previous = this._state;
    this._state = state;
    this.emit({ type: 'state', state, previous });
    if (state === 'closed' && !this.reconnectPending()) this.closedResolve();
  }

  /** Subclasses with a reconnect timer report it so `closed` waits for the last attempt. */
  protected reconnectPending(): boolean {
    return false;
  }

  /** Marks the session finished for good (after the last reconnect gave up). */
  protected finish(): void {
    if (this._state !== 'closed') this.setState('closed');
    this.closedResolve();
  }

  /** Emits the first event. Called by connect() implementations. */
  protected emitStart(extra: Record<string, string | number | boolean> = {}): void {
    if (this.seq > 0) return;
    this.emit({
      type: 'session',
      transport: this.transport,
      url: this.redactUrl(this.options.url),
      wallStart: this.wallStart,
      options: extra,
    });
    this.emit({ type: 'state', state: 'connecting', previous: 'closed' });
    const bad = fetchBadPort(this.options.url);
    if (bad !== undefined) {
      this.emit({
        type: 'info',
        key: 'bad-port',
        message: `Port ${bad} is on the fetch standard's list of "bad ports": browsers (fetch, EventSource, WebSocket) refuse to connect to it, so a web page could never reach this endpoint. This client (node:http) has no such list and connects anyway.`,
      });
    }
  }

  /** Opens the connection. Resolves once open; rejects with ConnectError (after logging an error event) when it cannot. */
  abstract connect(): Promise<void>;

  /** Sends a message: a WebSocket frame, or for HTTP transports an HTTP request to the send URL. */
  abstract send(data: string | Uint8Array, opts?: { binary?: boolean }): Promise<void>;

  /** Stops the session at once: aborts requests, closes sockets, cancels reconnects. */
  async close(code?: number, reason?: string): Promise<void> {
    if (this._state === 'closed' && !this.reconnectPending()) {
      // Already over (e.g. the server closed it): still fire the signal, so whatever waits on it stops too.
      this.abort.abort();
      this.closedResolve();
      return;
    }
    this.abort.abort();
    await this.shutdown(code, reason);
    this.destroyAgent();
    this.finish();
  }

  protected abstract shutdown(code?: number, reason?: string): Promise<void>;

  /**
   * Keep-alive agents for this session's HTTP requests (polls reuse one socket, as a browser
   * would), one per protocol so a redirect from http: to https: keeps working. Their sockets
   * come from dial(): proxy, CA and `insecure` apply to this session only.
   */
  private readonly agents = new Map<string, http.Agent>();
  httpAgent(url: URL): http.Agent {
    const protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'https:' : 'http:';
    let agent = this.agents.get(protocol);
    if (!agent) {
      const o = this.options;
      agent = createDialAgent(this, protocol, { insecure: o.insecure, ca: o.ca, proxy: o.proxy, timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs });
      this.agents.set(protocol, agent);
    }
    return agent;
  }
  protected agentFor(url: URL): http.Agent {
    return this.httpAgent(url);
  }
  protected destroyAgent(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/** The password of a proxy URL (user:password@) is a secret like any token. */
export function registerProxySecrets(r: Redactor, proxyUrl: string | undefined): void {
  if (!proxyUrl) return;
  try {
    const u = new URL(proxyUrl);
    if (u.password) {
      r.add(u.password);
      try {
        r.add(decodeURIComponent(u.password));
      } catch {
        // Keep the raw form only.
      }
    }
  } catch {
    // An invalid proxy URL is reported when a connection tries it.
  }
}

/** Ports browsers refuse (https://fetch.spec.whatwg.org/#bad-port); the same list Node's fetch (undici) refuses. */
const BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514,
  515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

function fetchBadPort(raw: string): number | undefined {
  try {
    const u = new URL(raw);
    if (!u.port) return undefined;
    const p = Number(u.port);
    return BAD_PORTS.has(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

