import { parseArgs } from 'node:util';
import { formatComparisonTable, runComparison } from '../analysis/compare';
import { startDemoServer, type DemoServer } from '../demo/server';
import type { TransportKind } from '../shared/events';
import { computeHints } from '../shared/hintRules';
import type { ConnectOptions } from '../shared/options';
import { toJsonEvent } from '../shared/serialize';
import { createSession } from '../transports/index';
import { parseIntOption, parseTransport } from './args';
import { formatEvent, formatHints, formatSummary, pickStyle, type Style } from './format';

export const START_HELP = `Usage: realtime-inspector start [--seconds N] [--transport T]... [--rate N] [--no-compare] [--json]

The terminal tour (what 'npm run tour' runs): starts the embedded demo server on 127.0.0.1, then
inspects it over each transport in turn — short polling, long polling (with a cursor),
SSE (bearer token) and WebSocket (token in the query string, a message sent and echoed) —
printing the live log, a summary and the trade-off hints for each, and finally a side-by-side
comparison of the four transports against the same message source.

Options:
  --seconds N        How long each transport runs (default 3)
  --transport T      Only these transports (repeatable: poll, long-poll, sse, ws)
  --rate N           Demo server ticks per second (default 4)
  --no-compare       Skip the comparison at the end
  --json             NDJSON of every event (each line gets a "session" field) instead of the log
  -h, --help         This help`;

/** The tour's connection for each transport: shows a different auth carrier on each. */
export function tourOptions(demo: DemoServer, transport: TransportKind): { title: string; options: ConnectOptions } {
  switch (transport) {
    case 'poll':
      return { title: 'Short polling, every 500 ms, no auth', options: { transport, url: demo.urls.poll, intervalMs: 500, sendUrl: demo.urls.send } };
    case 'long-poll':
      return {
        title: 'Long polling with a cursor (nothing lost between polls), token in a cookie',
        options: { transport, url: demo.authUrl('long-poll', 'cookie'), auth: { method: 'cookie', name: 'session', value: demo.demoToken }, cursor: { from: 'json', path: 'cursor', param: 'cursor' }, sendUrl: demo.urls.send },
      };
    case 'sse':
      return { title: 'Server-Sent Events, bearer token', options: { transport, url: demo.authUrl('sse', 'bearer'), auth: { method: 'bearer', token: demo.demoToken }, sendUrl: demo.urls.send } };
    case 'ws':
      return { title: 'WebSocket, token in the query string, one message sent and echoed', options: { transport, url: demo.authUrl('ws', 'query'), auth: { method: 'query', param: 'access_token', token: demo.demoToken } } };
  }
}

export async function runStart(argv: string[]): Promise<{ code: number }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' },
      transport: { type: 'string', multiple: true },
      rate: { type: 'string' },
      'no-compare': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(START_HELP + '\n');
    return { code: 0 };
  }
  const seconds = parseIntOption('seconds', values.seconds, 0.1) ?? 3;
  const transports: TransportKind[] = values.transport?.map(parseTransport) ?? ['poll', 'long-poll', 'sse', 'ws'];
  const st = pickStyle(process.stdout);
  const demo = await startDemoServer({ rate: parseIntOption('rate', values.rate, 0) ?? 4 });
  const out = (s: string) => process.stdout.write(s + '\n');
  let failures = 0;
  try {
    if (!values.json) out(`${st.bold('Realtime Inspector')} — demo server on ${demo.httpUrl} (the tour stops it when done)\n`);
    for (const transport of transports) {
      const ok = await tourOne(demo, transport, seconds, st, values.json ?? false, out);
      if (!ok) failures++;
    }
    if (!values['no-compare'] && !values.json && transports.length > 1) {
      out(st.bold(`\n━━ Comparison: ${transports.join(', ')} side by side for ${seconds} s against the same ticker`));
      const result = await runComparison({
        urls: Object.fromEntries(transports.map((t) => [t, t === 'ws' ? demo.urls.ws : t === 'sse' ? demo.urls.sse : t === 'poll' ? demo.urls.poll : demo.urls['long-poll']])),
        durationMs: seconds * 1000,
        intervalMs: 500,
        sendUrl: demo.urls.send,
      });
      out(formatComparisonTable(result));
    }
    if (!values.json) {
      out(st.dim(`\nNext: 'npx realtime-inspector connect <your-url>' for your own endpoint, or open the VS Code panel: "Realtime Inspector: Connect to Demo Server".`));
    }
  } finally {
    await demo.close();
  }
  return { code: failures ? 1 : 0 };
}

async function tourOne(demo: DemoServer, transport: TransportKind, seconds: number, st: Style, json: boolean, out: (s: string) => void): Promise<boolean> {
  const { title, options } = tourOptions(demo, transport);
  const session = createSession(options);
  if (!json) out(st.bold(`━━ ${transport}: ${title}`) + st.dim(`\n   ${session.redactUrl(options.url)}`));
  session.onEvent((ev) => out(json ? JSON.stringify({ session: transport, ...toJsonEvent(ev) }) : formatEvent(ev, st, { prefix: '   ' })));
  try {
    await session.connect();
  } catch (err) {
    process.stderr.write(st.red(`   error: ${(err as Error).message}`) + '\n');
    await session.close();
    return false;
  }
  const sendTimer = setTimeout(() => {
    session.send(JSON.stringify({ hello: 'from the tour', transport })).catch((err: Error) => process.stderr.write(st.red(`   send failed: ${err.message}`) + '\n'));
  }, Math.min(1000, (seconds * 1000) / 2));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearTimeout(sendTimer);
  await session.close(1000, 'tour done');
  if (!json) {
    out('');
    out(formatSummary(session.stats, session.log.dropped, st).replace(/^/gm, '   '));
    out(formatHints(computeHints({ stats: session.stats, options, events: session.log }), st).replace(/^/gm, '   '));
    out('');
  }
  return true;
}
