import type { Agent } from 'node:http';
import type { EventInit, HeaderList, InspectorEvent, PollEvent } from '../shared/events';
import { oneLine, truncate, utf8Length } from '../shared/events';
import { getPathString } from '../shared/jsonPath';
import { DEFAULTS, type ConnectOptions } from '../shared/options';
import { applyAuth, type AuthPlacement } from './auth';
import { backoffDelay, sleep, span } from './clock';
import { describeNetworkError } from './errors';
import { describeStall } from './dial';
import { httpRequest, progressBytes, readBody, type HttpExchange, type HttpProgress } from './http';
import { sendOverHttp } from './httpSend';
import type { Redactor } from './redact';
import { ConnectError, Session, type EventSink } from './session';

/**
 * Short polling and long polling. Both are a loop of ordinary HTTP GETs over one
 * keep-alive agent, never two at once; they differ in what happens between answers
 * (short: wait the interval; long: ask again at once) and in how an answer is read
 * (short: the body is one message, unchanged answers are spotted; long: a JSON
 * `messages` array is split, a cursor is carried, seq gaps are reported).
 */

/** A long poll whose answer headers came back faster than this was not held by the server. */
const QUICK_ANSWER_MS = 50;
/** How many unheld empty answers in a row are tolerated before backing off. */
const QUICK_ANSWERS_TOLERATED = 3;
/** After this many unheld answers in a row (data included), say the server does not seem to hold requests. */
const NOT_HELD_HINT_AFTER = 20;

/** What one poll's HTTP exchange produced. */
interface Answer {
  ex: HttpExchange;
  status: number;
  body: Buffer;
  startT: number;
  endT: number;
  /** Request + response header bytes of every hop of this poll (redirects included). */
  headerBytes: number;
  /** Body bytes on the wire (chunk framing included) of every hop. */
  bodyWireBytes: number;
}

type Attempt =
  | ({ kind: 'answer' } & Answer)
  | { kind: 'timeout'; requestId?: number; startT: number; endT: number; sentT?: number; stall: string }
  | { kind: 'failed'; requestId?: number; error: unknown; startT: number; endT: number; inBody: boolean }
  | { kind: 'stopped' };

/** Session-clock milestones of a request: written to the socket, response headers in. */
type ExchangeTimes = { sent?: number; headers?: number };

/** Verdict of a successful answer, as the subclass read it. */
interface Verdict {
  outcome: 'data' | 'unchanged';
  reason: string;
}

/**
 * Forwards to the session and remembers what one poll's exchange emitted (request id,
 * header bytes, wire body bytes) so the poll can state its HTTP cost without recounting.
 * Polls never overlap, so one instance per session is reset before each poll.
 */
class ExchangeTrace implements EventSink {
  requestId?: number;
  headerBytes = 0;
  bodyWireBytes = 0;
  constructor(private readonly session: Session) {}
  get redactor(): Redactor {
    return this.session.redactor;
  }
  get options(): ConnectOptions {
    return this.session.options;
  }
  httpAgent(url: URL): Agent {
    return this.session.httpAgent(url);
  }
  reset(): void {
    this.requestId = undefined;
    this.headerBytes = 0;
    this.bodyWireBytes = 0;
  }
  now(): number {
    return this.session.now();
  }
  nextRequestId(): number {
    return (this.requestId = this.session.nextRequestId());
  }
  emit(init: EventInit): InspectorEvent {
    const ev = this.session.emit(init);
    if (ev.type === 'request' || ev.type === 'response') this.headerBytes += ev.headerBytes;
    else if (ev.type === 'timing') this.bodyWireBytes += ev.bodyWireBytes ?? 0;
    return ev;
  }
  redact(text: string): string {
    return this.session.redact(text);
  }
  redactUrl(url: string): string {
    return this.session.redactUrl(url);
  }
  redactHeaders(headers: HeaderList): HeaderList {
    return this.session.redactHeaders(headers);
  }
  isCredentialHeader(name: string): boolean {
    return this.session.isCredentialHeader(name);
  }
}

/** Text unless the content type says otherwise; a missing content type is read as text (most servers omit it for plain text). */
export function isTextContentType(contentType: string | undefined): boolean {
  return !contentType || contentKind(contentType).text;
}

function isJsonContentType(contentType: string | undefined): boolean {
  return !!contentType && contentKind(contentType).json;
}

/** The last content type classified, and what it is: every answer of an endpoint usually has the same one. */
const lastType = { value: '', text: true, json: false };

