import * as http from 'node:http';
import * as https from 'node:https';
import type { ConnectionState, EventInit, HeaderList, InspectorEvent, TransportKind } from '../shared/events';
import { EventLog } from '../shared/eventLog';
import { DEFAULTS, type AuthConfig, type ConnectOptions, type ReconnectOptions } from '../shared/options';
import { createStats, updateStats, type SessionStats } from '../shared/stats';
import { monotonic } from './clock';
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
}

export type EventListener = (ev: InspectorEvent) => void;

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
  private _state: ConnectionState = 'connecting';
  private customCredentialHeader?: string;
  protected readonly abort = new AbortController();
  private closedResolve!: () => void;
  /** Resolves when the session has ended for good (closed, no reconnect pending). */
  readonly closed: Promise<void> = new Promise((r) => (this.closedResolve = r));

  constructor(options: ConnectOptions) {
    this.options = options;
    this.log = new EventLog(options.logCap ?? DEFAULTS.logCap);
    this.stats = createStats();
    this.redactor = new Redactor(options.showSecrets ?? false);
    registerSecrets(this.redactor, options.auth);
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

  now(): number {
    return monotonic() - this.t0;
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

  /** Stamps and records an event. Hot path: no copies, no formatting. */
  emit(init: EventInit): InspectorEvent {
    const ev = init as InspectorEvent;
    ev.seq = this.seq++;
    ev.t = this.now();
    this.log.push(ev);
    updateStats(this.stats, ev);
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i](ev);
      } catch {
        // A faulty listener must not break recording.
      }
    }
    return ev;
  }

  redact(text: string): string {
    return this.redactor.redact(text);
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
  }

  /** Opens the connection. Resolves once open; rejects with ConnectError (after logging an error event) when it cannot. */
  abstract connect(): Promise<void>;

  /** Sends a message: a WebSocket frame, or for HTTP transports an HTTP request to the send URL. */
  abstract send(data: string | Uint8Array, opts?: { binary?: boolean }): Promise<void>;

  /** Stops the session at once: aborts requests, closes sockets, cancels reconnects. */
  async close(code?: number, reason?: string): Promise<void> {
    if (this._state === 'closed' && !this.reconnectPending()) {
      this.closedResolve();
      return;
    }
    this.abort.abort();
    await this.shutdown(code, reason);
    this.finish();
  }

  protected abstract shutdown(code?: number, reason?: string): Promise<void>;

  /** Keep-alive agent for this session's HTTP requests (polls reuse one socket, as a browser would). */
  private _agent?: http.Agent;
  protected agentFor(url: URL): http.Agent {
    if (!this._agent) {
      const opts = { keepAlive: true, maxSockets: 4, rejectUnauthorized: !this.options.insecure };
      this._agent = url.protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts);
    }
    return this._agent;
  }
  protected destroyAgent(): void {
    this._agent?.destroy();
    this._agent = undefined;
  }
}

function registerSecrets(r: Redactor, auth: AuthConfig | undefined): void {
  if (!auth) return;
  switch (auth.method) {
    case 'query':
    case 'bearer':
    case 'subprotocol':
    case 'first-message':
      r.add(auth.token);
      break;
    case 'cookie':
      r.add(auth.value);
      break;
    case 'header':
      r.add(auth.value);
      break;
    case 'token-url':
      // The fetched token is registered when it arrives; the request body may hold credentials too.
      if (auth.body) {
        try {
          const j = JSON.parse(auth.body) as Record<string, unknown>;
          for (const v of Object.values(j)) if (typeof v === 'string') r.add(v);
        } catch {
          r.add(auth.body);
        }
      }
      for (const [k, v] of auth.headers ?? []) if (isCredentialHeader(k)) r.add(v.replace(/^\w+\s+/, ''));
      break;
    case 'none':
      break;
  }
}
