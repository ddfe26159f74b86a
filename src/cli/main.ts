import { UsageError } from './args';
import { CONNECT_HELP, runConnect } from './connect';
import { DEMO_HELP, runDemo } from './demo';
import { START_HELP, runStart } from './start';
import { PROBE_HELP, runProbe } from './probe';
import { IMPORT_HELP, REPLAY_HELP, runImport, runReplay } from './recordings';
import { AUTH_MATRIX_HELP, COMPARE_HELP, runAuthMatrixCommand, runCompareCommand } from './analysis';

const HELP = `Usage: realtime-inspector <command> [options]

See what crosses the wire over short polling, long polling, Server-Sent Events and
WebSocket; test how auth is carried; get told which transport trade-offs you live with.

Commands:
  start                    Tour: start the demo server and inspect all four transports on it
  connect <url>            Connect and log every request, response, frame and timing
  demo                     Run the embedded demo server (all four transports, auth variants)
  probe <url>              Guess the transport an http(s) endpoint speaks
  auth-matrix <url>        Try every token placement the transport allows, report accepted/rejected
  compare                  Run transports side by side against the same message source
  import FILE              Print a recorded session (HAR, Chrome DevTools HAR, NDJSON) like a live one
  replay FILE <url>        Send a recording's outgoing messages with their timing to a live endpoint

Run 'realtime-inspector <command> --help' for a command's options.`;

type Runner = (argv: string[]) => Promise<{ code: number }>;

const COMMANDS: Record<string, { run: Runner; help: string }> = {
  connect: { run: runConnect, help: CONNECT_HELP },
  demo: { run: runDemo, help: DEMO_HELP },
  start: { run: runStart, help: START_HELP },
  probe: { run: runProbe, help: PROBE_HELP },
  'auth-matrix': { run: runAuthMatrixCommand, help: AUTH_MATRIX_HELP },
  compare: { run: runCompareCommand, help: COMPARE_HELP },
  import: { run: runImport, help: IMPORT_HELP },
  replay: { run: runReplay, help: REPLAY_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const topic = cmd === 'help' ? rest[0] : undefined;
    process.stdout.write((topic && COMMANDS[topic] ? COMMANDS[topic].help : HELP) + '\n');
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write('realtime-inspector 0.1.0\n');
    return 0;
  }
  const entry = COMMANDS[cmd];
  if (!entry) {
    process.stderr.write(`error: unknown command "${cmd}". Run 'realtime-inspector --help'.\n`);
    return 2;
  }
  try {
    return (await entry.run(rest)).code;
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(err as Error).message}. Run 'realtime-inspector ${cmd} --help'.\n`);
      return 2;
    }
    process.stderr.write(`error: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

/**
 * Runs the CLI as a process: exit code from main(), quiet exit when stdout is closed early
 * (`| head`), no stack traces. Called by bin/realtime-inspector.js and by `node dist/cli.js`.
 */
export function runCli(argv: string[]): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // Open handles (keep-alive agents, servers) must not keep a finished command alive.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (err) => {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runCli(process.argv.slice(2));
