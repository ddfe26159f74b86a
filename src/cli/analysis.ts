import { parseArgs } from 'node:util';
import { formatAuthMatrix, runAuthMatrix } from '../analysis/authMatrix';
import { formatComparisonTable, runComparison } from '../analysis/compare';
import { startDemoServer, type DemoServer } from '../demo/server';
import type { TransportKind } from '../shared/events';
import { UsageError, headersFrom, parseIntOption, parseTransport, resolveSecret, transportFromScheme } from './args';
import { pickStyle } from './format';

export const AUTH_MATRIX_HELP = `Usage: realtime-inspector auth-matrix <url> --token T [options]
       realtime-inspector auth-matrix --demo [--transport T]

Tries every placement of the token the transport allows — query parameter, bearer header,
cookie, Sec-WebSocket-Protocol (WebSocket), first message (WebSocket, or HTTP with --send-url),
a short-lived token from --token-url — plus a no-credential control row, and reports for each:
accepted or rejected, how the server said so (status, close code, first answer), the time
to the verdict, and the risk of that placement.

<url> may contain {method}, replaced by the placement name (e.g. .../auth/{method}/ws).

Options:
  --transport poll|long-poll|sse|ws   Default: ws for ws:/wss:, else sse
  --token T             The credential (env:VAR reads it from the environment)
  --token-url URL       Token endpoint for the short-lived token row
  --send-url URL        HTTP transports: where a first message goes
  --query-param NAME    Default access_token
  --cookie-name NAME    Default session
  --header "N: v"       Extra header on every row (repeatable)
  --timeout MS          Per row (default 5000)
  --demo                Run against the embedded demo server's auth endpoints
  --insecure            Accept invalid TLS certificates
  --json                Rows as JSON
  -h, --help            This help`;

export const COMPARE_HELP = `Usage: realtime-inspector compare [--poll URL] [--long-poll URL] [--sse URL] [--ws URL] [options]

Runs several transports for the same time against the same message source and shows side
by side: messages delivered and missed, latency p50/p95/p99 from the server's send time,
requests made and useless, bytes on the wire per message, reconnects and gaps, connections.
Without URLs it runs all four against the embedded demo server.

Options:
  --seconds N        How long each transport runs (default 5)
  --interval MS      Short polling interval (default 1000)
  --send-url URL     Also send one message a second (HTTP transports POST here)
  --rate N           Demo server ticks per second (default 5; demo only)
  --sequential       One transport after another instead of all at once
  --json             The result as JSON
  -h, --help         This help`;

export async function runAuthMatrixCommand(argv: string[]): Promise<{ code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      transport: { type: 'string', short: 't' },
      token: { type: 'string' },
      'token-url': { type: 'string' },
      'send-url': { type: 'string' },
      'query-param': { type: 'string' },
      'cookie-name': { type: 'string' },
      header: { type: 'string', multiple: true, short: 'H' },
      timeout: { type: 'string' },
      demo: { type: 'boolean' },
      insecure: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(AUTH_MATRIX_HELP + '\n');
    return { code: 0 };
  }
  let demo: DemoServer | undefined;
  try {
    let url: string;
    let transport: TransportKind;
    let token = values.token ? resolveSecret(values.token) : undefined;
    let tokenUrl = values['token-url'];
    let sendUrl = values['send-url'];
    if (values.demo) {
      if (positionals.length) throw new UsageError('--demo takes no URL');
      demo = await startDemoServer();
      transport = values.transport ? parseTransport(values.transport) : 'ws';
      url = demo.authUrl(transport, 'query').replace('/auth/query/', '/auth/{method}/');
      token ??= demo.demoToken;
      tokenUrl ??= demo.urls.token;
      sendUrl ??= transport === 'ws' ? undefined : demo.urls.send;
    } else {
      if (positionals.length !== 1) throw new UsageError('auth-matrix needs exactly one URL (or --demo)');
      url = positionals[0];
      let parsed: URL;
      try {
        parsed = new URL(url.replace('{method}', 'bearer'));
      } catch {
        throw new UsageError(`not a valid URL: ${JSON.stringify(url)}`);
      }
      transport = values.transport ? parseTransport(values.transport) : (transportFromScheme(parsed) ?? 'sse');
      if (!token && !tokenUrl) throw new UsageError('give --token T and/or --token-url URL');
    }
    const rows = await runAuthMatrix({
      url,
      transport,
      token,
      tokenUrl,
      sendUrl,
      timeoutMs: parseIntOption('timeout', values.timeout, 1) ?? 5000,
      queryParam: values['query-param'],
      cookieName: values['cookie-name'],
      headers: headersFrom(values.header),
      insecure: values.insecure,
    });
    if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else {
      const st = pickStyle(process.stdout);
      process.stdout.write(st.bold(`Auth matrix: ${transport} ${rows[0]?.url ?? url}`) + '\n' + formatAuthMatrix(rows) + '\n');
    }
    return { code: 0 };
  } finally {
    await demo?.close();
  }
}

export async function runCompareCommand(argv: string[]): Promise<{ code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      poll: { type: 'string' },
      'long-poll': { type: 'string' },
      sse: { type: 'string' },
      ws: { type: 'string' },
      seconds: { type: 'string' },
      interval: { type: 'string' },
      'send-url': { type: 'string' },
      rate: { type: 'string' },
      sequential: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(COMPARE_HELP + '\n');
    return { code: 0 };
  }
  if (positionals.length) throw new UsageError(`compare takes URLs as --poll/--long-poll/--sse/--ws, not ${JSON.stringify(positionals[0])}`);
  const urls: Partial<Record<TransportKind, string>> = {};
  for (const k of ['poll', 'long-poll', 'sse', 'ws'] as const) {
    const u = values[k];
    if (u === undefined) continue;
    try {
      new URL(u);
    } catch {
      throw new UsageError(`--${k}: not a valid URL: ${JSON.stringify(u)}`);
    }
    urls[k] = u;
  }
  // Every flag is checked before anything starts.
  const durationMs = (parseIntOption('seconds', values.seconds, 0.1) ?? 5) * 1000;
  const intervalMs = parseIntOption('interval', values.interval, 1) ?? 1000;
  const rate = parseIntOption('rate', values.rate, 0) ?? 5;
  let demo: DemoServer | undefined;
  let sendUrl = values['send-url'];
  try {
    if (Object.keys(urls).length === 0) {
      demo = await startDemoServer({ rate });
      Object.assign(urls, { poll: demo.urls.poll, 'long-poll': demo.urls['long-poll'], sse: demo.urls.sse, ws: demo.urls.ws });
      sendUrl ??= demo.urls.send;
      if (!values.json) process.stderr.write(`comparing all four transports on the embedded demo server ${demo.httpUrl}\n`);
    }
    const result = await runComparison({
      urls,
      durationMs,
      intervalMs,
      sendUrl,
      mode: values.sequential ? 'sequential' : 'concurrent',
    });
    process.stdout.write((values.json ? JSON.stringify(result, null, 2) : formatComparisonTable(result)) + '\n');
    return { code: result.rows.some((r) => r.ok) ? 0 : 1 };
  } finally {
    await demo?.close();
  }
}
