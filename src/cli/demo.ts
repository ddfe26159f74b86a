import { parseArgs } from 'node:util';
import { startDemoServer } from '../demo/server';
import { parseIntOption } from './args';
import { pickStyle } from './format';

export const DEMO_HELP = `Usage: realtime-inspector demo [--port N] [--host H] [--rate N] [--size BYTES]

Runs the embedded demo server until Ctrl-C: short polling, long polling, SSE and
WebSocket endpoints fed by one ticker, an echo, a token endpoint, and auth-protected
variants of every endpoint.

Options:
  --port N        Port (default 0: any free port)
  --host H        Address to bind (default 127.0.0.1)
  --rate N        Ticks per second (default 2)
  --size BYTES    Approximate size of each tick's JSON (default 64)
  -h, --help      This help`;

export async function runDemo(argv: string[]): Promise<{ code: number }> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, rate: { type: 'string' }, size: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(DEMO_HELP + '\n');
    return { code: 0 };
  }
  const server = await startDemoServer({
    port: parseIntOption('port', values.port),
    host: values.host,
    rate: parseIntOption('rate', values.rate),
    payloadSize: parseIntOption('size', values.size, 1),
  });
  const st = pickStyle(process.stdout);
  process.stdout.write(`${st.bold('Realtime Inspector demo server')} on ${server.httpUrl}\n`);
  for (const [name, url] of Object.entries(server.urls)) process.stdout.write(`  ${name.padEnd(10)} ${url}\n`);
  process.stdout.write(`  auth       ${server.authUrl('ws', 'bearer')}  (and /auth/<query|bearer|cookie|subprotocol|first-message|token-url>/<poll|long-poll|sse|ws>)\n`);
  process.stdout.write(`  demo token ${server.demoToken}\n`);
  process.stdout.write(st.dim('Ctrl-C to stop.') + '\n');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return { code: 0 };
}
