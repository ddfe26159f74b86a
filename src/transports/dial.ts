import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { TlsCertificate } from '../shared/events';
import type { ProxyOptions } from '../shared/options';
import { bypassesProxy } from './proxyEnv';
import type { EventSink } from './session';

/**
 * Opens the socket of one HTTP exchange or WebSocket handshake: directly, or through an
 * HTTP(S) proxy's CONNECT tunnel; then TLS when the target is https/wss. Used as node:http's
 * `createConnection` (callback form) by the HTTP helper, the session agents and ws, so all
 * four transports connect the same way.
 *
 * TLS is verified here rather than by Node's `rejectUnauthorized`: Node destroys a refused
 * socket before anyone can read its certificate, and an inspector must show which
 * certificate was refused and why. The socket is handed to HTTP only after verification, so
 * no byte of the request (and no credential) is written to a server that was refused.
 *
 * Every connection is tunnelled, plain http/ws included (not sent to the proxy as an
 * absolute-form request): the origin then sees exactly the request this client wrote, with no
 * proxy rewriting headers or dropping `Upgrade`, and a streamed answer (SSE, long poll) is
 * relayed byte for byte instead of being buffered by a proxy that parses HTTP.
 */

export interface DialSettings {
  /** Accept an invalid certificate (logged as an `info` event for each connection). */
  insecure?: boolean;
  ca?: string | string[];
  proxy?: ProxyOptions;
  /** Safety limit for the proxy and TLS phases, so a silent proxy cannot leave a socket behind. */
  timeoutMs?: number;
  /** Gives up a dial still in progress (its sockets closed, the callback told ABORTED). */
  signal?: AbortSignal;
}

export interface DialTarget {
  /** Host name or IP, without brackets. */
  host: string;
  port: number;
  secure: boolean;
}

/** Session-clock milestones of one new connection; filled in as they happen. */
export interface DialTrace {
  start: number;
  dns?: number;
  tcp?: number;
  /** CONNECT answered, tunnel open. */
  proxy?: number;
  tls?: number;
  /** The proxy that carried the connection (URL with credentials redacted). */
  via?: string;
  secure: boolean;
  /** host:port of the target. */
  authority: string;
}

/** A failure while connecting: proxy refusal, certificate refusal, timeout. `message` is one sentence without the target URL. */
export class DialError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly tls?: TlsCertificate,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'DialError';
  }
}

const PROXY_HEAD_LIMIT = 16 * 1024;
/** As http.ts's USER_AGENT (not imported from there: http.ts imports this module). */
const USER_AGENT = 'realtime-inspector/0.1';
const traces = new WeakMap<object, DialTrace>();

/** The trace of a socket opened by dial(), if it was. */
export function dialTraceOf(socket: object | null | undefined): DialTrace | undefined {
  return socket ? traces.get(socket) : undefined;
}

export function authorityOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

type DialCallback = (err: Error | null, socket?: net.Socket) => void;

/**
 * Opens a connection and calls `done` once it can carry a request: at once for plain TCP
 * (Node queues the request until connected), after the tunnel and the verified TLS handshake
 * otherwise. Returns the trace, filled in as the connection progresses.
 */
