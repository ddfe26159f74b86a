import { parseArgs } from 'node:util';
import type { InspectorEvent, TransportKind } from '../shared/events';
import { computeHints } from '../shared/hintRules';
import type { ConnectOptions, ProxyOptions } from '../shared/options';
import { hexToBytes, toNdjsonLine } from '../shared/serialize';
import { ConnectError, createSession, type Session } from '../transports/index';
import { probeTransport, withProbeCredential } from '../transports/probe';
import { proxyFromEnv } from '../transports/proxyEnv';
import { UsageError, headersFrom, parseAuth, parseIntOption, parseTransport, transportFromScheme } from './args';
import { formatEvent, formatHints, formatSummary, pickStyle } from './format';
import { loadSavedConnection, parseVars, substituteVars, writeExports } from './recordings';

export const CONNECT_HELP = `Usage: realtime-inspector connect <url> [options]
       realtime-inspector connect --saved NAME [--env ENV] [--var k=v]... [options]

Connects to <url> and logs everything that crosses the wire until --duration,
--max-messages, Ctrl-C, or the server ends the session.

Options:
  --transport poll|long-poll|sse|ws  Transport (default: ws for ws:/wss:, else probed)
  --json                     Write the event stream as NDJSON, one event per line
  --duration SECONDS         Stop after this many seconds
  --max-messages N           Stop after N incoming messages
  --send TEXT                Send TEXT after connecting (repeatable, in order)
  --send-hex HEX             Send binary given as hex (repeatable)
  --send-url URL             Polling/SSE: where --send posts to (HTTP POST)
  --header "Name: value"     Extra request/handshake header (repeatable)
  --auth METHOD:VALUE        query:NAME=TOKEN | bearer:TOKEN | cookie:NAME=VALUE |
                             header:NAME=VALUE | subprotocol:TOKEN |
                             first-message:TEXT | token-url:URL
                             (any TOKEN/VALUE may be env:VAR to read it from the environment)
  --token TOKEN              With first-message: replaces {{token}} in TEXT
  --token-placement P        With token-url: bearer (default), query, cookie, subprotocol, first-message
  --subprotocol P            WebSocket subprotocol to offer (repeatable)
  --interval MS              Short polling interval (default 1000)
  --hold-timeout MS          Long polling: client-side limit per held request (default 60000)
  --timeout MS               Connect/handshake timeout (default 10000)
  --reconnect                Reconnect with backoff after a drop (SSE reconnects by default)
  --follow-redirects P       none | same-origin (default) | all (credentials stripped cross-origin)
  --log-cap N                Events kept in memory (default 100000)
  --log-max-mb N             Memory budget of the log in MiB (default 512): big messages drop old ones
  --insecure                 Accept invalid TLS certificates for this connection
  --proxy URL                HTTP(S) proxy (default: HTTPS_PROXY / HTTP_PROXY, honouring NO_PROXY)
  --no-proxy                 Connect directly even when a proxy is set in the environment
  --show-secrets             Show tokens in the log instead of redacting them
  --ping-every MS            WebSocket: send a ping every MS
  -v, --verbose              Show request and response headers
  --har FILE                 Write the session as HAR 1.2 when it ends (redacted)
  --ndjson FILE              Write the session as NDJSON when it ends (redacted)
  --include-secrets          Keep tokens in --har/--ndjson exports
  --saved NAME               Use a saved connection from the workspace file
  --file PATH                Workspace file (default .vscode/realtime-inspector.json)
  --env NAME                 Environment of the workspace file for {{variables}}
  --var NAME=VALUE           Variable for {{NAME}} in the URL, headers, --send and --auth
                             (repeatable; secret variables may also come from RI_VAR_<NAME>)
  -h, --help                 This help

Exit code 0 on a normal end; 1 with one line on stderr when the connection fails; 2 on a usage error.`;

export interface RunResult {
  code: number;
  session?: Session;
}

