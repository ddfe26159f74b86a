import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { oneLine, type InspectorEvent } from '../shared/events';
import { DEFAULT_WORKSPACE_FILE, EnvironmentError, parseWorkspaceFile, resolveConnection, type LookupSecret, type ResolveOverrides } from '../shared/environments';
import { credentialHeadersOf, secretsOf } from '../shared/exportRedact';
import { toHar } from '../shared/har';
import { computeHints } from '../shared/hintRules';
import { importRecording } from '../shared/importRecording';
import type { ConnectOptions } from '../shared/options';
import { ImportError, toNdjson } from '../shared/recording';
import { toNdjsonLine } from '../shared/serialize';
import { statsFromEvents } from '../shared/stats';
import { replay, whenReplayDone } from '../transports/replay';
import type { Session } from '../transports/session';
import { UsageError, parseTransport, resolveSecret } from './args';
import { formatEvent, formatHints, formatSummary, pickStyle } from './format';

/** --var name=value, repeatable. */
export function parseVars(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const i = item.indexOf('=');
    if (i <= 0) throw new UsageError(`--var needs NAME=VALUE, got ${JSON.stringify(item)}`);
    // env:NAME reads the value from the environment, so secrets need not sit in shell history.
    out[item.slice(0, i)] = resolveSecret(item.slice(i + 1));
  }
  return out;
}

/** Replaces {{name}} from --var values; an unknown name is a usage error that says which. Names in `keep` stay as they are when not given. */
export function substituteVars(text: string, vars: Record<string, string>, keep: readonly string[] = []): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (m, name: string) => {
    const v = vars[name];
    if (v !== undefined) return v;
    if (keep.includes(name)) return m;
    throw new UsageError(`{{${name}}} is not defined: give --var ${name}=VALUE`);
  });
}

/**
 * Secrets for saved connections, from the environment: `env:NAME` references read NAME;
 * `secret:KEY` reads RI_SECRET_<KEY>; secret variables read --var or RI_VAR_<NAME>.
 */
