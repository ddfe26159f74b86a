import { parseArgs } from 'node:util';
import { probeTransport } from '../transports/probe';
import { proxyFromEnv } from '../transports/proxyEnv';
import { UsageError, headersFrom, parseIntOption, transportFromScheme } from './args';

export const PROBE_HELP = `Usage: realtime-inspector probe <url> [--header "Name: value"]... [--timeout MS] [--insecure] [--proxy URL | --no-proxy] [--json]

Guesses which transport an endpoint speaks: ws:/wss: is WebSocket; for http(s) one GET
tells SSE (text/event-stream) from long polling (the server holds the request) and short
polling (it answers at once). A connection that does not open within the timeout is an
error, not a guess. The GET goes through --proxy, or HTTPS_PROXY / HTTP_PROXY / NO_PROXY.`;

export async function runProbe(argv: string[]): Promise<{ code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { header: { type: 'string', multiple: true, short: 'H' }, insecure: { type: 'boolean' }, json: { type: 'boolean' }, timeout: { type: 'string' }, proxy: { type: 'string' }, 'no-proxy': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
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
  if (values.proxy !== undefined && values['no-proxy']) throw new UsageError('--proxy and --no-proxy contradict each other');
  if (values.proxy !== undefined && !URL.canParse(values.proxy)) throw new UsageError(`--proxy: not a valid URL: ${JSON.stringify(values.proxy)}`);
  const proxy = values.proxy !== undefined ? { url: values.proxy } : values['no-proxy'] ? undefined : proxyFromEnv(url.toString());
  const fromScheme = transportFromScheme(url);
  const result = fromScheme
    ? { transport: fromScheme, reason: `${url.protocol} is a WebSocket URL` }
    : await probeTransport(url.toString(), { timeoutMs: parseIntOption('timeout', values.timeout, 1) ?? 1500, insecure: values.insecure, headers: headersFrom(values.header), proxy });
  process.stdout.write(values.json ? JSON.stringify(result) + '\n' : `${result.transport}: ${result.reason}\n`);
  return { code: 0 };
}