function contentKind(contentType: string): { text: boolean; json: boolean } {
  if (contentType !== lastType.value) {
    lastType.text = /^\s*text\/|json|xml|javascript|ecmascript|x-www-form-urlencoded/i.test(contentType);
    lastType.json = /json/i.test(contentType);
    lastType.value = contentType;
  }
  return lastType;
}

/** Shared loop: auth, the request/answer cycle, error handling with backoff, shutdown. */
abstract class PollingSession extends Session {
  protected placement?: AuthPlacement;
  protected baseUrl!: URL;
  private readonly trace = new ExchangeTrace(this);
  private started = false;
  /** The poll time limit's timer (see armWatchdog()). */
  private pollTimer?: NodeJS.Timeout;
  /** Session clock by which the poll in flight must have ended; undefined between polls. */
  private pollDeadline?: number;
  /** The poll in flight ran out of time (and was aborted). */
  private pollExpired = false;
  /** The abort controller polls share until one is aborted (see pollController()). */
  private pollAbort?: { ctl: AbortController; unlink: () => void };
  /** Consecutive failed polls (errors, and short-poll timeouts). */
  private failures = 0;
  private opened?: { resolve: () => void; reject: (e: ConnectError) => void };
  /** Session clock at the end of the previous answer, for gapMs; unset after a backoff wait. */
  protected lastEndT?: number;

  /** Whole-exchange time limit for one request. */
  protected abstract get requestLimitMs(): number;
  protected abstract get purpose(): 'poll' | 'long-poll';
  /** URL and headers of the next request, and the cursor it carries. */
  protected abstract nextRequest(): { url: URL; headers: HeaderList; cursor?: string };
  /** Reads a 2xx/304 answer: emits its `message` events and says what it was. */
  protected abstract readAnswer(a: Answer): Verdict;
  /** Extra poll-event fields (long polling: held time, gap, cursor). */
  protected abstract pollExtras(times: ExchangeTimes, cursor: string | undefined): Partial<PollEvent>;
  /** Wait before the next request after a successful answer; may emit events explaining it. */
  protected abstract delayAfter(a: Answer, v: Verdict): number;
  /** Short polling treats a timed-out poll as a failure (backoff); long polling re-requests at once. */
  protected abstract readonly timeoutIsFailure: boolean;
  protected abstract optionSummary(): Record<string, string | number | boolean>;
  /** Throws a ConnectError for options this transport cannot use. */
  protected validateOptions(): void {}

  override async connect(): Promise<void> {
    if (this.started) throw new Error('connect() was already called on this session; create a new session to connect again.');
    this.started = true;
    this.emitStart(this.optionSummary());
    try {
      this.validateOptions();
      try {
        this.baseUrl = new URL(this.options.url);
      } catch {
        throw new ConnectError(`The URL is not valid: ${JSON.stringify(this.redactUrl(this.options.url))}.`, 'BAD_URL');
      }
      if (this.baseUrl.protocol !== 'http:' && this.baseUrl.protocol !== 'https:') {
        throw new ConnectError(`Polling needs an http: or https: URL, not ${this.baseUrl.protocol} (${this.redactUrl(this.options.url)}).`, 'BAD_URL');
      }
      try {
        this.placement = await applyAuth(this, this.transport, this.options.auth, { url: this.baseUrl, headers: this.options.headers ?? [], subprotocols: [] });
      } catch (err) {
        if (err instanceof ConnectError) throw err;
        throw new ConnectError(`Could not set up the credential: ${this.redact(err instanceof Error ? err.message : String(err))}`, 'AUTH');
      }
      if (this.placement.firstMessage !== undefined && !this.options.sendUrl) {
        throw new ConnectError('First-message auth over HTTP polling is sent as a request to the send URL, and no send URL is set: set one, or put the token in a header, cookie or query parameter.', 'AUTH_NO_SEND_URL');
      }
    } catch (err) {
      if (this.signal.aborted) throw new ConnectError('The session was closed before it opened.', 'CLOSED');
      const ce = err instanceof ConnectError ? err : new ConnectError(this.redact(String(err)), 'CONNECT');
      this.fatal(ce);
      throw ce;
    }
    const open = new Promise<void>((resolve, reject) => (this.opened = { resolve, reject }));
    void this.run();
    return open;
  }

