/**
 * Guesses which transport an http(s) endpoint speaks from one GET:
 * - `Content-Type: text/event-stream` → SSE;
 * - 426 Upgrade Required or `Upgrade: websocket` → WebSocket;
 * - no response headers within `timeoutMs` (default 1.5 s) → the server holds requests: long polling;
 * - an immediate answer carrying a cursor header → long polling;
 * - any other immediate answer → short polling.
 * ws:/wss: URLs need no probe: they are WebSocket.
 *
 * Plain Node (no vscode): the CLI's `probe` command and the extension's "New Connection" share it.
 */
import type { EventInit, HeaderList, InspectorEvent, TransportKind } from '../shared/events';
import { DEFAULTS, type AuthConfig, type ConnectOptions, type ProxyOptions } from '../shared/options';
import { monotonic } from './clock';
import { describeNetworkError } from './errors';
import { headerValue, httpRequest, type TimeoutError } from './http';
import { Redactor, isCredentialHeader, redactUrl } from './redact';
import { registerProxySecrets, type EventSink } from './session';

export interface ProbeOptions {
  /** How long to wait for response headers before calling it long polling. Default 1500 ms. */
  timeoutMs?: number;
  headers?: HeaderList;
  insecure?: boolean;
  /** The connection's proxy and extra CA: the probe goes the way the session will. */
  proxy?: ProxyOptions;
  ca?: string | string[];
  signal?: AbortSignal;
  /** Sees the probe's own request/response/error events (redacted), e.g. for a log. */
  onEvent?: (ev: InspectorEvent) => void;
}

export interface ProbeResult {
  transport: TransportKind;
  /** One sentence saying what the server did. */
  reason: string;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 1500;

/** Prefers SSE when the endpoint negotiates; anything else is still accepted. */
const PROBE_ACCEPT = 'text/event-stream, application/json;q=0.9, */*;q=0.8';

/** Response headers long-polling APIs use to hand out the next cursor. */
const CURSOR_HEADERS = ['x-cursor', 'x-next-cursor', 'x-poll-cursor'];

export async function probeTransport(url: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new Error(`Not a valid URL: ${JSON.stringify(url)}.`);
  }
  if (target.protocol === 'ws:' || target.protocol === 'wss:') return { transport: 'ws', reason: `${target.protocol} is a WebSocket URL.` };
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new Error(`Cannot probe a ${target.protocol} URL: use http:, https:, ws: or wss:.`);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error(`The probe timeout must be a positive number of milliseconds, got ${timeoutMs}.`);

