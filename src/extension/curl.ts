/**
 * "Copy as cURL": the connect request as it went on the wire (taken from the log's
 * request event, already redacted by the caller), as a shell command. No `vscode` import.
 */
import type { HeaderList, RequestEvent, TransportKind } from '../shared/events';

/** Headers curl writes itself, or that would be wrong to replay. */
const SKIP = new Set(['host', 'content-length', 'transfer-encoding']);
/** WebSocket handshake headers curl must send as-is for the upgrade trick. */
const UPGRADE_KEEP = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions']);

/** POSIX shell single quoting. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlFor(transport: TransportKind, req: Pick<RequestEvent, 'method' | 'url' | 'headers' | 'body'> | undefined, fallbackUrl: string): string {
  const parts: string[] = ['curl'];
  let url = req?.url ?? fallbackUrl;
  const headers: HeaderList = req?.headers ?? [];
  if (transport === 'ws') {
    // curl speaks the handshake over http(s) and shows the 101 and the first frames raw.
    url = url.replace(/^ws(s?):/i, 'http$1:');
    parts.push('--http1.1', '--include', '--no-buffer');
  } else if (transport === 'sse') {
    parts.push('--no-buffer');
  }
  const method = req?.method ?? 'GET';
  if (method !== 'GET') parts.push('-X', method);
  let hasUpgrade = false;
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (SKIP.has(n)) continue;
    if (n === 'connection' && transport !== 'ws') continue;
    if (n === 'upgrade') hasUpgrade = true;
    if (transport === 'ws' && n.startsWith('sec-websocket-') && !UPGRADE_KEEP.has(n)) continue;
    parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  if (transport === 'ws' && !hasUpgrade) {
    parts.push('-H', shellQuote('Connection: Upgrade'), '-H', shellQuote('Upgrade: websocket'), '-H', shellQuote('Sec-WebSocket-Version: 13'), '-H', shellQuote('Sec-WebSocket-Key: SGVsbG8sIHdvcmxkIQ=='));
  }
  if (transport === 'sse' && !headers.some(([k]) => k.toLowerCase() === 'accept')) parts.push('-H', shellQuote('Accept: text/event-stream'));
  if (req?.body !== undefined && req.body !== '') parts.push('--data-raw', shellQuote(req.body));
  parts.push(shellQuote(url));
  return parts.join(' ');
}

/** The request that opened the connection: the upgrade, the SSE stream, or the first poll. */
export function connectPurposeOf(transport: TransportKind): RequestEvent['purpose'] {
  switch (transport) {
    case 'ws':
      return 'upgrade';
    case 'sse':
      return 'sse';
    case 'poll':
      return 'poll';
    case 'long-poll':
      return 'long-poll';
  }
}
