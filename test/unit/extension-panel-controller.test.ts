import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { TimerApi } from '../../src/extension/batcher';
import { DisposableStore } from '../../src/extension/disposables';
import { EdgeRedactor, redactorFor } from '../../src/extension/edgeRedaction';
import { MAX_ROWS_PER_POST, PanelController, type PanelHost, type PanelSessions } from '../../src/extension/panelController';
import type { SessionEntry } from '../../src/extension/sessionManager';
import { SETTING_DEFAULTS } from '../../src/extension/settings';
import { EventLog } from '../../src/shared/eventLog';
import type { InspectorEvent } from '../../src/shared/events';
import type { ConnectionConfig, RowColumns, RowsAsObjects, SessionSummary, ToWebview } from '../../src/shared/protocol';
import { fromColumns } from '../../src/shared/rows';
import { statsFromEvents } from '../../src/shared/stats';
import { createSession, type Session } from '../../src/transports/index';

const TOKEN = 'sekret-token-0123456789';

class ManualTimers implements TimerApi {
  pending: Array<{ fn: () => void; id: number }> = [];
  private next = 1;
  set(fn: () => void): unknown {
    const id = this.next++;
    this.pending.push({ fn, id });
    return id;
  }
  clear(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }
  fire(): void {
    const due = this.pending;
    this.pending = [];
    for (const t of due) t.fn();
  }
}

/** The session registry the controller reads (SessionManager without the vscode parts). */
class Sessions implements PanelSessions {
  readonly entries = new Map<string, SessionEntry>();
  add(e: SessionEntry): SessionEntry {
    this.entries.set(e.id, e);
    return e;
  }
  list(): SessionEntry[] {
    return [...this.entries.values()];
  }
  get(id: string): SessionEntry | undefined {
    return this.entries.get(id);
  }
  summary(e: SessionEntry): SessionSummary {
    return { id: e.id, name: e.name, transport: e.transport, url: e.url, state: e.live?.state ?? 'closed', readOnly: e.readOnly, total: e.log.total, dropped: e.log.dropped };
  }
  nowT(e: SessionEntry): number {
    return e.live ? e.live.now() : e.stats.lastT;
  }
  isLive(e: SessionEntry): boolean {
    return !!e.live && e.live.state !== 'closed';
  }
  async close(id: string): Promise<void> {
    await this.entries.get(id)?.live?.close();
  }
  clear(id: string): boolean {
    this.entries.get(id)?.log.clear();
    return true;
  }
}

function recording(id: string, events: InspectorEvent[], redactor = new EdgeRedactor()): SessionEntry {
  const log = new EventLog(Math.max(100, events.length));
  for (const e of events) log.push(e);
  return { id, name: `rec ${id}`, transport: 'sse', readOnly: true, log, stats: statsFromEvents(log), redactor, url: 'http://127.0.0.1/x', createdAt: 0, store: new DisposableStore() };
}

const msg = (seq: number, data = `m${seq}`): InspectorEvent => ({ type: 'message', seq, t: seq, direction: 'in', size: data.length, binary: false, data });

function setup(overrides: Partial<PanelHost> = {}) {
  const posts: ToWebview[] = [];
  const logs: string[] = [];
  const sessions = new Sessions();
  const timers = new ManualTimers();
  let now = 0;
  const host: PanelHost = {
    sessions,
    log: { warn: (l) => logs.push(l), error: (l) => logs.push(l) },
    settings: () => SETTING_DEFAULTS,
    demoUrl: () => undefined,
    connectFromPanel: async () => undefined,
    exportSession: async () => undefined,
    demoDefaults: async (transport) => ({ url: `http://127.0.0.1:1/${transport}`, transport }),
    hintsFor: () => [],
    redactAll: (t) => t,
    // Analysis runs against the real demo server in test/transports/extension-analysis.test.ts.
    runAuthMatrix: async () => Promise.reject(new Error('no analysis in this test')),
    compareTransports: async () => Promise.reject(new Error('no analysis in this test')),
    ...overrides,
  };
  const panel = new PanelController(host, (m) => posts.push(m), timers, () => now);
  return { panel, posts, logs, sessions, timers, advance: (ms: number) => (now += ms) };
}

/** Posts of one type, rows read back from their columns. */
const ofType = <K extends ToWebview['type']>(posts: ToWebview[], type: K): Array<RowsAsObjects<Extract<ToWebview, { type: K }>>> =>
  posts.filter((p): p is Extract<ToWebview, { type: K }> => p.type === type).map((p) => ('rows' in p && !Array.isArray(p.rows) ? { ...p, rows: fromColumns(p.rows as RowColumns) } : p) as RowsAsObjects<Extract<ToWebview, { type: K }>>);