  override async send(data: string | Uint8Array, opts?: { binary?: boolean }): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') throw new Error('This session is closed; nothing was sent.');
    if (!this.placement) throw new Error('The session is not connected yet: call connect() first.');
    await sendOverHttp(this, this.sendUrl(), data, this.placement.headers, opts);
  }

  /** The send URL, carrying the query-parameter credential too when the polls carry one. */
  private sendUrl(): string | undefined {
    const raw = this.options.sendUrl;
    const auth = this.options.auth;
    const param = auth?.method === 'query' ? auth.param : auth?.method === 'token-url' && auth.placement === 'query' ? (auth.name ?? 'access_token') : undefined;
    const value = param && this.placement?.url.searchParams.get(param);
    if (!raw || !param || !value) return raw;
    try {
      const u = new URL(raw);
      u.searchParams.set(param, value);
      return u.toString();
    } catch {
      return raw; // sendOverHttp explains an invalid URL
    }
  }

  protected override async shutdown(_code?: number, reason?: string): Promise<void> {
    if (this.state !== 'closed') {
      this.setState('closing');
      this.emit({ type: 'close', code: 0, reason: reason ?? 'closed by the client', by: 'client', wasClean: true });
    }
    this.teardown();
    this.opened?.reject(new ConnectError('The session was closed before it opened.', 'CLOSED'));
    this.opened = undefined;
  }

  private teardown(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.destroyAgent();
  }

  /** Logs a fatal error and ends the session; rejects a pending connect(). */
  private fatal(err: ConnectError, requestId?: number, detail?: string): void {
    this.emit({ type: 'error', message: err.message, code: err.code, requestId, detail, fatal: true });
    if (this.state === 'open') this.setState('closing');
    if (this.state === 'closing') this.emit({ type: 'close', code: 0, reason: err.message, by: 'network', wasClean: false });
    this.abort.abort(); // stops a concurrent send()
    this.teardown();
    this.finish();
    this.opened?.reject(err);
    this.opened = undefined;
  }

  private async run(): Promise<void> {
    try {
      await this.loop();
    } catch (err) {
      // A bug in the loop must end the session visibly rather than leave it silently stuck.
      if (!this.signal.aborted) this.fatal(new ConnectError(`Polling stopped unexpectedly: ${this.redact(err instanceof Error ? err.message : String(err))}`, 'INTERNAL'));
    }
  }

  private async loop(): Promise<void> {
    // reconnect.enabled is not consulted: for polling the next poll is the retry. Only the
    // delays and maxAttempts (consecutive failures before giving up; 0 = never) apply.
    const reconnect = this.reconnectOptions;
    while (!this.signal.aborted) {
      const req = this.nextRequest();
      const a = await this.exchange(req.url, req.headers);
      if (a.kind === 'stopped' || this.signal.aborted) return;
      const connecting = this.state === 'connecting';
      let failure: { reason: string; connectError?: ConnectError; detail?: string } | undefined;

      if (a.kind === 'answer') {
        const ok = (a.status >= 200 && a.status < 300) || a.status === 304;
        if (ok) {
          if (connecting) this.setState('open');
          const v = this.readAnswer(a);
          this.emit({ type: 'poll', requestId: a.ex.requestId, outcome: v.outcome, reason: v.reason, ...this.pollExtras(a.ex.times, req.cursor) });
          this.lastEndT = a.endT;
          if (connecting && !(await this.afterOpen())) return;
          if (this.failures > 0) {
            this.emit({ type: 'info', key: 'recovered', message: `Polling recovered after ${this.failures} failed ${this.failures === 1 ? 'poll' : 'polls'}; back to the normal pace.` });
            this.failures = 0;
          }
          const wait = this.delayAfter(a, v);
          if (wait > 0) {
            // After a deliberate wait there is no "gap" in the long-polling sense.
            if (this.purpose === 'long-poll') this.lastEndT = undefined;
            await sleep(wait, this.signal);
          }
          continue;
        }
        const r = this.statusFailure(a, connecting);
        this.emit({ type: 'poll', requestId: a.ex.requestId, outcome: 'error', reason: `http-${a.status}`, ...this.pollExtras(a.ex.times, req.cursor) });
        failure = r;
      } else if (a.kind === 'timeout') {
        this.emit({ type: 'poll', requestId: a.requestId ?? 0, outcome: 'timeout', reason: 'timeout', ...this.pollExtras({ sent: a.sentT }, req.cursor) });
        const limit = Math.round(this.requestLimitMs);
        if (connecting && this.timeoutIsFailure) {
          failure = { reason: 'timeout', connectError: new ConnectError(this.redact(`Timed out on the first poll: ${a.stall} (${this.redactUrl(req.url.toString())}).`), 'TIMEOUT') };
        } else if (this.timeoutIsFailure) {
          failure = { reason: `no answer within ${limit} ms` };
        } else {
          // Long polling: the server held longer than we allow; ask again at once.
          this.onHoldTimeout(limit);
          this.lastEndT = a.endT;
          continue;
        }
      } else {
        this.emit({ type: 'poll', requestId: a.requestId ?? 0, outcome: 'error', reason: 'network', ...this.pollExtras({}, req.cursor) });
        const text = describeNetworkError(a.error, this.redactUrl(req.url.toString()));
        const code = (a.error as NodeJS.ErrnoException)?.code ?? 'NETWORK';
        if (a.inBody) this.emit({ type: 'error', requestId: a.requestId, code, message: this.redact(`The answer broke off before its end: ${text}`), fatal: false });
        failure = {
          reason: this.redact(text),
          connectError: connecting ? new ConnectError(this.redact(`The first poll failed: ${text}`), code) : undefined,
        };
      }

      if (connecting && failure.connectError) {
        this.fatal(failure.connectError, a.kind === 'answer' ? a.ex.requestId : a.requestId, failure.detail);
        return;
      }
      this.failures++;
      if (reconnect.maxAttempts > 0 && this.failures > reconnect.maxAttempts) {
        this.fatal(new ConnectError(`Gave up after ${this.failures} failed polls in a row (reconnect.maxAttempts is ${reconnect.maxAttempts}); last: ${failure.reason}.`, 'GAVE_UP'));
        return;
      }
      const delayMs = Math.max(this.minFailureDelay(), backoffDelay(this.failures - 1, reconnect.initialDelayMs, reconnect.maxDelayMs));
      this.emit({ type: 'reconnect', attempt: this.failures, delayMs, reason: failure.reason });
      this.lastEndT = undefined;
      await sleep(delayMs, this.signal);
    }
  }

  /** Long polling: a request reached the client's hold timeout (it is sent again at once). */
  protected onHoldTimeout(_limitMs: number): void {}

  /** Floor for an error wait: short polling never polls faster after an error than it would without one. */
  protected minFailureDelay(): number {
    return 0;
  }

  /** Emits a backoff wait that is not an error (a server answering long polls at once). */
  protected emitBackoff(attempt: number, reason: string): number {
    const r = this.reconnectOptions;
    const delayMs = backoffDelay(attempt - 1, r.initialDelayMs, r.maxDelayMs);
    this.emit({ type: 'reconnect', attempt, delayMs, reason });
    return delayMs;
  }

  /** After the first successful answer: first-message auth. False when the session ended. */
  private async afterOpen(): Promise<boolean> {
    const first = this.placement?.firstMessage;
    if (first !== undefined) {
      try {
        await this.send(first);
      } catch (err) {
        if (this.signal.aborted) return false;
        this.fatal(new ConnectError(`The first message (the credential) could not be sent to the send URL: ${this.redact(err instanceof Error ? err.message : String(err))}`, 'AUTH_FIRST_MESSAGE'));
        return false;
      }
      if (this.signal.aborted) return false;
    }
    this.opened?.resolve();
    this.opened = undefined;
    return true;
  }

  /** A non-2xx answer: logs it and says how to report it. */
  private statusFailure(a: Answer, connecting: boolean): { reason: string; connectError?: ConnectError; detail: string } {
    const status = `${a.status} ${a.ex.res.statusMessage ?? ''}`.trim();
    const ct = a.ex.res.headers['content-type'];
    const start = this.bodyStart(a.body);
    const detail = `${ct ? `content-type ${ct}; ` : ''}body: ${start}`;
    const refused = a.ex.redirectRefused;
    if (!connecting) {
      this.emit({ type: 'error', requestId: a.ex.requestId, code: refused ? 'REDIRECT_REFUSED' : 'HTTP_STATUS', message: refused ?? `The server answered ${status}.`, detail, fatal: false });
      return { reason: `HTTP ${status}`, detail };
    }
    let ce: ConnectError;
    if (refused) {
      ce = new ConnectError(refused, 'REDIRECT_REFUSED');
    } else if (a.status === 401 || a.status === 403) {
      const hasAuth = this.options.auth !== undefined && this.options.auth.method !== 'none';
      ce = hasAuth
        ? new ConnectError(`The server rejected the credential: ${status}${ct ? ` (${ct})` : ''}: ${start}`, 'AUTH_REJECTED')
        : new ConnectError(`The server wants a credential and this session sends none: ${status}${ct ? ` (${ct})` : ''}: ${start}`, 'AUTH_REQUIRED');
    } else {
      ce = new ConnectError(`The server answered ${status} to the first poll${ct ? ` (${ct})` : ''}: ${start}`, 'HTTP_STATUS');
    }
    return { reason: `HTTP ${status}`, connectError: ce, detail };
  }

  /** The start of a body for an error message: one line, secrets masked, short. */
  private bodyStart(body: Buffer): string {
    if (body.length === 0) return '(empty body)';
    return truncate(oneLine(this.redact(body.toString('utf8', 0, 600)).trim()), 200);
  }

  /** One request, its whole body read, within the time limit; never throws. */
  private async exchange(url: URL, headers: HeaderList): Promise<Attempt> {
    const trace = this.trace;
    trace.reset();
    this.pollController();
    const startT = this.now();
    this.armWatchdog(startT);
    let ex: HttpExchange | undefined;
    const progress: HttpProgress = {};
    try {
      ex = await httpRequest(trace, {
        progress,
        url,
        headers,
        purpose: this.purpose,
        agent: this.agentFor(url),
        insecure: this.options.insecure,
        signal: this.pollAbort!.ctl.signal,
        quietAbort: true,
        redirects: this.options.redirects ?? 'same-origin',
      });
      const body = await readBody(ex.res);
      const endT = this.now();
      ex.finish(this.purpose === 'long-poll' ? { heldMs: span(ex.times.sent, ex.times.headers) } : undefined);
      if (this.signal.aborted) return { kind: 'stopped' };
      return { kind: 'answer', ex, status: ex.res.statusCode ?? 0, body, startT, endT, headerBytes: trace.headerBytes, bodyWireBytes: trace.bodyWireBytes };
    } catch (error) {
      if (this.signal.aborted) return { kind: 'stopped' };
      const endT = this.now();
      if (this.pollExpired) {
        const limit = Math.round(this.requestLimitMs);
        const stall = ex ? `the body did not finish within ${limit} ms` : describeStall(progress.reused ? undefined : progress.dial, limit, progressBytes(progress), 'response');
        return { kind: 'timeout', requestId: trace.requestId, startT, endT, sentT: ex?.times.sent, stall };
      }
      return { kind: 'failed', requestId: trace.requestId, error, startT, endT, inBody: ex !== undefined };
    } finally {
      this.pollDeadline = undefined;
    }
  }

  /**
   * Starts the time limit of the poll that starts now. One timer serves poll after poll: it
   * fires at the earliest deadline it was set for, and when the poll in flight then is a
   * later one it waits again for that poll's deadline (or stops when none is in flight).
   * Setting and clearing a timer for each of thousands of polls answered at once cost more
   * than the rare re-arming.
   */
  private armWatchdog(startT: number): void {
    const limit = this.requestLimitMs;
    this.pollDeadline = startT + limit;
    this.pollExpired = false;
    this.pollTimer ??= setTimeout(this.onWatchdog, limit);
  }

  private readonly onWatchdog = (): void => {
    this.pollTimer = undefined;
    const deadline = this.pollDeadline;
    if (deadline === undefined) return;
    const left = deadline - this.now();
    if (left >= 1) {
      this.pollTimer = setTimeout(this.onWatchdog, Math.ceil(left));
      return;
    }
    this.pollExpired = true;
    this.pollDeadline = undefined;
    this.pollAbort?.ctl.abort();
  };

  /**
   * The controller that aborts the poll in flight, on a timeout or when the session closes.
   * It serves poll after poll until it has been aborted: a new AbortController linked to the
   * session's signal for every poll cost ~9 µs, a tenth of a poll answered at once on
   * loopback (bench/scenarios/polling.ts).
   */
  private pollController(): AbortController {
    const cur = this.pollAbort;
    if (cur && !cur.ctl.signal.aborted) return cur.ctl;
    cur?.unlink();
    const ctl = new AbortController();
    const stop = (): void => ctl.abort();
    this.signal.addEventListener('abort', stop, { once: true });
    this.pollAbort = { ctl, unlink: () => this.signal.removeEventListener('abort', stop) };
    return ctl;
  }
}

