/**
 * The panel's Analysis requests handled by the extension host's PanelController and the
 * analysis runner, against the REAL demo server (and a real server that echoes credentials
 * back): what is posted to the webview carries the rows and the comparison, never a token.
 * Also: cancellation through the AbortSignal added to runAuthMatrix / runComparison.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { startDemoServer, type DemoServer } from '../../src/demo/server';
import { runAuthMatrixView, runComparisonView, type AnalysisDeps } from '../../src/extension/analysisRunner';
import { rememberedKey } from '../../src/extension/connectOptions';
import { PanelController, type PanelHost, type PanelSessions } from '../../src/extension/panelController';
import { SETTING_DEFAULTS } from '../../src/extension/settings';
import { isToWebview, type ToWebview } from '../../src/shared/protocol';

type Posted<K extends ToWebview['type']> = Extract<ToWebview, { type: K }>;
const ofType = <K extends ToWebview['type']>(posts: ToWebview[], type: K): Array<Posted<K>> => posts.filter((p): p is Posted<K> => p.type === type);

const NO_SESSIONS: PanelSessions = {
  list: () => [],
  get: () => undefined,
  summary: () => {
    throw new Error('no sessions in this test');
  },
  nowT: () => 0,
  isLive: () => false,
  close: async () => undefined,
  clear: () => false,
};

describe('Analysis from the panel, against the demo server', () => {
  let demo: DemoServer;
  const remembered = new Map<string, string>();
  const deps = (): AnalysisDeps => ({ demo: async () => demo, remembered: async (k) => remembered.get(k), pollIntervalMs: 100, connectTimeoutMs: 5000 });
  const controllers: PanelController[] = [];

  before(async () => {
    demo = await startDemoServer({ rate: 20, payloadSize: 48 });
  });
  afterEach(() => {
    for (const c of controllers.splice(0)) c.dispose();
    remembered.clear();
  });
  after(async () => {
    await demo.close();
  });

  /** A controller wired to the real runner (the Host wraps the same calls in a progress notification). */
  async function panel(): Promise<{ controller: PanelController; posts: ToWebview[]; logs: string[] }> {
    const posts: ToWebview[] = [];
    const logs: string[] = [];
    const host: PanelHost = {
      sessions: NO_SESSIONS,
      log: { warn: (l) => logs.push(l), error: (l) => logs.push(l) },
      settings: () => SETTING_DEFAULTS,
      demoUrl: () => demo.httpUrl,
      connectFromPanel: async () => undefined,
      exportSession: async () => undefined,
      demoDefaults: async () => ({}),
      hintsFor: () => [],
      redactAll: (t) => t,
      runAuthMatrix: (params, signal) => runAuthMatrixView(params, deps(), { signal }),
      compareTransports: (params, signal) => runComparisonView(params, deps(), { signal }),
    };
    // Every post is structured-cloned as VS Code does, and must pass the webview's type check.
    const controller = new PanelController(host, (m) => posts.push(structuredClone(m)));
    controllers.push(controller);
    await controller.receive({ type: 'Ready' });
    return { controller, posts, logs };
  }

  it('RunAuthMatrixRequest without a URL: every WebSocket placement on the demo, posted redacted', async () => {
    const { controller, posts, logs } = await panel();
    await controller.receive({ type: 'RunAuthMatrixRequest', transport: 'ws' });
    const states = ofType(posts, 'DidChangeAnalysisState').map((m) => m.running?.kind ?? null);
    assert.deepEqual(states, ['auth-matrix', null]);
    assert.match(ofType(posts, 'DidChangeAnalysisState')[0].running!.title, /^Auth matrix: WebSocket on the demo server$/);
    const [result] = ofType(posts, 'DidRunAuthMatrix');
    assert.ok(result, `posted: ${posts.map((p) => p.type).join(', ')}; log: ${logs.join(' | ')}`);
    assert.equal(result.transport, 'ws');
    assert.match(result.url, /^ws:\/\/127\.0\.0\.1:\d+\/auth\/\{method\}\/ws$/);
    const by = Object.fromEntries(result.rows.map((r) => [r.placement, r]));
    assert.deepEqual(Object.keys(by), ['none', 'query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url']);
    assert.equal(by.none.outcome, 'rejected');
    assert.equal(by.none.status, 401);
    for (const p of ['query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url']) assert.equal(by[p].outcome, 'accepted', `${p}: ${by[p].evidence}`);
    assert.ok(typeof by['first-message'].unauthenticatedMs === 'number');
    // Only the fields the view needs: no raw first answer, no close reason.
    assert.equal('answer' in by['first-message'], false);
    const wire = JSON.stringify(posts);
    assert.ok(!wire.includes(demo.demoToken), 'the demo token never reaches the webview');
    assert.ok(!logs.join('\n').includes(demo.demoToken));
    for (const p of posts) assert.ok(isToWebview(p), p.type);
    // The panel keeps the result: the API reads it, and a reloaded webview gets it after its Snapshot.
    const { type, ...view } = result;
    assert.equal(type, 'DidRunAuthMatrix');
    assert.deepEqual(controller.analysis.authMatrix, view);
    assert.equal(controller.analysis.running, undefined);
    posts.length = 0;
    await controller.receive({ type: 'Ready' });
    assert.deepEqual(
      posts.map((p) => p.type),
      ['Snapshot', 'DidRunAuthMatrix'],
    );
    assert.deepEqual(ofType(posts, 'DidRunAuthMatrix')[0], result);
  });

  it('RunAuthMatrixRequest with a URL and no token uses the token remembered for the endpoint; none remembered is a clear failure', async () => {
    const { controller, posts, logs } = await panel();
    const url = demo.authUrl('sse', 'bearer').replace('/auth/bearer/', '/auth/{method}/');
    await controller.receive({ type: 'RunAuthMatrixRequest', transport: 'sse', url });
    const [fail] = ofType(posts, 'DidFail');
    assert.match(fail.message, /^The auth matrix needs a token or a token endpoint for http:\/\/127\.0\.0\.1:\d+\/auth\/\{method\}\/sse: type one \(none is remembered for 127\.0\.0\.1:\d+\)\.$/);
    assert.equal(ofType(posts, 'DidRunAuthMatrix').length, 0);
    assert.equal(logs.length, 1);

    // Typed for an earlier bearer connection to the same origin.
    remembered.set(rememberedKey('bearer', demo.urls.sse), demo.demoToken);
    posts.length = 0;
    await controller.receive({ type: 'RunAuthMatrixRequest', transport: 'sse', url, timeoutMs: 3000 });
    const [result] = ofType(posts, 'DidRunAuthMatrix');
    assert.ok(result, JSON.stringify(posts));
    const by = Object.fromEntries(result.rows.map((r) => [r.placement, r]));
    for (const p of ['query', 'bearer', 'cookie']) assert.equal(by[p].outcome, 'accepted', `${p}: ${by[p].evidence}`);
    assert.equal(by['first-message'].outcome, 'skipped');
    assert.equal(by['token-url'].outcome, 'skipped');
    assert.ok(!JSON.stringify(posts).includes(demo.demoToken));
  });

  it('CompareTransportsRequest without URLs: all four transports on the demo; a second run meanwhile is refused', async () => {
    const { controller, posts } = await panel();
    const run = controller.receive({ type: 'CompareTransportsRequest', seconds: 1 });
    // A second analysis while one runs is refused with why; the first goes on.
    await controller.receive({ type: 'RunAuthMatrixRequest', transport: 'ws' });
    await run;
    assert.match(ofType(posts, 'DidFail')[0]?.message ?? '', /^Transport comparison: all four transports on the demo server, 1 s is still running/);
    const [done] = ofType(posts, 'DidCompareTransports');
    assert.ok(done, JSON.stringify(posts.map((p) => p.type)));
    const r = done.result;
    assert.equal(r.durationMs, 1000);
    assert.equal(r.intervalMs, 100, 'the poll interval the host gives');
    assert.deepEqual(
      r.rows.map((x) => x.transport),
      ['poll', 'long-poll', 'sse', 'ws'],
    );
    for (const row of r.rows) {
      assert.equal(row.ok, true, `${row.transport}: ${row.error}`);
      assert.ok(row.delivered > 0, row.transport);
      assert.ok(row.bytesPerMessage! > 0 && row.payloadBytesPerMessage! > 0, row.transport);
      assert.ok(Array.isArray(row.hints) && row.hints.every((h) => Object.keys(h).sort().join() === 'id,message,severity'), row.transport);
    }
    const ws = r.rows.find((x) => x.transport === 'ws')!;
    const poll = r.rows.find((x) => x.transport === 'poll')!;
    assert.ok(ws.bytesPerMessage! < poll.bytesPerMessage!, 'a frame costs less than a poll');
    assert.ok(r.notes.length >= 3);
    assert.equal(ofType(posts, 'DidRunAuthMatrix').length, 0, 'the refused run did not start');
    assert.deepEqual(controller.analysis.comparison, done.result);
  });

  it('closing the panel cancels a running comparison: it resolves as cancelled, nothing is posted after', async () => {
    const { controller, posts } = await panel();
    const started = Date.now();
    const running = controller.compareTransports({ seconds: 30 });
    // Wait until the sessions are really connected to the demo server.
    while (demo.counters().active.sse < 1) await new Promise((r) => setTimeout(r, 20));
    controller.dispose();
    assert.equal(await running, undefined);
    assert.ok(Date.now() - started < 10_000, 'cancelled long before the 30 s');
    assert.equal(ofType(posts, 'DidCompareTransports').length, 0);
    assert.equal(controller.analysis.running, undefined);
  });
});