export async function runConnect(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process): Promise<RunResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      transport: { type: 'string', short: 't' },
      json: { type: 'boolean' },
      duration: { type: 'string' },
      'max-messages': { type: 'string' },
      send: { type: 'string', multiple: true },
      'send-hex': { type: 'string', multiple: true },
      'send-url': { type: 'string' },
      header: { type: 'string', multiple: true, short: 'H' },
      auth: { type: 'string' },
      token: { type: 'string' },
      'token-placement': { type: 'string' },
      subprotocol: { type: 'string', multiple: true },
      interval: { type: 'string' },
      'hold-timeout': { type: 'string' },
      timeout: { type: 'string' },
      reconnect: { type: 'boolean' },
      'follow-redirects': { type: 'string' },
      'log-cap': { type: 'string' },
      'log-max-mb': { type: 'string' },
      insecure: { type: 'boolean' },
      proxy: { type: 'string' },
      'no-proxy': { type: 'boolean' },
      'show-secrets': { type: 'boolean' },
      'ping-every': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      har: { type: 'string' },
      ndjson: { type: 'string' },
      'include-secrets': { type: 'boolean' },
      saved: { type: 'string' },
      file: { type: 'string' },
      env: { type: 'string' },
      var: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(CONNECT_HELP + '\n');
    return { code: 0 };
  }
  const vars = parseVars(values.var);
  const sub = (text: string) => substituteVars(text, vars);
  const redirects = values['follow-redirects'];
  if (redirects !== undefined && !['none', 'same-origin', 'all'].includes(redirects)) throw new UsageError('--follow-redirects must be none, same-origin or all');
  const durationS = parseIntOption('duration', values.duration);
  const maxMessages = parseIntOption('max-messages', values['max-messages'], 1);
  const pingEvery = parseIntOption('ping-every', values['ping-every'], 1);
  const sends: Array<string | Uint8Array> = (values.send ?? []).map(sub);
  for (const h of values['send-hex'] ?? []) {
    try {
      sends.push(hexToBytes(h));
    } catch (err) {
      throw new UsageError(`--send-hex: ${(err as Error).message}`);
    }
  }
  if (values.proxy !== undefined && values['no-proxy']) throw new UsageError('--proxy and --no-proxy contradict each other');
  if (values.proxy !== undefined) {
    try {
      new URL(values.proxy);
    } catch {
      throw new UsageError(`--proxy: not a valid URL: ${JSON.stringify(values.proxy)}`);
    }
  }
  /** The proxy a connection to `target` takes: --proxy, none with --no-proxy, else HTTPS_PROXY/HTTP_PROXY/NO_PROXY. */
  const proxyFor = (target: string): ProxyOptions | undefined => (values.proxy !== undefined ? { url: values.proxy } : values['no-proxy'] ? undefined : proxyFromEnv(target));
  const st = pickStyle(io.stdout);
  const errSt = pickStyle(io.stderr);
  // Flags given on the command line; for a saved connection they override what the file says.
  const flagOptions: Partial<ConnectOptions> = dropUndefined({
    intervalMs: parseIntOption('interval', values.interval, 1),
    holdTimeoutMs: parseIntOption('hold-timeout', values['hold-timeout'], 1),
    timeoutMs: parseIntOption('timeout', values.timeout, 1),
    logCap: parseIntOption('log-cap', values['log-cap'], 1),
    logMaxBytes: values['log-max-mb'] === undefined ? undefined : (parseIntOption('log-max-mb', values['log-max-mb'], 1) ?? 0) * 1024 * 1024,
    insecure: values.insecure,
    showSecrets: values['show-secrets'],
    redirects: redirects as ConnectOptions['redirects'],
    sendUrl: values['send-url'] === undefined ? undefined : sub(values['send-url']),
    reconnect: values.reconnect ? { enabled: true } : undefined,
  });

  let options: ConnectOptions;
  if (values.saved) {
    if (positionals.length) throw new UsageError('--saved takes no URL: the saved connection has one');
    options = await loadSavedConnection(values.saved, { file: values.file, env: values.env, vars, overrides: flagOptions });
  } else {
    if (positionals.length !== 1) throw new UsageError('connect needs exactly one URL (or --saved NAME)');
    if (values.env) throw new UsageError('--env goes with --saved NAME (a saved connection); for a URL use --var');
    let url: URL;
    try {
      url = new URL(sub(positionals[0]));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`not a valid URL: ${JSON.stringify(positionals[0])}`);
    }
    if (!/^(https?|wss?):$/.test(url.protocol)) throw new UsageError(`unsupported scheme ${url.protocol} (use http, https, ws or wss)`);
    const headers = headersFrom(values.header?.map(sub));
    // {{token}} in a first-message template is --token's place, not a --var.
    const auth = values.auth ? parseAuth(substituteVars(values.auth, vars, values.token === undefined ? [] : ['token']), { token: values.token === undefined ? undefined : sub(values.token), tokenPlacement: values['token-placement'] }) : undefined;
    let transport: TransportKind | undefined = values.transport ? parseTransport(values.transport) : transportFromScheme(url);
    if ((url.protocol === 'ws:' || url.protocol === 'wss:') && transport && transport !== 'ws') {
      throw new UsageError(`${url.protocol} URLs are WebSocket; use http(s):// for ${transport}`);
    }
    if (transport === 'ws' && /^https?:$/.test(url.protocol)) url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (!transport) {
      const probeReq = withProbeCredential(url.toString(), headers, auth);
      const probe = await probeTransport(probeReq.url, { timeoutMs: 1500, insecure: values.insecure, headers: probeReq.headers, proxy: proxyFor(probeReq.url) });
      if (!values.json) io.stderr.write(errSt.dim(`probe: ${probe.transport} (${probe.reason})`) + '\n');
      transport = probe.transport;
    }
    const chosen: TransportKind = transport;
    options = {
      url: url.toString(),
      transport: chosen,
      headers,
      auth,
      subprotocols: values.subprotocol ?? [],
      ...flagOptions,
      // --var values named like credentials are secrets: redact them wherever they show up.
      redactValues: Object.entries(vars)
        .filter(([k]) => /token|secret|pass|key|auth|cookie|session|jwt/i.test(k))
        .map(([, v]) => v),
    };
  }
  // The flags win; without them a saved connection's own proxy, else the environment.
  options.proxy = values.proxy !== undefined || values['no-proxy'] ? proxyFor(options.url) : (options.proxy ?? proxyFor(options.url));
  const session = createSession(options);
  const write = values.json
    ? (ev: InspectorEvent) => io.stdout.write(toNdjsonLine(ev) + '\n')
    : (ev: InspectorEvent) => io.stdout.write(formatEvent(ev, st, { verbose: values.verbose }) + '\n');
  // Replay what was logged before we subscribed (nothing today, but keeps the contract simple).
  for (const ev of session.log) write(ev);
  session.onEvent(write);

  let incoming = 0;
  let stopReason = '';
  let lastFatal: string | undefined;
  let lastError: string | undefined;
  let opened = false;
  session.onEvent((ev) => {
    if (ev.type === 'error') {
      lastError = ev.message;
      if (ev.fatal) lastFatal = ev.message;
    } else if (ev.type === 'state' && ev.state === 'open') opened = true;
  });
  const stop = (why: string) => {
    if (!stopReason) stopReason = why;
    void session.close(1000, 'client done');
  };
  if (maxMessages !== undefined) {
    session.onEvent((ev) => {
      if (ev.type === 'message' && ev.direction === 'in' && ++incoming >= maxMessages) stop(`received ${maxMessages} messages`);
    });
  }
  const onSigint = () => stop('interrupted');
  process.once('SIGINT', onSigint);
  let timer: NodeJS.Timeout | undefined;
  let pinger: NodeJS.Timeout | undefined;
  // Started before connecting: --duration bounds the whole run, a connect that keeps retrying included.
  if (durationS !== undefined) timer = setTimeout(() => stop(`ran for ${durationS} s`), durationS * 1000);
  try {
    try {
      await session.connect();
    } catch (err) {
      // --max-messages can be reached by the very first answer (a long poll), before open:
      // that is a normal end, not a failure.
      if (!stopReason) {
        const msg = err instanceof ConnectError || err instanceof Error ? err.message : String(err);
        io.stderr.write(errSt.red(`error: ${session.redact(msg)}`) + '\n');
        await session.close();
        writeExports(session, { har: values.har, ndjson: values.ndjson, includeSecrets: values['include-secrets'] }, { stderr: io.stderr });
        return { code: 1, session };
      }
    }
    for (const data of sends) {
      if (stopReason) break;
      try {
        await session.send(data, { binary: typeof data !== 'string' });
      } catch (err) {
        io.stderr.write(errSt.red(`send failed: ${session.redact((err as Error).message)}`) + '\n');
      }
    }
    if (pingEvery && !stopReason && 'ping' in session && typeof (session as { ping?: unknown }).ping === 'function') {
      const pingable = session as unknown as { ping(): void };
      // Only while open: a ping during closing or a reconnect would throw.
      pinger = setInterval(() => {
        if (session.state !== 'open') return;
        try {
          pingable.ping();
        } catch (err) {
          io.stderr.write(errSt.red(`ping failed: ${session.redact((err as Error).message)}`) + '\n');
        }
      }, pingEvery);
    }
    await session.closed;
  } finally {
    if (timer) clearTimeout(timer);
    if (pinger) clearInterval(pinger);
    process.removeListener('SIGINT', onSigint);
  }
  if (!values.json) {
    io.stdout.write('\n' + formatSummary(session.stats, session.log.dropped, st) + '\n');
    const hints = computeHints({ stats: session.stats, options, events: session.log });
    io.stdout.write('\n' + formatHints(hints, st) + '\n');
    if (stopReason) io.stdout.write(st.dim(`Stopped: ${stopReason}.`) + '\n');
  }
  writeExports(session, { har: values.har, ndjson: values.ndjson, includeSecrets: values['include-secrets'] }, io);
  // Stopped by --duration or Ctrl-C while still trying to connect: that is a failure to connect.
  if (!opened && stopReason && !stopReason.startsWith('received')) {
    io.stderr.write(errSt.red(`error: never connected (${stopReason})${lastError ? `: ${lastError}` : ''}`) + '\n');
    return { code: 1, session };
  }
  if (!stopReason && lastFatal) {
    io.stderr.write(errSt.red(`error: ${lastFatal}`) + '\n');
    return { code: 1, session };
  }
  return { code: 0, session };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
