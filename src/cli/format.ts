import type { InspectorEvent } from '../shared/events';
import type { Hint } from '../shared/hints';
import { fmt, toRow } from '../shared/rows';
import { percentile, type SessionStats } from '../shared/stats';

export interface Style {
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
export const COLOR: Style = { dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), bold: wrap(1, 22) };
const id = (s: string) => s;
export const PLAIN: Style = { dim: id, red: id, green: id, yellow: id, cyan: id, bold: id };

/** Colour when writing to a terminal, unless NO_COLOR is set; FORCE_COLOR forces it. */
export function pickStyle(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return COLOR;
  if (env.NO_COLOR !== undefined) return PLAIN;
  return stream.isTTY ? COLOR : PLAIN;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** One readable log line for an event (payloads already made inert by toRow). */
export function formatEvent(ev: InspectorEvent, st: Style, opts: { verbose?: boolean; prefix?: string } = {}): string {
  const row = toRow(ev);
  const time = st.dim(`${(ev.t / 1000).toFixed(3).padStart(8)}s`);
  const arrow = row.dir === 'in' ? st.green('←') : row.dir === 'out' ? st.cyan('→') : ' ';
  // Fixed width so the columns line up; long labels (info keys, error codes) are cut.
  let label = (row.label.length > 12 ? row.label.slice(0, 11) + '…' : row.label).padEnd(12);
  if (row.error) label = st.red(label);
  else if (ev.type === 'message') label = st.bold(label);
  else label = st.dim(label);
  const size = row.size >= 0 ? formatBytes(row.size).padStart(9) : ''.padStart(9);
  const type = ev.type === 'message' ? '' : st.dim(`${ev.type} `);
  let line = `${opts.prefix ?? ''}${time} ${arrow} ${label} ${size}  ${type}${row.id !== undefined ? st.yellow(`#${row.id} `) : ''}${row.error ? st.red(row.preview) : row.preview}`;
  if (opts.verbose && (ev.type === 'request' || ev.type === 'response')) {
    for (const [k, v] of ev.headers) line += `\n${''.padStart(32)}${st.dim(k + ':')} ${v}`;
  }
  return line;
}

export function formatSummary(stats: SessionStats, dropped: number, st: Style): string {
  const lines: string[] = [];
  const secs = Math.max(0.001, (stats.lastT - Math.max(0, stats.firstT)) / 1000);
  lines.push(st.bold(`Summary (${secs.toFixed(1)} s, ${stats.transport ?? '?'})`));
  lines.push(`  messages   in ${stats.messagesIn} (${formatBytes(stats.payloadBytesIn)})   out ${stats.messagesOut} (${formatBytes(stats.payloadBytesOut)})   ${(stats.messagesIn / secs).toFixed(1)} msg/s in`);
  const msgs = stats.messagesIn + stats.messagesOut;
  // Everything that was not payload, both directions (handshakes, sends and empty polls included), per message either way.
  // The comparison table counts differently on purpose: only the receiving channel, per message delivered.
  if (msgs) lines.push(`  overhead   ${((stats.overheadBytesIn + stats.overheadBytesOut) / msgs).toFixed(1)} B of headers/framing per message (all traffic both ways, handshakes and empty polls included)`);
  if (stats.requests) lines.push(`  requests   ${stats.requests}   responses ${stats.responses} ${Object.entries(stats.statusClasses).map(([k, v]) => `${k}:${v}`).join(' ')}`);
  if (stats.polls) lines.push(`  polls      ${stats.polls}: ${stats.pollsWithData} with data, ${stats.pollsUnchanged} unchanged, ${stats.pollsError} errors, ${stats.pollsTimeout} timeouts (${Math.round(((stats.polls - stats.pollsWithData) / stats.polls) * 100)}% useless)`);
  if (stats.heldMs.length) lines.push(`  held       p50 ${fmt(percentile(stats.heldMs, 50))}   p95 ${fmt(percentile(stats.heldMs, 95))}`);
  if (stats.gapMs.length) lines.push(`  gaps       p50 ${fmt(percentile(stats.gapMs, 50))}   p95 ${fmt(percentile(stats.gapMs, 95))}   reconnects ${stats.reconnects}`);
  if (stats.pingsIn + stats.pingsOut + stats.pongsIn + stats.pongsOut) lines.push(`  heartbeat  pings ${stats.pingsOut}→ ${stats.pingsIn}←   pongs ${stats.pongsOut}→ ${stats.pongsIn}←`);
  if (stats.errors) lines.push(st.red(`  errors     ${stats.errors}`));
  if (dropped) lines.push(st.yellow(`  dropped    ${dropped} events by the log cap`));
  return lines.join('\n');
}

export function formatHints(hints: Hint[], st: Style): string {
  if (!hints.length) return st.dim('No trade-off hints: nothing measured here calls for a change.');
  const icon = { info: st.cyan('ℹ'), warning: st.yellow('⚠'), risk: st.red('✖') };
  return [st.bold('Trade-off hints'), ...hints.map((h) => `  ${icon[h.severity]} ${h.message}\n      ${st.dim('why:')} ${h.why}\n      ${st.dim('do:')}  ${h.suggestion}`)].join('\n');
}
