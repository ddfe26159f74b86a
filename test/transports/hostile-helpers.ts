/**
 * Shared fixtures for the hostile-endpoint suites (test/transports/hostile-*.test.ts): raw
 * misbehaving servers on loopback, session tracking and the three checks every case makes:
 * the message says what happened, nothing logged before the fault is lost, no secret leaks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'node:test';
import type { InspectorEvent, TransportKind } from '../../src/shared/events';
import type { ConnectOptions } from '../../src/shared/options';
import { createSession } from '../../src/transports/index';
import { ConnectError, type Session } from '../../src/transports/session';

export { describeLog, waitFor, type Ev } from '../helpers/session';
import { describeLog, type Ev } from '../helpers/session';

// ---------------------------------------------------------------------------------------
// Cleanup, and a guard that fails the test when anything escaped as an uncaught error.

const cleanups: Array<() => Promise<void> | void> = [];
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

const escaped: unknown[] = [];
process.on('uncaughtException', (err) => escaped.push(err));
process.on('unhandledRejection', (err) => escaped.push(err));

afterEach(async () => {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch {
      // Cleanup of one fixture must not skip the others.
    }
  }
  const bad = escaped.splice(0);
  assert.equal(bad.length, 0, `uncaught errors escaped (the process would have crashed): ${bad.map((e) => String((e as Error)?.stack ?? e)).join('\n')}`);
});

// ---------------------------------------------------------------------------------------
// Sessions

export const ALL: TransportKind[] = ['ws', 'sse', 'poll', 'long-poll'];

/** A session that is closed after the test; reconnects off unless asked for, so a fault ends it. */
export function open(transport: TransportKind, url: string, opts: Partial<ConnectOptions> = {}): Session {
  const s = createSession({ transport, url, timeoutMs: 5000, reconnect: { enabled: false }, ...opts });
  onCleanup(async () => {
    await withTimeout(s.close().catch(() => {}), 5000, 'session close');
  });
  return s;
}

/** http(s) URL for the HTTP transports, ws(s) for WebSocket. */
export function urlFor(transport: TransportKind, origin: string, path = '/'): string {
  const u = new URL(path, origin);
  if (transport === 'ws') u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
  else u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  return u.toString();
}

export function events<K extends InspectorEvent['type']>(s: Session, type: K): Array<Ev<K>> {
  return [...s.log].filter((e): e is Ev<K> => e.type === type);
}


/** Resolves once `n` events of `type` have been emitted (counting dropped ones through stats is not possible, so this listens). */
export function countEvents(s: Session, type: InspectorEvent['type']): { get(): number } {
  let n = events(s, type).length;
  s.onEvent((e) => {
    if (e.type === type) n++;
  });
  return { get: () => n };
}

export async function connectFails(s: Session, ms = 15_000): Promise<ConnectError> {
  try {
    await withTimeout(s.connect(), ms, 'connect()');
  } catch (err) {
    assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String((err as Error)?.stack ?? err)}; log: ${describeLog(s)}`);
    return err;
  }
  assert.fail(`connect() should have failed; log: ${describeLog(s)}`);
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The checks every failed connect makes: the fatal error event says the same as the
 * rejection, the log is complete from seq 0 with no gap (nothing logged was lost), the
 * session is closed, and no secret is in the log or the message.
 */
export async function assertCleanFailure(s: Session, err: ConnectError, secrets: string[] = []): Promise<void> {
  const log = [...s.log];
  assert.equal(s.log.dropped, 0);
  assert.deepEqual(
    log.map((e) => e.seq),
    log.map((_, i) => i),
    'every event logged before the fault is kept, in order',
  );
  assert.equal(log[0].type, 'session');
  const fatal = events(s, 'error').filter((e) => e.fatal);
  assert.ok(fatal.length >= 1, `a fatal error event is logged; log: ${describeLog(s)}`);
  assert.ok(
    fatal.some((e) => e.message === err.message),
    `the fatal error event says what connect() rejected with: ${err.message} / ${fatal.map((e) => e.message).join(' | ')}`,
  );
  assertNoSecret(s, secrets, [err.message]);
  await withTimeout(s.closed, 5000, '`closed`');
  assert.equal(s.state, 'closed');
}

export function assertNoSecret(s: Session, secrets: string[], texts: string[] = []): void {
  const all = JSON.stringify([...s.log]) + '\n' + texts.join('\n');
  for (const secret of secrets) {
    assert.ok(!all.includes(secret), `secret ${secret} leaked: ${all.slice(Math.max(0, all.indexOf(secret) - 200), all.indexOf(secret) + 100)}`);
    assert.ok(!all.includes(encodeURIComponent(secret)), `secret ${secret} leaked URL-encoded`);
    const form = new URLSearchParams([['', secret]]).toString().slice(1);
    assert.ok(!all.includes(form), `secret ${secret} leaked form-encoded as ${form}`);
  }
}

let tokenSeq = 0;
/** A unique secret-looking token. */
export function token(): string {
  return `tok_${process.pid}_${Date.now().toString(36)}_${++tokenSeq}_${Math.random().toString(36).slice(2, 12)}`;
}

// ---------------------------------------------------------------------------------------
// Servers

export interface RawServer {
  port: number;
  origin: string;
  /** Raw bytes each connection sent, by connection index. */
  received: Buffer[];
  server: net.Server;
}

/** A TCP server on 127.0.0.1:0 that hands each connection to `onSocket` and records what the client sent. */
export async function rawServer(onSocket: (socket: net.Socket, index: number, srv: RawServer) => void, host = '127.0.0.1'): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const srv: RawServer = { port: 0, origin: '', received: [], server: undefined as unknown as net.Server };
  const server = net.createServer((sock) => {
    const i = srv.received.length;
    srv.received.push(Buffer.alloc(0));
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    sock.on('data', (d: Buffer) => (srv.received[i] = Buffer.concat([srv.received[i], d])));
    onSocket(sock, i, srv);
  });
  srv.server = server;
  await new Promise<void>((r) => server.listen(0, host, r));
  srv.port = (server.address() as net.AddressInfo).port;
  srv.origin = `http://${host.includes(':') ? `[${host}]` : host}:${srv.port}`;
  onCleanup(async () => {
    for (const so of sockets) so.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return srv;
}

/** Resolves with the request head (up to the blank line) the client wrote on `socket`. */
export function readHead(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.removeListener('data', onData);
        resolve(buf.slice(0, end + 4));
      }
    };
    socket.on('data', onData);
  });
}

