/** Small response helpers for the demo server: JSON errors, bounded bodies, raw upgrade refusals. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export const SERVER_NAME = 'realtime-inspector-demo';
export const IDENTITY_HEADERS: Readonly<Record<string, string>> = { 'X-Demo-Server': 'realtime-inspector', Server: SERVER_NAME };

/** Bodies of /send, /echo and /token are capped here (413 beyond). */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLarge extends Error {}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}

/** `json` is already serialized (tick payloads are never re-encoded). */
export function sendRawJson(res: ServerResponse, status: number, json: string, headers: OutgoingHttpHeaders = {}): void {
  sendText(res, status, json, 'application/json; charset=utf-8', headers);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': body.length });
  res.end(body);
}

/** The one error shape every route uses: `{"error": code, "reason": sentence}`. */
export function sendError(res: ServerResponse, status: number, error: string, reason: string, headers: OutgoingHttpHeaders = {}): void {
  sendJson(res, status, { error, reason }, { 'Cache-Control': 'no-store', ...headers });
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('The client went away before sending the whole body.'));
    });
  });
}

/**
 * Refuses a WebSocket upgrade with a real HTTP response (not a 101 then a close), so the
 * client sees the status, headers and reason. The socket is closed after the write.
 */
export function rejectUpgrade(socket: Duplex, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const all: Record<string, string | number> = {
    ...IDENTITY_HEADERS,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': payload.length,
    'Cache-Control': 'no-store',
    Connection: 'close',
  };
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, ...Object.entries(all).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
}

/** Strong or weak entity-tag match for If-None-Match (`*` matches anything). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** Non-negative integer query parameter; undefined when absent, NaN when malformed. */
export function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
}