export function cliSecretLookup(vars: Record<string, string>, env: NodeJS.ProcessEnv = process.env): LookupSecret {
  const envName = (prefix: string, key: string) => `${prefix}${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return (req) => {
    switch (req.kind) {
      case 'env':
        return env[req.name];
      case 'secret':
        return env[envName('RI_SECRET_', req.key)];
      case 'variable':
        return vars[req.variable] ?? env[envName('RI_VAR_', req.variable)];
    }
  };
}

/** Loads a saved connection from the workspace file and resolves its variables and secrets. */
export async function loadSavedConnection(name: string, opts: { file?: string; env?: string; vars: Record<string, string>; overrides?: ResolveOverrides['options'] }): Promise<ConnectOptions> {
  const path = opts.file ?? DEFAULT_WORKSPACE_FILE;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the saved connections file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const { file } = parseWorkspaceFile(text);
    return await resolveConnection(file, name, opts.env, cliSecretLookup(opts.vars), { variables: opts.vars, options: opts.overrides });
  } catch (err) {
    if (err instanceof EnvironmentError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}

/** Writes --har / --ndjson exports of a finished session, redacted unless --include-secrets. */
export function writeExports(session: Session, files: { har?: string; ndjson?: string; includeSecrets?: boolean }, io: { stderr: NodeJS.WriteStream }): void {
  const opts = { includeSecrets: files.includeSecrets ?? false, secrets: secretsOf(session.options), credentialHeaders: credentialHeadersOf(session.options) };
  const events = [...session.log];
  if (files.ndjson) {
    writeFileSync(files.ndjson, toNdjson(events, opts));
    io.stderr.write(`wrote ${events.length} events to ${files.ndjson}${opts.includeSecrets ? ' (secrets included)' : ''}\n`);
  }
  if (files.har) {
    const har = toHar(events, { transport: session.transport, url: session.options.url, wallStart: session.wallStart, creator: { name: 'realtime-inspector', version: '0.1.0' } }, opts);
    writeFileSync(files.har, JSON.stringify(har, null, 2));
    io.stderr.write(`wrote HAR 1.2 to ${files.har}${opts.includeSecrets ? ' (secrets included)' : ''}\n`);
  }
}

function readRecording(file: string): ReturnType<typeof importRecording> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return importRecording(text, file);
  } catch (err) {
    // The message may quote the file: keep control characters (ANSI escapes) out of the terminal.
    if (err instanceof ImportError) throw new UsageError(`${file} is not a recording I can read: ${oneLine(err.message).replace(/\.+$/, '')}`);
    throw err;
  }
}

export const IMPORT_HELP = `Usage: realtime-inspector import FILE [--json] [-v]

Prints a recorded session (a HAR from Realtime Inspector or Chrome DevTools, or an NDJSON
export) the way a live one prints: the log, the summary and the trade-off hints.

Options:
  --json        The events as NDJSON, exactly as 'connect --json' prints them
  -v, --verbose Show request and response headers
  -h, --help    This help`;

export async function runImport(argv: string[]): Promise<{ code: number }> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(IMPORT_HELP + '\n');
    return { code: 0 };
  }
  if (positionals.length !== 1) throw new UsageError('import needs exactly one FILE');
  const rec = readRecording(positionals[0]);
  const st = pickStyle(process.stdout);
  for (const w of rec.warnings) process.stderr.write(`warning: ${w}\n`);
  if (values.json) {
    for (const ev of rec.events) process.stdout.write(toNdjsonLine(ev) + '\n');
    return { code: 0 };
  }
  process.stdout.write(st.bold(`Recording ${positionals[0]}: ${rec.meta.transport} ${rec.meta.url} (${rec.meta.format}${rec.meta.origin === 'foreign' ? `, from ${rec.meta.creator ?? 'another tool'}` : ''}), ${rec.events.length} events`) + '\n');
  for (const ev of rec.events) process.stdout.write(formatEvent(ev, st, { verbose: values.verbose }) + '\n');
  const stats = statsFromEvents(rec.events);
  process.stdout.write('\n' + formatSummary(stats, 0, st) + '\n');
  const options: ConnectOptions = { url: rec.meta.url, transport: rec.meta.transport };
  process.stdout.write('\n' + formatHints(computeHints({ stats, options, events: rec.events }), st) + '\n');
  return { code: 0 };
}

export const REPLAY_HELP = `Usage: realtime-inspector replay FILE <url> [options]

Connects to <url> and sends the recording's outgoing messages with their recorded timing,
recording the answers — a recorded session replayed against a live endpoint.

Options:
  --transport T     Default: the recording's transport
  --speed N         Faster (2 = twice as fast) or slower (0.5); default 1
  --send-url URL    Polling/SSE: where outgoing messages are POSTed
  --json            NDJSON of the new session
  --har FILE        Also write the new session as HAR
  --ndjson FILE     Also write the new session as NDJSON
  --linger MS       Keep listening this long after the last message (default 1000)
  -h, --help        This help`;

export async function runReplay(argv: string[]): Promise<{ code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      transport: { type: 'string' },
      speed: { type: 'string' },
      'send-url': { type: 'string' },
      json: { type: 'boolean' },
      har: { type: 'string' },
      ndjson: { type: 'string' },
      linger: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(REPLAY_HELP + '\n');
    return { code: 0 };
  }
  if (positionals.length !== 2) throw new UsageError('replay needs a FILE and a URL');
  const rec = readRecording(positionals[0]);
  try {
    new URL(positionals[1]);
  } catch {
    throw new UsageError(`not a valid URL: ${JSON.stringify(positionals[1])}`);
  }
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(speed > 0)) throw new UsageError('--speed needs a positive number');
  const linger = values.linger === undefined ? 1000 : Number(values.linger);
  const transport = values.transport ? parseTransport(values.transport) : rec.meta.transport;
  const st = pickStyle(process.stdout);
  const write = (ev: InspectorEvent) => process.stdout.write((values.json ? toNdjsonLine(ev) : formatEvent(ev, st)) + '\n');
  let session: Session;
  try {
    session = await replay(rec.events, { url: positionals[1], transport, sendUrl: values['send-url'] }, { speed });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return { code: 1 };
  }
  for (const ev of session.log) write(ev);
  session.onEvent(write);
  const result = await whenReplayDone(session);
  await new Promise((r) => setTimeout(r, linger));
  await session.close(1000, 'replay done');
  if (!values.json) {
    process.stdout.write('\n' + formatSummary(session.stats, session.log.dropped, st) + '\n');
    process.stdout.write(st.dim(`Replayed ${result.sent} message(s), ${result.failed} failed, ${result.skipped} skipped.`) + '\n');
  }
  writeExports(session, { har: values.har, ndjson: values.ndjson }, process);
  return { code: result.failed ? 1 : 0 };
}