/**
 * Short polling: a GET every `intervalMs`, measured from the end of one poll to the start
 * of the next, so a slow server slows polling down instead of piling requests up.
 * Conditional requests (ETag / Last-Modified) and same-body detection show how many
 * polls were useless.
 */
export class ShortPollSession extends PollingSession {
  readonly transport = 'poll' as const;
  protected readonly timeoutIsFailure = true;
  private etag?: string;
  private lastModified?: string;
  /** Only the last body is kept, for the same-body check. */
  private lastBody?: Buffer;

  private get intervalMs(): number {
    return this.options.intervalMs ?? DEFAULTS.intervalMs;
  }
  protected get requestLimitMs(): number {
    return this.options.timeoutMs ?? DEFAULTS.timeoutMs;
  }
  protected get purpose(): 'poll' {
    return 'poll';
  }

  protected override validateOptions(): void {
    const i = this.intervalMs;
    if (!Number.isFinite(i) || i < 0) throw new ConnectError(`The poll interval must be a number of milliseconds ≥ 0, not ${String(i)}.`, 'BAD_OPTION');
  }

  protected optionSummary(): Record<string, string | number | boolean> {
    const o: Record<string, string | number | boolean> = { intervalMs: this.intervalMs, timeoutMs: this.requestLimitMs };
    if (this.options.sendUrl) o.sendUrl = this.redactUrl(this.options.sendUrl);
    return o;
  }