export function dial(sink: EventSink, target: DialTarget, settings: DialSettings, done: DialCallback): DialTrace {
  const { host, port, secure } = target;
  const authority = authorityOf(host, port);
  const trace: DialTrace = { start: sink.now(), secure, authority };
  const opened: net.Socket[] = [];
  const wrapped = new WeakSet<net.Socket>();
  let settled = false;
  let timer: NodeJS.Timeout | undefined;

  const onAbort = (): void => finish(new DialError('The connection attempt was cancelled.', 'ABORTED'));
  const finish = (err: Error | null, s?: net.Socket): void => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    settings.signal?.removeEventListener('abort', onAbort);
    if (err || !s) {
      // A socket wrapped by TLS (the proxy tunnel) is closed by its TLS socket: destroying both
      // closed the same handle twice, which crashed Node at exit (SIGSEGV) after a refused
      // certificate behind a proxy.
      for (const o of opened) if (!wrapped.has(o)) o.destroy();
      done(err ?? new DialError('The connection could not be opened.', 'DIAL_FAILED'));
      return;
    }
    traces.set(s, trace);
    done(null, s);
  };

  let proxyUrl: URL | undefined;
  if (settings.proxy && !bypassesProxy({ hostname: host, port }, settings.proxy.noProxy)) {
    try {
      proxyUrl = new URL(settings.proxy.url);
    } catch {
      finish(new DialError(`The proxy URL is not valid: ${JSON.stringify(sink.redactUrl(settings.proxy.url))}.`, 'PROXY_BAD_URL'));
      return trace;
    }
    if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
      finish(new DialError(`Only http:// and https:// proxies are supported, not ${proxyUrl.protocol} (${sink.redactUrl(settings.proxy.url)}).`, 'PROXY_BAD_URL'));
      return trace;
    }
    const creds = proxyUrl.username || proxyUrl.password ? `${proxyUrl.username}:${proxyUrl.password}@` : '';
    trace.via = sink.redactUrl(`${proxyUrl.protocol}//${creds}${proxyUrl.host}`);
  }

  if (settings.signal?.aborted) {
    onAbort();
    return trace;
  }
  settings.signal?.addEventListener('abort', onAbort, { once: true });
  const timeoutMs = settings.timeoutMs ?? 0;
  if (timeoutMs > 0 && (proxyUrl || secure)) {
    timer = setTimeout(() => finish(new DialError(`Timed out: ${describeStall(trace, timeoutMs, 0)}`, 'TIMEOUT')), timeoutMs);
  }

  const watchTcp = (s: net.Socket): void => {
    s.once('lookup', () => (trace.dns = sink.now()));
    s.once('connect', () => (trace.tcp = sink.now()));
  };

  const startTls = (under?: net.Socket): void => {
    const opts: tls.ConnectionOptions = {
      // Also with a tunnel: `host` is what the certificate is checked against.
      host,
      port,
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    };
    const ca = caList(settings.ca);
    if (ca) opts.ca = ca;
    if (under) {
      opts.socket = under;
      wrapped.add(under);
    }
    const t = tls.connect(opts);
    opened.push(t);
    if (!under) watchTcp(t);
    t.on('error', (e) => finish(e));
    t.once('secureConnect', () => {
      trace.tls = sink.now();
      if (t.authorized) return finish(null, t);
      const code = String(t.authorizationError ?? 'CERT_INVALID');
      const cert = describeCertificate(t.getPeerCertificate(true), code, host);
      if (settings.insecure) {
        sink.emit({ type: 'info', key: 'tls-insecure', message: `Accepting an invalid certificate for this connection: ${cert.reason} (${authority}, SHA-256 ${cert.fingerprint256}).`, tls: cert });
        return finish(null, t);
      }
      finish(new DialError(`TLS certificate refused: ${cert.reason}`, code, cert, formatCertificate(cert)));
    });
  };

  if (!proxyUrl) {
    if (secure) {
      startTls();
      return trace;
    }
    const s = net.connect({ host, port });
    watchTcp(s);
    finish(null, s);
    if (timeoutMs > 0) {
      // node:http queues the request until the socket connects: without a limit, a host that
      // drops SYNs would hold it for the OS's connect timeout (about two minutes on Linux).
      const limit = setTimeout(() => {
        if (s.connecting) s.destroy(new DialError(`Timed out: could not connect to ${authority} within ${timeoutMs} ms`, 'TIMEOUT'));
      }, timeoutMs);
      const clear = (): void => clearTimeout(limit);
      s.once('connect', clear);
      s.once('close', clear);
    }
    return trace;
  }

  // Through the proxy: TCP (or TLS) to the proxy, CONNECT, then the target's TLS inside the tunnel.
  const via = trace.via!;
  const proxyHost = stripBrackets(proxyUrl.hostname);
  const proxyPort = Number(proxyUrl.port) || (proxyUrl.protocol === 'https:' ? 443 : 80);
  let ps: net.Socket;
  if (proxyUrl.protocol === 'https:') {
    const ca = caList(settings.ca);
    ps = tls.connect({ host: proxyHost, port: proxyPort, servername: net.isIP(proxyHost) ? undefined : proxyHost, rejectUnauthorized: !settings.insecure, ...(ca ? { ca } : {}) });
  } else {
    ps = net.connect({ host: proxyHost, port: proxyPort });
  }
  opened.push(ps);
  watchTcp(ps);
  let tunnelOpen = false;
  ps.on('error', (e: NodeJS.ErrnoException) => {
    if (tunnelOpen) return;
    if (trace.tcp === undefined) finish(new DialError(`Could not reach the proxy ${via}: ${proxyNetWords(e)}.`, 'PROXY_UNREACHABLE'));
    else finish(new DialError(`The connection to the proxy ${via} failed before the tunnel to ${authority} opened: ${sink.redact(e.message)}.`, 'PROXY_FAILED'));
  });
  ps.once('close', () => {
    if (!tunnelOpen) finish(new DialError(`The proxy ${via} closed the connection without answering the CONNECT request for ${authority}.`, 'PROXY_CLOSED'));
  });

  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nUser-Agent: ${USER_AGENT}\r\n`;
  if (proxyUrl.username || proxyUrl.password) {
    const basic = Buffer.from(`${safeDecode(proxyUrl.username)}:${safeDecode(proxyUrl.password)}`).toString('base64');
    // The encoded form would otherwise survive redaction of the password.
    sink.redactor.add(basic);
    head += `Proxy-Authorization: Basic ${basic}\r\n`;
  }
  head += '\r\n';
  let sentAt = trace.start;
  const write = (): void => {
    sentAt = sink.now();
    ps.write(head);
  };
  if (proxyUrl.protocol === 'https:') ps.once('secureConnect', write);
  else ps.once('connect', write);

  // Read with 'readable' rather than 'data': removing the listener then leaves the socket
  // neither flowing nor paused, so the HTTP client that gets it next receives every byte.
  let buf: Buffer = Buffer.alloc(0);
  const onReadable = (): void => {
    let chunk: Buffer | null;
    let end = -1;
    while (end < 0 && (chunk = ps.read() as Buffer | null) !== null) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      end = buf.indexOf('\r\n\r\n');
    }
    if (end < 0) {
      if (buf.length > PROXY_HEAD_LIMIT) finish(new DialError(`The proxy ${via} sent an answer to CONNECT larger than 16 KiB without ending its headers.`, 'PROXY_BAD_RESPONSE'));
      return;
    }
    ps.removeListener('readable', onReadable);
    const headText = buf.subarray(0, end).toString('latin1');
    const rest = buf.subarray(end + 4);
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: ([^\r\n]*))?/.exec(headText);
    if (!m) {
      finish(new DialError(`The proxy ${via} did not answer CONNECT with HTTP: ${JSON.stringify(sink.redact(headText.slice(0, 80)))}.`, 'PROXY_BAD_RESPONSE'));
      return;
    }
    const status = Number(m[1]);
    const statusLine = `${status}${m[2] ? ' ' + m[2] : ''}`;
    if (status < 200 || status > 299) {
      const body = rest.length ? oneLineStart(sink.redact(rest.toString('utf8', 0, 400))) : '';
      const detail = `proxy answer: ${sink.redact(headText)}${body ? `\n\nbody starts: ${body}` : ''}`;
      // 407 is the standard answer; some proxies (tinyproxy) answer 401 to wrong credentials.
      if (status === 407 || status === 401) {
        const hasCreds = !!(proxyUrl!.username || proxyUrl!.password);
        finish(
          new DialError(
            hasCreds
              ? `The proxy ${via} refused the user name and password in the proxy URL (${statusLine}).`
              : `The proxy ${via} wants credentials (${statusLine}): put user:password in the proxy URL.`,
            'PROXY_AUTH',
            undefined,
            detail,
          ),
        );
        return;
      }
      const hint = status === 403 && port !== 443 ? ` (many proxies only allow CONNECT to port 443; this inspector tunnels every connection, plain http and ws included, so the proxy must allow port ${port})` : '';
      finish(new DialError(`The proxy ${via} refused to open a tunnel to ${authority}: ${statusLine}${hint}.`, 'PROXY_REFUSED', undefined, detail));
      return;
    }
    tunnelOpen = true;
    trace.proxy = sink.now();
    if (rest.length) ps.unshift(rest);
    sink.emit({
      type: 'info',
      key: 'proxy',
      message: `Proxy ${via} carried the connection to ${authority}: CONNECT answered ${statusLine} in ${formatMs(trace.proxy - sentAt)} (TCP to the proxy ${formatMs((trace.tcp ?? trace.start) - (trace.dns ?? trace.start))}).`,
    });
    if (secure) startTls(ps);
    else finish(null, ps);
  };
  ps.on('readable', onReadable);
  return trace;
}

/** node:http `createConnection` (callback form) for a target. */
export function dialConnector(sink: EventSink, secure: boolean, settings: DialSettings, onDial?: (trace: DialTrace) => void): (opts: http.ClientRequestArgs, cb: (err: Error | null, socket?: Duplex) => void) => undefined {
  return (opts, cb) => {
    const host = stripBrackets(String(opts.hostname ?? opts.host ?? 'localhost'));
    const port = Number(opts.port) || (secure ? 443 : 80);
    // As node:http's own agents (noDelay defaults to true since Node 18): without it a request
    // written in two pieces can wait for the server's delayed ACK.
    const noDelay = (opts as { noDelay?: boolean }).noDelay !== false;
    const trace = dial(sink, { host, port, secure }, settings, (err, socket) => {
      if (socket && noDelay) socket.setNoDelay(true);
      cb(err, socket);
    });
    onDial?.(trace);
    return undefined;
  };
}

/** A keep-alive agent whose sockets come from dial(): one per session and protocol. */
export function createDialAgent(sink: EventSink, protocol: 'http:' | 'https:', settings: DialSettings): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  // node:http checks the agent's protocol against the URL's; TLS happens inside dial().
  (agent as unknown as { protocol: string }).protocol = protocol;
  const connect = dialConnector(sink, protocol === 'https:', settings);
  (agent as unknown as { createConnection: typeof connect }).createConnection = connect;
  dialAgents.add(agent);
  return agent;
}

const dialAgents = new WeakSet<http.Agent>();
export function isDialAgent(agent: http.Agent | undefined): boolean {
  return !!agent && dialAgents.has(agent);
}
export function agentProtocol(agent: http.Agent): string | undefined {
  return (agent as unknown as { protocol?: string }).protocol;
}

/** Why a connection attempt is still not answered after `ms`, as a lower-case phrase: which step it is stuck in. */
/** Which step a connection that timed out was stuck in (the same reading as describeStall). */
export function stallPhase(trace: DialTrace | undefined, connected: boolean): 'connect' | 'proxy' | 'tls' | 'response' {
  if (!trace) return connected ? 'response' : 'connect';
  if (trace.tcp === undefined) return 'connect';
  if (trace.via && trace.proxy === undefined) return 'proxy';
  if (trace.secure && trace.tls === undefined) return 'tls';
  return 'response';
}

export function describeStall(trace: DialTrace | undefined, ms: number, bytesRead: number, what = 'answer'): string {
  if (!trace) return bytesRead > 0 ? `only ${bytesRead} bytes of the ${what} arrived within ${ms} ms (the server answers too slowly)` : `no ${what} within ${ms} ms`;
  const a = trace.authority;
  if (trace.via && trace.tcp === undefined) return `could not connect to the proxy ${trace.via} within ${ms} ms`;
  if (trace.via && trace.proxy === undefined) return `the proxy ${trace.via} did not open a tunnel to ${a} within ${ms} ms`;
  if (trace.tcp === undefined) return `could not connect to ${a} within ${ms} ms`;
  if (trace.secure && trace.tls === undefined) return `the TLS handshake with ${a} did not finish within ${ms} ms`;
  if (bytesRead > 0) return `only ${bytesRead} bytes of the ${what} from ${a} arrived within ${ms} ms (the server answers too slowly)`;
  return `no ${what} from ${a} within ${ms} ms: it accepted the connection but never responded`;
}

// ------------------------------------------------------------------------------------------
// Certificates

export function describeCertificate(c: tls.PeerCertificate, code: string, host: string): TlsCertificate {
  const subject = distinguishedName(c.subject);
  const issuer = distinguishedName(c.issuer);
  const selfSigned = subject === issuer;
  const validFrom = isoDate(c.valid_from);
  const validTo = isoDate(c.valid_to);
  const names = c.subjectaltname || (c.subject?.CN ? `CN=${String(c.subject.CN)}` : '(none)');
  let words: string;
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      words = 'the certificate is self-signed (it is not issued by an authority this machine trusts)';
      break;
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      words = `the chain ends in a self-signed root ("${issuer}") this machine does not trust`;
      break;
    case 'CERT_HAS_EXPIRED':
      words = `the certificate expired on ${validTo}`;
      break;
    case 'CERT_NOT_YET_VALID':
      words = `the certificate is not valid before ${validFrom}`;
      break;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      words = `the certificate is for ${names}, not for ${host}`;
      break;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      words = `the certificate was issued by "${issuer}", an authority this machine does not trust (or the server did not send the intermediate certificate)`;
      break;
    default:
      words = `the certificate did not verify`;
  }
  return {
    subject,
    issuer,
    validFrom,
    validTo,
    fingerprint256: c.fingerprint256 ?? '',
    altNames: c.subjectaltname || undefined,
    selfSigned,
    code,
    reason: `${words} [${code}]`,
  };
}

/** The certificate in a few lines, for an error's `detail`. */
export function formatCertificate(c: TlsCertificate): string {
  return [
    `reason: ${c.reason}`,
    `subject: ${c.subject}`,
    `issuer: ${c.issuer}${c.selfSigned ? ' (self-signed)' : ''}`,
    `valid: ${c.validFrom} to ${c.validTo}`,
    `SHA-256 fingerprint: ${c.fingerprint256}`,
    ...(c.altNames ? [`names: ${c.altNames}`] : []),
  ].join('\n');
}

const DN_ORDER = ['CN', 'OU', 'O', 'L', 'ST', 'C'];

function distinguishedName(dn: tls.Certificate | undefined): string {
  if (!dn) return '(none)';
  const rec = dn as unknown as Record<string, string | string[] | undefined>;
  const keys = [...DN_ORDER.filter((k) => rec[k] !== undefined), ...Object.keys(rec).filter((k) => !DN_ORDER.includes(k))];
  return keys.map((k) => `${k}=${Array.isArray(rec[k]) ? (rec[k] as string[]).join('+') : String(rec[k])}`).join(', ') || '(empty)';
}

function isoDate(s: string | undefined): string {
  const d = s ? new Date(s) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : (s ?? '?');
}

function caList(ca: string | string[] | undefined): string[] | undefined {
  if (!ca || (Array.isArray(ca) && ca.length === 0)) return undefined;
  // Added to the bundled roots, not instead of them.
  return [...tls.rootCertificates, ...(Array.isArray(ca) ? ca : [ca])];
}

// ------------------------------------------------------------------------------------------

function proxyNetWords(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing is listening there: is the proxy running?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ECONNRESET':
      return 'it closed the connection abruptly';
    default:
      return `${e.message}${e.code ? ` [${e.code}]` : ''}`;
  }
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function oneLineStart(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? t.slice(0, 199) + '…' : t;
}

function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}