describe('analysis runner: redaction and cancellation', () => {
  let demo: DemoServer;
  let echo: Server;
  let echoUrl = '';
  const SECRET = 'echoed-secret-7c1f09a2b4';

  before(async () => {
    demo = await startDemoServer({ rate: 20 });
    // Refuses every request, quoting back the credential it got (as some servers do in their errors).
    echo = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const got = req.headers.authorization ?? u.searchParams.get('access_token') ?? req.headers.cookie ?? 'nothing';
      res.writeHead(401, { 'content-type': 'text/plain' }).end(`token ${got} is not valid here (${SECRET} expected)`);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/events`;
  });
  after(async () => {
    await demo.close();
    await new Promise((r) => echo.close(r));
  });

  const deps: AnalysisDeps = { demo: async () => demo, remembered: async () => undefined, pollIntervalMs: 100, connectTimeoutMs: 3000 };

  it('a server that echoes the token back: the evidence keeps its words, never the token', async () => {
    // Polling: the refusal's body is part of the evidence.
    const view = await runAuthMatrixView({ transport: 'poll', url: echoUrl, token: SECRET, timeoutMs: 2000 }, deps);
    const by = Object.fromEntries(view.rows.map((r) => [r.placement, r]));
    for (const p of ['none', 'query', 'bearer', 'cookie']) {
      assert.equal(by[p].outcome, 'rejected', `${p}: ${by[p].evidence}`);
      assert.equal(by[p].status, 401);
    }
    assert.match(by.bearer.evidence, /is not valid here/);
    assert.ok(!JSON.stringify(view).includes(SECRET), JSON.stringify(view).slice(0, 2000));
  });

  it('cancelling an auth matrix closes the current row and rejects with AbortError', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const run = runAuthMatrixView({ transport: 'ws' }, deps, {
      signal: abort.signal,
      progress: (message) => {
        seen.push(message);
        // After the first row: cancel.
        if (/^1 of/.test(message)) abort.abort();
      },
    });
    await assert.rejects(run, (err: Error) => err.name === 'AbortError' && /The auth matrix was cancelled\./.test(err.message));
    assert.deepEqual(seen.slice(0, 2), ['0 of 7 placements', '1 of 7 placements (none: rejected)']);
    assert.equal(seen.length, 2, 'no row after the cancel');
  });

  it('cancelling a comparison closes every session at once and rejects with AbortError', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const run = runComparisonView({ seconds: 30 }, deps, { signal: abort.signal });
    while (demo.counters().active.ws < 1 || demo.counters().active.sse < 1) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    await assert.rejects(run, (err: Error) => err.name === 'AbortError' && /The comparison was cancelled\./.test(err.message));
    assert.ok(Date.now() - started < 10_000);
    // The demo server sees its streams go away.
    const deadline = Date.now() + 5000;
    while ((demo.counters().active.ws > 0 || demo.counters().active.sse > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(demo.counters().active.ws, 0);
    assert.equal(demo.counters().active.sse, 0);
  });
});