  // No agent: httpRequest dials one connection (proxy, CA, TLS checks as the session would) that no pool keeps.
  const sink = new ProbeSink(opts.onEvent, { insecure: opts.insecure, ca: opts.ca, proxy: opts.proxy, timeoutMs: Math.max(timeoutMs, DEFAULTS.timeoutMs) });
  registerProxySecrets(sink.redactor, opts.proxy?.url);
  const headers: HeaderList = [...(opts.headers ?? [])];
  for (const [k, v] of headers) if (isCredentialHeader(k)) sink.redactor.add(v.replace(/^\w+\s+/, ''));
  if (!headerValue(headers, 'accept')) headers.push(['Accept', PROBE_ACCEPT]);

  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const shown = sink.redactUrl(target.toString());
  try {
    if (opts.signal?.aborted) throw new Error('Probe cancelled.');
    const started = monotonic();
    let ex;
    try {
      ex = await httpRequest(sink, { url: target, method: 'GET', headers, purpose: 'probe', insecure: opts.insecure, headersTimeoutMs: timeoutMs, signal: abort.signal, redirects: 'same-origin' });
    } catch (err) {
      const timeout = (err as TimeoutError).code === 'TIMEOUT' ? (err as TimeoutError) : undefined;
      // Only a server that accepted the request and holds it is long polling; a connection that never opened says nothing.
      if (timeout?.phase === 'response') {
        return { transport: 'long-poll', reason: `No response headers within ${fmtMs(timeoutMs)}: the server holds the request open, as long polling does.` };
      }
      if (opts.signal?.aborted) throw new Error('Probe cancelled.');
      throw new Error(sink.redact(describeNetworkError(err, shown)));
    }
    const ms = monotonic() - started;
    const res = ex.res;
    // The body is not needed (an SSE stream would never end): drop the socket now.
    res.destroy();
    const status = res.statusCode ?? 0;
    const statusText = `${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
    const contentType = String(res.headers['content-type'] ?? '');
    const upgrade = String(res.headers.upgrade ?? '');
    if (/^\s*text\/event-stream\b/i.test(contentType)) {
      return { transport: 'sse', reason: `Answered ${statusText} with Content-Type: text/event-stream: a Server-Sent Events stream.` };
    }
    if (status === 426 || /\bwebsocket\b/i.test(upgrade)) {
      return { transport: 'ws', reason: `Answered ${statusText}${upgrade ? ` with Upgrade: ${upgrade}` : ''}: a WebSocket endpoint (use the ws: or wss: URL).` };
    }
    const cursorHeader = CURSOR_HEADERS.find((h) => res.headers[h] !== undefined);
    if (cursorHeader) {
      return { transport: 'long-poll', reason: `Answered ${statusText} after ${fmtMs(ms)} with a ${cursorHeader} header: a cursor for the next request, as long-polling APIs hand out.` };
    }
    const authNote = status === 401 || status === 403 ? ' (it wants credentials, so this is a guess from an error answer)' : status >= 400 ? ' (an error answer, so this is a guess)' : '';
    return { transport: 'poll', reason: `Answered ${statusText} after ${fmtMs(ms)}${contentType ? ` with ${contentType.split(';')[0]}` : ''}: it answers at once, so short polling${authNote}.` };
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    abort.abort();
  }
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The probe records its exchange like a session would, so the usual HTTP helper can be reused. */
class ProbeSink implements EventSink {
  readonly redactor = new Redactor(false);
  private readonly t0 = monotonic();
  private seq = 0;
  private requestSeq = 0;

  constructor(
    private readonly onEvent: ((ev: InspectorEvent) => void) | undefined,
    readonly options: Pick<ConnectOptions, 'insecure' | 'ca' | 'proxy' | 'timeoutMs'>,
  ) {}

  now(): number {
    return monotonic() - this.t0;
  }
  emit(init: EventInit): InspectorEvent {
    const ev = init as InspectorEvent;
    ev.seq = this.seq++;
    ev.t = this.now();
    try {
      this.onEvent?.(ev);
    } catch {
      // An observer's failure must not change the probe's answer.
    }
    return ev;
  }
  nextRequestId(): number {
    return ++this.requestSeq;
  }
  redact(text: string): string {
    return this.redactor.redact(text);
  }
  redactUrl(url: string): string {
    return redactUrl(url, this.redactor);
  }
  redactHeaders(headers: HeaderList): HeaderList {
    return this.redactor.redactHeaders(headers);
  }
  isCredentialHeader(name: string): boolean {
    return isCredentialHeader(name);
  }
}

/**
 * The probe must carry the connection's credential (a protected endpoint answers 401 to a
 * bare GET, which would be taken for polling). Header, cookie and query carriers are added;
 * the others (subprotocol, first message, token endpoint) cannot travel on a probe.
 */
export function withProbeCredential(url: string, headers: HeaderList, auth: AuthConfig | undefined): { url: string; headers: HeaderList } {
  const out: HeaderList = [...headers];
  let target = url;
  switch (auth?.method) {
    case 'bearer':
      out.push(['Authorization', `Bearer ${auth.token}`]);
      break;
    case 'cookie':
      out.push(['Cookie', `${auth.name}=${auth.value}`]);
      break;
    case 'header':
      out.push([auth.name, auth.value]);
      break;
    case 'query':
      try {
        const u = new URL(url);
        u.searchParams.set(auth.param, auth.token);
        target = u.toString();
      } catch {
        // probeTransport reports the bad URL.
      }
      break;
    default:
      break;
  }
  return { url: target, headers: out };
}
