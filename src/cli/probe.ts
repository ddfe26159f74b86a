import { parseArgs } from 'node:util';
import { probeTransport } from '../transports/probe';
import { UsageError, headersFrom, parseIntOption, transportFromScheme } from './args';

export const PROBE_HELP = `Usage: realtime-inspector probe <url> [--header "Name: value"]... [--timeout MS] [--insecure] [--json]

Guesses which transport an endpoint speaks: ws:/wss: is WebSocket; for http(s) one GET
tells SSE (text/event-stream) from long polling (the server holds the request) and short
polling (it answers at once).`;

export async function runProbe(argv: string[]): Promise<{ code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { header: { type: 'string', multiple: true, short: 'H' }, insecure: { type: 'boolean' }, json: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(PROBE_HELP + '\n');
    return { code: 0 };
  }
  if (positionals.length !== 1) throw new UsageError('probe needs exactly one URL');
  let url: URL;
  try {
    url = new URL(positionals[0]);
  } catch {
    throw new UsageError(`not a valid URL: ${JSON.stringify(positionals[0])}`);
  }
  const fromScheme = transportFromScheme(url);
  const result = fromScheme
    ? { transport: fromScheme, reason: `${url.protocol} is a WebSocket URL` }
    : await probeTransport(url.toString(), { timeoutMs: parseIntOption('timeout', values.timeout, 1) ?? 1500, insecure: values.insecure, headers: headersFrom(values.header) });
  process.stdout.write(values.json ? JSON.stringify(result) + '\n' : `${result.transport}: ${result.reason}\n`);
  return { code: 0 };
}
