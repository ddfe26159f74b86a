/**
 * A small real HTTP server on 127.0.0.1:0 that records every request (method, URL, headers,
 * body, arrival and answer times, client aborts) and how many were in flight at once, for the
 * polling suites. Each test gives it a handler.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Servers started and not yet closed: closeTestServers() ends them (call it in afterEach). */
const live = new Set<TestServer>();

export async function closeTestServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.close()));
}

export interface Seen {
  i: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Server clock (performance.now) when the request arrived, and when its answer was handed to the socket. */
  t: number;
  endT?: number;
  /** The client closed the connection before the answer was complete. */
  aborted: boolean;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => void;

export class TestServer {
  readonly seen: Seen[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private waiters = new Set<() => void>();
  private constructor(
    readonly server: http.Server,
    public handler: Handler,
  ) {}

  static async start(handler: Handler): Promise<TestServer> {
    const ts: TestServer = new TestServer(http.createServer((req, res) => ts.onRequest(req, res)), handler);
    await new Promise<void>((r) => ts.server.listen(0, '127.0.0.1', r));
    live.add(ts);
    return ts;
  }

  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Only GET polls (not token fetches or sends). */
  get polls(): Seen[] {
    return this.seen.filter((s) => s.method === 'GET' && !s.url.startsWith('/token'));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const s: Seen = { i: this.seen.length, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '', t: performance.now(), aborted: false };
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      this.inFlight--;
      this.changed();
    };
    res.on('finish', () => {
      s.endT = performance.now();
      end();
    });
    res.on('close', () => {
      if (!res.writableFinished) s.aborted = true;
      end();
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      s.body = Buffer.concat(chunks).toString('utf8');
      this.seen.push(s);
      this.changed();
      this.handler(req, res, s);
    });
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `check()` holds, re-checking on every request and answer. */
  until(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
    return new Promise((resolve, reject) => {
      const tick = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(tick);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(tick);
        reject(new Error(`timed out waiting for the server to see: ${what} (saw ${this.seen.length} requests)`));
      }, timeoutMs);
      this.waiters.add(tick);
      tick();
    });
  }

  async close(): Promise<void> {
    live.delete(this);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