describe('PanelController', () => {
  it('posts nothing before Ready, then answers with a Snapshot', async () => {
    const { panel, posts, sessions } = setup();
    const e = sessions.add(recording('s1', [msg(0), msg(1)]));
    panel.onSessionChanged(e);
    panel.onAppend();
    panel.adopt(e, 'command');
    assert.deepEqual(posts, [], 'nothing before Ready');
    await panel.receive({ type: 'Ready' });
    assert.equal(posts.length, 1);
    const snap = ofType(posts, 'Snapshot')[0];
    assert.equal(snap.activeSessionId, 's1');
    assert.deepEqual(snap.rows.map((r) => r.seq), [0, 1]);
    assert.equal(snap.sessions[0].id, 's1');
    assert.deepEqual(snap.settings, { logCap: SETTING_DEFAULTS.logCap, revealSecrets: false });
    assert.equal(snap.defaults.intervalMs, SETTING_DEFAULTS.pollIntervalMs);
    assert.equal(snap.stats?.messagesIn, 2);
  });

  it('drops what fails the protocol check and logs only its shape', async () => {
    const { panel, posts, logs } = setup();
    await panel.receive({ type: 'Ready' });
    posts.length = 0;
    await panel.receive({ type: 'ConnectRequest', config: { url: 'http://x/', auth: { method: 'bearer', token: TOKEN } } });
    await panel.receive('Ready');
    await panel.receive({ type: 'Launch' });
    await panel.receive(null);
    assert.deepEqual(posts, []);
    assert.equal(logs.length, 4);
    assert.ok(logs.every((l) => l.startsWith('Dropped a message')));
    assert.ok(!logs.join('\n').includes(TOKEN), 'the token of a malformed message is not logged');
  });

  it('sends a backlog in order, at most MAX_ROWS_PER_POST rows per post and one post per flush', async () => {
    const { panel, posts, sessions, timers, advance } = setup();
    const n = MAX_ROWS_PER_POST * 2 + 123;
    const e = sessions.add(recording('s1', Array.from({ length: n }, (_, i) => msg(i))));
    await panel.receive({ type: 'Ready' });
    const seqs = ofType(posts, 'Snapshot')[0].rows.map((r) => r.seq);
    assert.equal(seqs.length, MAX_ROWS_PER_POST);
    let flushes = 0;
    while (timers.pending.length) {
      assert.equal(timers.pending.length, 1);
      advance(200);
      const before = posts.length;
      timers.fire();
      flushes++;
      assert.ok(posts.length - before <= 1, 'one post per flush');
    }
    const appended = ofType(posts, 'DidAppendRows');
    for (const a of appended) {
      assert.ok(a.rows.length <= MAX_ROWS_PER_POST);
      seqs.push(...a.rows.map((r) => r.seq));
    }
    assert.equal(flushes, 2);
    assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i), 'every row once, in order');
    assert.equal(appended[appended.length - 1].total, e.log.total);
  });

  it('posts nothing while hidden and sends a fresh Snapshot when visible again', async () => {
    const { panel, posts, sessions, timers } = setup();
    const e = sessions.add(recording('s1', [msg(0)]));
    await panel.receive({ type: 'Ready' });
    panel.setVisible(false);
    posts.length = 0;
    e.log.push(msg(1));
    panel.onAppend();
    panel.onSessionChanged(e);
    timers.fire();
    await panel.receive({ type: 'DetailRequest', sessionId: 's1', seq: 0 });
    assert.deepEqual(posts, [], 'hidden: nothing');
    panel.setVisible(true);
    assert.equal(posts.length, 1);
    assert.deepEqual(ofType(posts, 'Snapshot')[0].rows.map((r) => r.seq), [0, 1]);
  });

  it('answers DetailRequest with the event and its exchange, redacted unless revealed', async () => {
    const redactor = redactorFor({ auth: { method: 'bearer', token: TOKEN } });
    const req: InspectorEvent = { type: 'request', seq: 0, t: 0, requestId: 1, purpose: 'sse', method: 'GET', url: 'http://127.0.0.1/x', headers: [['Authorization', `Bearer ${TOKEN}`]], headerBytes: 40, bodyBytes: 0 };
    const res: InspectorEvent = { type: 'response', seq: 1, t: 1, requestId: 1, status: 200, statusText: 'OK', httpVersion: '1.1', headers: [], headerBytes: 20 };
    const { panel, posts, sessions } = setup();
    sessions.add(recording('s1', [req, res, msg(2, `echo ${TOKEN}`)], redactor));
    await panel.receive({ type: 'Ready' });
    assert.ok(!JSON.stringify(posts).includes(TOKEN), 'rows are redacted');
    await panel.receive({ type: 'DetailRequest', sessionId: 's1', seq: 1 });
    const d = ofType(posts, 'DidLoadDetail')[0];
    assert.equal(d.event?.type, 'response');
    assert.deepEqual(d.related.map((e) => e.seq), [0]);
    assert.ok(!JSON.stringify(d).includes(TOKEN));
    assert.ok(JSON.stringify(d).includes('Bearer «redacted'));
    await panel.receive({ type: 'DetailRequest', sessionId: 's1', seq: 99 });
    assert.equal(ofType(posts, 'DidLoadDetail')[1].event, null, 'gone or unknown: null, no failure');
    panel.setRevealSecrets(true);
    await panel.receive({ type: 'DetailRequest', sessionId: 's1', seq: 2 });
    assert.ok(JSON.stringify(ofType(posts, 'DidLoadDetail')[2]).includes(TOKEN), 'revealed on request');
  });

  it('answers bad input with DidFail and keeps running', async () => {
    const { panel, posts, sessions } = setup();
    sessions.add(recording('s1', [msg(0)]));
    await panel.receive({ type: 'Ready' });
    posts.length = 0;
    await panel.receive({ type: 'SendRequest', sessionId: 's1', data: '{oops', format: 'json' });
    await panel.receive({ type: 'SendRequest', sessionId: 's1', data: 'hello', format: 'text' });
    await panel.receive({ type: 'PingRequest', sessionId: 's1' });
    await panel.receive({ type: 'DetailRequest', sessionId: 'nope', seq: 0 });
    const fails = ofType(posts, 'DidFail').map((f) => f.message);
    assert.equal(fails.length, 4);
    assert.match(fails[0], /not valid JSON/);
    assert.match(fails[1], /imported recording; nothing can be sent/);
    assert.match(fails[2], /cannot ping/);
    assert.match(fails[3], /no longer exists/);
    await panel.receive({ type: 'SelectSessionRequest', sessionId: 's1' });
    assert.equal(ofType(posts, 'Snapshot').length, 1, 'still answering');
  });

  it('forged messages (wrong field types, unsafe or unknown session ids, huge strings) change nothing and lose nothing logged', async () => {
    const { panel, posts, sessions, logs } = setup();
    sessions.add(recording('s1', [msg(0), msg(1)]));
    await panel.receive({ type: 'Ready' });
    posts.length = 0;
    const forged: unknown[] = [
      { type: 'ClearRequest', sessionId: 42 },
      { type: 'ClearRequest', sessionId: '../../etc/passwd' },
      { type: 'DetailRequest', sessionId: 's1', seq: -1 },
      { type: 'DetailRequest', sessionId: 's1', seq: 1.5 },
      { type: 'SendRequest', sessionId: 's1', data: 'x'.repeat(64 * 1024 * 1024 + 1), format: 'text' },
      { type: 'SendRequest', sessionId: 's1', data: 'hi', format: 'yaml' },
      { type: 'ExportRequest', sessionId: 's1', format: 'pdf' },
      { type: 'ConnectRequest', config: { url: 'x'.repeat(10_000), transport: 'ws', headers: [], auth: { method: 'none' }, subprotocols: [], reconnect: false, insecure: false } },
      { type: 'DidFailInWebview', message: 'y'.repeat(20_000) },
      { type: 'Ready', extra: { __proto__: { polluted: true } } },
    ];
    for (const m of forged.slice(0, -1)) await panel.receive(m);
    assert.deepEqual(posts, [], 'nothing answered');
    assert.equal(logs.length, forged.length - 1, 'each dropped with a log line');
    assert.ok(logs.every((l) => l.length < 2000), 'log lines stay short even for huge strings');
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    // A well-formed request for a session that does not exist: a clear failure, nothing else.
    await panel.receive({ type: 'ClearRequest', sessionId: 'no-such-session' });
    assert.ok(ofType(posts, 'DidFail').length <= 1);
    // What was logged is still there.
    await panel.receive({ type: 'SelectSessionRequest', sessionId: 's1' });
    const snap = ofType(posts, 'Snapshot').at(-1);
    assert.deepEqual(
      snap?.rows.map((r) => r.seq),
      [0, 1],
    );
  });

  it('turns a failed connect into DidFail with secrets redacted', async () => {
    const { panel, posts, logs } = setup({
      connectFromPanel: async () => {
        throw new Error(`Connection refused (http://127.0.0.1:9/?access_token=${TOKEN})`);
      },
      redactAll: (t) => t.split(TOKEN).join('«redacted»'),
    });
    await panel.receive({ type: 'Ready' });
    const config: ConnectionConfig = { url: 'http://127.0.0.1:9/', transport: 'poll', headers: [], auth: { method: 'query', param: 'access_token', token: TOKEN }, subprotocols: [], reconnect: false, insecure: false };
    await panel.receive({ type: 'ConnectRequest', config });
    const fail = ofType(posts, 'DidFail')[0];
    assert.match(fail.message, /Connection refused/);
    assert.ok(!fail.message.includes(TOKEN) && !logs.join().includes(TOKEN));
  });

  it('clears a log, and fills the form from the demo server', async () => {
    const { panel, posts, sessions } = setup();
    const e = sessions.add(recording('s1', [msg(0)]));
    await panel.receive({ type: 'Ready' });
    await panel.receive({ type: 'ClearRequest', sessionId: 's1' });
    panel.onSessionCleared(e);
    assert.equal(e.log.size, 0);
    assert.deepEqual(ofType(posts, 'DidClear')[0], { type: 'DidClear', sessionId: 's1' });
    await panel.receive({ type: 'UseDemoRequest', transport: 'sse' });
    const snap = ofType(posts, 'Snapshot').pop()!;
    assert.equal(snap.defaults.url, 'http://127.0.0.1:1/sse');
    assert.equal(snap.defaults.transport, 'sse');
  });

  describe('with a live WebSocket session', () => {
    let wss: WebSocketServer;
    let url: string;
    const received: string[] = [];
    const pings: number[] = [];
    let seen: () => void = () => undefined;

    before(async () => {
      wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise<void>((r) => wss.once('listening', () => r()));
      url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
      wss.on('connection', (ws) => {
        ws.on('message', (d) => {
          received.push(d.toString());
          seen();
        });
        ws.on('ping', () => {
          pings.push(Date.now());
          seen();
        });
      });
    });
    after(async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    });

    it('sends, pings and streams rows until closed', async () => {
      const { panel, posts, sessions, timers, advance } = setup();
      const live: Session = createSession({ url, transport: 'ws', showSecrets: true });
      const entry: SessionEntry = { id: 's1', name: 'live', transport: 'ws', readOnly: false, log: live.log, stats: live.stats, redactor: new EdgeRedactor(), live, url, createdAt: 0, store: new DisposableStore() };
      sessions.add(entry);
      live.onEvent(() => panel.onAppend());
      await panel.receive({ type: 'Ready' });
      await live.connect();
      // Resolved by the server's handlers once it saw both messages and the ping.
      const delivered = new Promise<void>((resolve) => {
        seen = () => {
          if (received.length >= 2 && pings.length >= 1) resolve();
        };
      });
      await panel.receive({ type: 'SendRequest', sessionId: 's1', data: '{"a":1}', format: 'json' });
      await panel.receive({ type: 'SendRequest', sessionId: 's1', data: 'AAEC', format: 'base64' });
      await panel.receive({ type: 'PingRequest', sessionId: 's1' });
      await delivered;
      assert.equal(received[0], '{"a":1}');
      assert.equal(ofType(posts, 'DidFail').length, 0);
      advance(1000);
      timers.fire();
      const rows = [...ofType(posts, 'Snapshot')[0].rows, ...ofType(posts, 'DidAppendRows').flatMap((a) => a.rows)];
      assert.ok(rows.some((r) => r.type === 'message' && r.dir === 'out' && r.label === 'binary'));
      assert.ok(rows.some((r) => r.type === 'ping' && r.dir === 'out'));
      assert.ok(timers.pending.length === 1, 'a live session keeps the refresh going');
      await panel.receive({ type: 'DisconnectRequest', sessionId: 's1' });
      assert.equal(live.state, 'closed');
      await panel.receive({ type: 'SendRequest', sessionId: 's1', data: 'late', format: 'text' });
      assert.match(ofType(posts, 'DidFail')[0].message, /Not sent: "live" is closed/);
      panel.dispose();
    });
  });
});