export function headerOf(head: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:\\s*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim();
}

export interface HttpServer {
  port: number;
  origin: string;
  server: http.Server | https.Server;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
}

export async function httpServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void, create: () => http.Server | https.Server = () => http.createServer()): Promise<HttpServer> {
  const server = create();
  const srv: HttpServer = { port: 0, origin: '', server, requests: [] };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      srv.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      handler(req, res, srv.requests.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  srv.port = (server.address() as net.AddressInfo).port;
  srv.origin = `${server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${srv.port}`;
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return srv;
}

/** A port on which nothing listens (bound, then released). */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Whether this machine can listen on IPv6 loopback. */
export async function ipv6Loopback(): Promise<boolean> {
  const s = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '::1', resolve);
    });
    await new Promise<void>((r) => s.close(() => r()));
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// WebSocket frames by hand

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Reads the upgrade request and answers a valid 101; resolves with the request head. */
export async function acceptUpgrade(socket: net.Socket, extraHeaders = ''): Promise<string> {
  const head = await readHead(socket);
  const key = headerOf(head, 'sec-websocket-key') ?? '';
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${extraHeaders}\r\n`);
  return head;
}

/** One unmasked server frame. Length encodings as RFC 6455 §5.2; `declaredLength` overrides the real one. */
export function frame(opcode: number, payload: Buffer | string, opts: { fin?: boolean; rsv?: number; mask?: boolean; declaredLength?: bigint } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const fin = opts.fin ?? true;
  const b0 = (fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode;
  const len = opts.declaredLength ?? BigInt(data.length);
  const maskBit = opts.mask ? 0x80 : 0;
  let head: Buffer;
  if (len < 126n) head = Buffer.from([b0, maskBit | Number(len)]);
  else if (len < 65536n) {
    head = Buffer.alloc(4);
    head[0] = b0;
    head[1] = maskBit | 126;
    head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(len, 2);
  }
  if (!opts.mask) return Buffer.concat([head, data]);
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(data.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([head, key, masked]);
}

export function closeFrame(code: number | undefined, reason = ''): Buffer {
  if (code === undefined) return frame(8, Buffer.alloc(0));
  const p = Buffer.alloc(2 + Buffer.byteLength(reason));
  p.writeUInt16BE(code, 0);
  p.write(reason, 2);
  return frame(8, p);
}

// ---------------------------------------------------------------------------------------
// Tools from Debian

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface Certs {
  dir: string;
  caCert: string;
  /** Self-signed for localhost/127.0.0.1. */
  selfSigned: { key: string; cert: string };
  /** Issued by the test CA for localhost/127.0.0.1. */
  good: { key: string; cert: string };
  /** Issued by the test CA, expired yesterday. */
  expired: { key: string; cert: string };
  /** Issued by the test CA for other.test only. */
  wrongHost: { key: string; cert: string };
}

/** Generates a CA and leaf certificates with openssl into a temp dir (removed after the suite). */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'ri-hostile-tls-'));
  const run = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=Hostile Test CA/O=Realtime Inspector Tests']);
  run(['req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.crt', '-days', '30', '-subj', '/CN=localhost/O=Self Signed Test', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  const leaf = (name: string, san: string, days: string): void => {
    run(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${san.split(',')[0].replace(/^DNS:/, '')}/O=Leaf ${name}`]);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(Math.floor(Math.random() * 1e9)), '-days', days, '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  };
  leaf('good', 'DNS:localhost,IP:127.0.0.1', '30');
  // -days -1: notAfter is yesterday, so the certificate is expired from the moment it exists.
  leaf('expired', 'DNS:localhost,IP:127.0.0.1', '-1');
  leaf('wrong', 'DNS:other.test', '30');
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    selfSigned: { key: read('self.key'), cert: read('self.crt') },
    good: { key: read('good.key'), cert: read('good.crt') },
    expired: { key: read('expired.key'), cert: read('expired.crt') },
    wrongHost: { key: read('wrong.key'), cert: read('wrong.crt') },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