  protected nextRequest(): { url: URL; headers: HeaderList } {
    const p = this.placement!;
    if (this.etag === undefined && this.lastModified === undefined) return { url: p.url, headers: p.headers };
    const headers = [...p.headers];
    if (this.etag !== undefined) headers.push(['If-None-Match', this.etag]);
    if (this.lastModified !== undefined) headers.push(['If-Modified-Since', this.lastModified]);
    return { url: p.url, headers };
  }

  protected readAnswer(a: Answer): Verdict {
    const res = a.ex.res;
    if (a.status === 304) {
      // A 304 may refresh the validators.
      if (typeof res.headers.etag === 'string') this.etag = res.headers.etag;
      if (typeof res.headers['last-modified'] === 'string') this.lastModified = res.headers['last-modified'];
      return { outcome: 'unchanged', reason: '304' };
    }
    // Like a browser cache entry: a fresh 2xx replaces the validators (absent ones too).
    this.etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
    this.lastModified = typeof res.headers['last-modified'] === 'string' ? res.headers['last-modified'] : undefined;
    const body = a.body;
    const prev = this.lastBody;
    this.lastBody = body;
    if (a.status === 204) return { outcome: 'unchanged', reason: '204' };
    if (body.length === 0) return { outcome: 'unchanged', reason: 'empty' };
    if (prev !== undefined && prev.length === body.length && prev.equals(body)) return { outcome: 'unchanged', reason: 'same-body' };
    const binary = !isTextContentType(res.headers['content-type']);
    const text = binary ? '' : body.toString('utf8');
    this.emit({
      type: 'message',
      direction: 'in',
      size: body.length,
      binary,
      ...(binary ? { data: body } : masked(this.maskText(text), text)),
      requestId: a.ex.requestId,
      overheadBytes: a.headerBytes + Math.max(0, a.bodyWireBytes - body.length),
    });
    return { outcome: 'data', reason: 'new' };
  }

