import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { formatAuthMatrix, placementsFor, runAuthMatrix, type AuthMatrixRow } from '../../src/analysis/authMatrix';
import type { DemoServer } from '../../src/demo/server';
import { useCleanup } from '../helpers/cleanup';
import { PYTHON_WEBSOCKETS_MISSING, findPythonWithWebsockets, startPythonServer } from '../helpers/thirdParty';

const { demo } = useCleanup();

const byPlacement = (rows: AuthMatrixRow[]) => Object.fromEntries(rows.map((r) => [r.placement, r]));

/** The demo server has one route per method: /auth/<method>/<transport>. */
const demoUrl = (d: DemoServer, transport: 'poll' | 'long-poll' | 'sse' | 'ws') => d.authUrl(transport, 'bearer').replace('/auth/bearer/', '/auth/{method}/');

describe('runAuthMatrix against the demo server', () => {
  it('WebSocket: every placement accepted with the demo token, the control row refused with 401', async () => {
    const d = await demo();
    const rows = await runAuthMatrix({ url: demoUrl(d, 'ws'), transport: 'ws', token: d.demoToken, tokenUrl: d.urls.token, timeoutMs: 3000 });
    assert.deepEqual(
      rows.map((r) => r.placement),
      placementsFor('ws'),
    );
    const r = byPlacement(rows);
    assert.equal(r.none.outcome, 'rejected');
    assert.equal(r.none.status, 401);
    assert.match(r.none.evidence, /401/);
    for (const p of ['query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'token-url']) {
      assert.equal(r[p].outcome, 'accepted', `${p}: ${r[p].evidence}`);
      assert.ok(typeof r[p].timeMs === 'number' && r[p].timeMs! >= 0, p);
      assert.ok(r[p].risk.length > 30, p);
    }
    assert.equal(r.bearer.status, 101);
    // First-message auth: the answer and the time the socket was open before it.
    assert.match(r['first-message'].answer ?? '', /auth-ok/);
    assert.ok(typeof r['first-message'].unauthenticatedMs === 'number');
    assert.match(r['first-message'].risk, /before knowing who is on it/);
    assert.match(r['token-url'].carrier, /short-lived token .* as query/);
    // The credential never shows: not in URLs, not in evidence.
    assert.ok(!JSON.stringify(rows).includes(d.demoToken), 'token leaked into the rows');
    const table = formatAuthMatrix(rows);
    assert.match(table, /^placement\s+result\s+time\s+how the server said so/);
    assert.match(table, /first-message\s+accepted/);
  });

  it('WebSocket with a wrong token: every placement refused, each the way the server said it', async () => {
    const d = await demo();
    const rows = await runAuthMatrix({ url: demoUrl(d, 'ws'), transport: 'ws', token: 'wrong-token-0123456789', timeoutMs: 3000 });
    const r = byPlacement(rows);
    for (const p of ['query', 'bearer', 'cookie', 'subprotocol']) {
      assert.equal(r[p].outcome, 'rejected', `${p}: ${r[p].evidence}`);
      assert.equal(r[p].status, 401, p);
      assert.match(r[p].evidence, /not one this server knows/, p);
    }
    // First-message: the handshake succeeds, the server answers with an error and closes.
    assert.equal(r['first-message'].outcome, 'rejected');
    assert.match(r['first-message'].evidence, /auth-error|4401/);
    assert.equal(r['token-url'].outcome, 'skipped');
    assert.match(r['token-url'].evidence, /no token endpoint given/);
    assert.ok(!JSON.stringify(rows).includes('wrong-token-0123456789'));
  });

  it('SSE: no subprotocol row, first-message skipped with the reason, the rest accepted', async () => {
    const d = await demo();
    const rows = await runAuthMatrix({ url: demoUrl(d, 'sse'), transport: 'sse', token: d.demoToken, tokenUrl: d.urls.token, timeoutMs: 3000 });
    const r = byPlacement(rows);
    assert.equal(r.subprotocol, undefined);
    assert.equal(r.none.outcome, 'rejected');
    for (const p of ['query', 'bearer', 'cookie', 'token-url']) {
      assert.equal(r[p].outcome, 'accepted', `${p}: ${r[p].evidence}`);
      assert.equal(r[p].status, 200);
    }
    assert.equal(r['first-message'].outcome, 'skipped');
    assert.match(r['first-message'].evidence, /cannot write on it/);
    assert.match(r.bearer.risk, /new EventSource\(\)/);
  });

  it('short polling with a send URL tries first-message too (the demo server refuses it for polling)', async () => {
    const d = await demo();
    const rows = await runAuthMatrix({ url: demoUrl(d, 'poll'), transport: 'poll', token: d.demoToken, timeoutMs: 3000, sendUrl: d.urls.send });
    const r = byPlacement(rows);
    assert.equal(r.query.outcome, 'accepted');
    assert.equal(r['first-message'].outcome, 'failed');
    assert.equal(r['first-message'].status, 400);
    assert.match(r['first-message'].evidence, /WebSocket-only/);
  });

  it('long polling: a request the server holds counts as accepted, a refusal comes at once', async () => {
    const d = await demo({ rate: 0, longPollTimeoutMs: 20_000 });
    const rows = await runAuthMatrix({ url: demoUrl(d, 'long-poll'), transport: 'long-poll', token: d.demoToken, timeoutMs: 400 });
    const r = byPlacement(rows);
    assert.equal(r.none.outcome, 'rejected');
    assert.equal(r.none.status, 401);
    assert.equal(r.bearer.outcome, 'accepted');
    assert.match(r.bearer.evidence, /held open 400 ms without an answer/);
  });

  it('rejects bad input with a clear message', async () => {
    await assert.rejects(runAuthMatrix({ url: 'not a url', transport: 'ws', timeoutMs: 100 }), /Not a valid URL: "not a url"/);
    await assert.rejects(runAuthMatrix({ url: 'ws://127.0.0.1:1/', transport: 'ws', timeoutMs: 0 }), /timeout must be a positive number/);
    await assert.rejects(runAuthMatrix({ url: 'ws://127.0.0.1:1/', transport: 'smoke' as 'ws', timeoutMs: 100 }), /Unknown transport "smoke"/);
  });
});

// ---------------------------------------------------------------------------------------
// A server not written here: Python's `websockets` (Debian: python3-websockets), one URL for every placement.

const python = findPythonWithWebsockets();
const PY_TOKEN = 'py-token-5f2e9a71c3';
// /header-auth checks "Authorization: Bearer" or ?token= before the handshake;
// /first-message accepts everyone and closes with 1008 unless the first frame carries the token within 100 ms.
const PY_SERVER = `
import asyncio, json, sys, websockets
from http import HTTPStatus
from urllib.parse import urlparse, parse_qs
TOKEN = sys.argv[1]
async def process_request(path, headers):
    u = urlparse(path)
    if u.path != "/header-auth":
        return None
    if parse_qs(u.query).get("token", [None])[0] == TOKEN or headers.get("Authorization") == "Bearer " + TOKEN:
        return None
    return (HTTPStatus.UNAUTHORIZED, [("Content-Type", "text/plain")], b"missing or wrong token\\n")
async def handler(ws, *args):
    if urlparse(ws.path).path == "/first-message":
        try:
            ok = json.loads(await asyncio.wait_for(ws.recv(), 0.1)).get("token") == TOKEN
        except Exception:
            ok = False
        if not ok:
            await ws.close(1008, "unauthorized")
            return
        await ws.send(json.dumps({"ok": True}))
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
`;

describe('runAuthMatrix against python websockets', { skip: python ? false : PYTHON_WEBSOCKETS_MISSING }, () => {
  let py: { port: number; stop(): void } | undefined;
  after(() => py?.stop());

  async function server(): Promise<number> {
    py ??= await startPythonServer(python!, PY_SERVER, [PY_TOKEN]);
    return py!.port;
  }

  it('handshake auth: bearer and ?token= accepted, the others refused with its 401', async () => {
    const url = `ws://127.0.0.1:${await server()}/header-auth`;
    const rows = await runAuthMatrix({ url, transport: 'ws', token: PY_TOKEN, timeoutMs: 3000, queryParam: 'token' });
    const r = byPlacement(rows);
    assert.equal(r.query.outcome, 'accepted', r.query.evidence);
    assert.equal(r.bearer.outcome, 'accepted', r.bearer.evidence);
    for (const p of ['none', 'cookie', 'subprotocol', 'first-message']) {
      assert.equal(r[p].outcome, 'rejected', `${p}: ${r[p].evidence}`);
      assert.equal(r[p].status, 401, p);
      assert.match(r[p].evidence, /missing or wrong token/, p);
    }
    assert.equal(r['token-url'].outcome, 'skipped');
    assert.ok(!JSON.stringify(rows).includes(PY_TOKEN));
  });

  it('first-message auth: only the first message gets in; the others are closed with 1008 after the handshake', async () => {
    const url = `ws://127.0.0.1:${await server()}/first-message`;
    const rows = await runAuthMatrix({ url, transport: 'ws', token: PY_TOKEN, timeoutMs: 3000, settleMs: 2000 });
    const r = byPlacement(rows);
    assert.equal(r['first-message'].outcome, 'accepted', r['first-message'].evidence);
    assert.match(r['first-message'].answer ?? '', /"ok": true/);
    assert.ok(r['first-message'].unauthenticatedMs! >= 0);
    for (const p of ['none', 'query', 'bearer', 'cookie']) {
      assert.equal(r[p].outcome, 'rejected', `${p}: ${r[p].evidence}`);
      assert.equal(r[p].closeCode, 1008, p);
      assert.equal(r[p].closeReason, 'unauthorized', p);
    }
    // The server accepts the handshake but names no subprotocol: the client must drop it, as browsers do.
    assert.equal(r.subprotocol.outcome, 'failed');
    assert.match(r.subprotocol.evidence, /subprotocol/i);
  });
});