  protected pollExtras(): Partial<PollEvent> {
    return {};
  }

  private slowPollNoted = false;

  protected delayAfter(a: Answer): number {
    const took = a.endT - a.startT;
    const interval = this.intervalMs;
    // Said once per session: with a short interval every poll would repeat it. An interval of 0 means "as fast as answers come".
    if (interval > 0 && took > interval && !this.slowPollNoted) {
      this.slowPollNoted = true;
      this.emit({
        type: 'info',
        key: 'slow-poll',
        message: `Poll #${a.ex.requestId} took ${Math.round(took)} ms, longer than the ${interval} ms interval: the next poll still waits ${interval} ms after this one ended (polls never overlap), so polling runs slower than configured. (Said once; every poll's time is in its timing event.)`,
      });
    }
    return interval;
  }

  protected override minFailureDelay(): number {
    return this.intervalMs;
  }
}

/**
 * Long polling: one request held open by the server until it has something (or its hold
 * timeout passes), asked again as soon as the answer is read. Reports how long each
 * request was held and the gap in which no request was waiting at the server.
 */
export class LongPollSession extends PollingSession {
  readonly transport = 'long-poll' as const;
  protected readonly timeoutIsFailure = false;
  private cursor?: string;
  private lastSeq?: number;
  private quickEmpties = 0;
  private lastBody?: Buffer;
  private unheld = 0;
  private warned = new Set<string>();

  protected get requestLimitMs(): number {
    return this.options.holdTimeoutMs ?? DEFAULTS.holdTimeoutMs;
  }
  protected get purpose(): 'long-poll' {
    return 'long-poll';
  }

  protected override validateOptions(): void {
    const h = this.requestLimitMs;
    if (!Number.isFinite(h) || h <= 0) throw new ConnectError(`The hold timeout must be a number of milliseconds > 0, not ${String(h)}.`, 'BAD_OPTION');
    const c = this.options.cursor;
    if (c && ((c.from !== 'json' && c.from !== 'header') || !c.path || !c.param)) {
      throw new ConnectError('The cursor needs `from` ("json" or "header"), a `path` (JSON dot path or header name) and the query `param` to send it in.', 'BAD_OPTION');
    }
  }

  protected optionSummary(): Record<string, string | number | boolean> {
    const o: Record<string, string | number | boolean> = { holdTimeoutMs: this.requestLimitMs };
    const c = this.options.cursor;
    if (c) o.cursor = `${c.from} ${c.path} → ?${c.param}=`;
    if (this.options.sendUrl) o.sendUrl = this.redactUrl(this.options.sendUrl);
    return o;
  }

  protected nextRequest(): { url: URL; headers: HeaderList; cursor?: string } {
    const p = this.placement!;
    const c = this.options.cursor;
    if (!c || this.cursor === undefined) return { url: p.url, headers: p.headers };
    const url = new URL(p.url);
    url.searchParams.set(c.param, this.cursor);
    return { url, headers: p.headers, cursor: this.cursor };
  }

  protected pollExtras(times: ExchangeTimes, cursor: string | undefined): Partial<PollEvent> {
    const { sent, headers } = times;
    return {
      heldMs: sent !== undefined && headers !== undefined ? span(sent, headers) : undefined,
      gapMs: sent !== undefined && this.lastEndT !== undefined ? Math.max(0, span(this.lastEndT, sent)) : undefined,
      cursor: cursor === undefined ? undefined : this.redact(cursor),
    };
  }

  protected delayAfter(a: Answer, v: Verdict): number {
    const quick = a.ex.times.headers - a.ex.times.sent < QUICK_ANSWER_MS;
    this.unheld = quick ? this.unheld + 1 : 0;
    if (this.unheld >= NOT_HELD_HINT_AFTER) {
      this.warnOnce('not-held', `The server answered ${this.unheld} long polls in a row without holding them (< ${QUICK_ANSWER_MS} ms each): it may not hold requests at all (short polling behind a long-poll URL), or messages simply arrive faster than requests go out.`);
    }
    // A server that answers "nothing" without holding would make re-requesting at once a tight
    // loop; so would a URL that is not a long-poll endpoint at all and returns the same page
    // every time (only the last body is kept for this check).
    const prev = this.lastBody;
    this.lastBody = a.body;
    const same = v.outcome === 'data' && prev !== undefined && prev.length === a.body.length && prev.equals(a.body);
    if ((v.outcome === 'unchanged' || same) && quick) this.quickEmpties++;
    else this.quickEmpties = 0;
    if (this.quickEmpties < QUICK_ANSWERS_TOLERATED) return 0;
    return this.emitBackoff(this.quickEmpties - QUICK_ANSWERS_TOLERATED + 1, `the server answered ${this.quickEmpties} long polls in a row with ${same ? 'the same body' : 'nothing'}, without holding them (< ${QUICK_ANSWER_MS} ms): waiting so this does not become a tight loop`);
  }

  protected readAnswer(a: Answer): Verdict {
    const res = a.ex.res;
    const c = this.options.cursor;
    if (c?.from === 'header') {
      const v = res.headers[c.path.toLowerCase()];
      const value = Array.isArray(v) ? v[v.length - 1] : v;
      if (value !== undefined) this.cursor = value;
    }
    if (a.status === 304) return { outcome: 'unchanged', reason: '304' };
    if (a.status === 204) return { outcome: 'unchanged', reason: '204' };
    const body = a.body;
    if (body.length === 0) return { outcome: 'unchanged', reason: 'empty' };
    const ct = res.headers['content-type'];
    const requestId = a.ex.requestId;
    if (!isTextContentType(ct)) {
      this.emit({ type: 'message', direction: 'in', size: body.length, binary: true, data: body, requestId, overheadBytes: a.headerBytes + Math.max(0, a.bodyWireBytes - body.length) });
      return { outcome: 'data', reason: 'new' };
    }
    const text = body.toString('utf8');
    // One parse per answer (not per message): needed to split a batch, read a JSON cursor and seq numbers.
    let parsed: unknown;
    let isJson = false;
    if (isJsonContentType(ct) || c?.from === 'json') {
      try {
        parsed = JSON.parse(text);
        isJson = true;
      } catch {
        if (isJsonContentType(ct)) this.warnOnce('bad-json', `Answer #${requestId} says ${ct} but is not valid JSON; it is shown as text.`);
      }
    }
    if (c?.from === 'json') {
      const v = isJson ? getPathString(parsed, c.path) : undefined;
      if (v !== undefined) this.cursor = v;
      else this.warnOnce('cursor-missing', `No cursor at "${c.path}" in answer #${requestId}${isJson ? '' : ' (not JSON)'}; the next request repeats the previous cursor${this.cursor === undefined ? ' (none yet)' : ''}.`);
    }
    const batch = isJson && parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { messages?: unknown }).messages : undefined;
    if (Array.isArray(batch)) {
      if (batch.length === 0) return { outcome: 'unchanged', reason: 'empty' };
      const texts = new Array<string>(batch.length);
      const sizes = new Array<number>(batch.length);
      let payload = 0;
      for (let i = 0; i < batch.length; i++) {
        texts[i] = JSON.stringify(batch[i]);
        payload += sizes[i] = utf8Length(texts[i]);
      }
      // The HTTP cost and the batch envelope, shared out so the per-message overheads add up to the total.
      const overhead = a.headerBytes + Math.max(0, a.bodyWireBytes - payload);
      const share = Math.floor(overhead / batch.length);
      for (let i = 0; i < batch.length; i++) {
        const el = batch[i];
        this.checkSeq(el, i === 0, requestId);
        this.emit({
          type: 'message',
          direction: 'in',
          size: sizes[i],
          binary: false,
          ...masked(this.maskText(texts[i]), texts[i]),
          requestId,
          overheadBytes: i === 0 ? overhead - share * (batch.length - 1) : share,
          latencyMs: latencyOf(el),
        });
      }
      return { outcome: 'data', reason: 'new' };
    }
    if (isJson) this.checkSeq(parsed, true, requestId);
    this.emit({
      type: 'message',
      direction: 'in',
      size: body.length,
      binary: false,
      ...masked(this.maskText(text), text),
      requestId,
      overheadBytes: a.headerBytes + Math.max(0, a.bodyWireBytes - body.length),
      latencyMs: isJson ? latencyOf(parsed) : undefined,
    });
    return { outcome: 'data', reason: 'new' };
  }

  /**
   * Loss detection from a numeric `seq` (the demo server numbers its messages). Always on,
   * because it costs one property read on an object that was parsed anyway: without a
   * cursor a jump shows messages published while no request was held; with a cursor it
   * shows the server could not resume from it (its buffer was too short).
   */
  private checkSeq(el: unknown, firstOfAnswer: boolean, requestId: number): void {
    if (el === null || typeof el !== 'object') return;
    const seq = (el as { seq?: unknown }).seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return;
    const last = this.lastSeq;
    this.lastSeq = seq;
    if (last === undefined) return;
    if (seq > last + 1) {
      const missed = seq - last - 1;
      const where = firstOfAnswer ? 'between polls' : 'inside one answer';
      this.emit({
        type: 'error',
        requestId,
        code: 'MESSAGES_MISSED',
        fatal: false,
        message: `${missed} ${missed === 1 ? 'message' : 'messages'} missed ${where} (seq jumped from ${last} to ${seq}).`,
        detail: this.options.cursor
          ? `The request carried cursor ${JSON.stringify(this.cursor)}, but the server did not resume from it (its buffer may be too short).`
          : 'The requests carry no cursor: messages published while no request was held are lost. Set a cursor if the server supports one.',
      });
    } else if (seq <= last) {
      this.emit({ type: 'info', key: 'seq-reset', message: `seq went back from ${last} to ${seq} in answer #${requestId}: a repeat, or the server restarted its numbering.` });
    }
  }

  protected override onHoldTimeout(limitMs: number): void {
    this.warnOnce(
      'hold-timeout',
      `No answer within the client's hold timeout (${limitMs} ms): the request was cancelled and sent again. The server may hold requests longer than this client allows (raise holdTimeoutMs), or it never answers.`,
    );
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.emit({ type: 'info', key, message });
  }
}

/** Latency from a server send time in ms since the epoch (`ts`), when the message carries one. */
function latencyOf(el: unknown): number | undefined {
  if (el === null || typeof el !== 'object') return undefined;
  const ts = (el as { ts?: unknown }).ts;
  // Only plausible epoch-millisecond values: seconds or counters would give nonsense.
  if (typeof ts !== 'number' || ts < 1e12 || ts > 1e14) return undefined;
  return Math.max(0, Date.now() - ts);
}

/** The data fields of a text message: what is shown, and whether a secret was masked in it. */
function masked(shown: string, original: string): { data: string; redacted?: true } {
  return shown === original ? { data: shown } : { data: shown, redacted: true };
}
