import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { formatComparisonTable, runComparison, type TransportComparison } from '../../src/analysis/compare';
import { useCleanup } from '../helpers/cleanup';

const { demo } = useCleanup();

const row = (rows: TransportComparison[], t: string) => {
  const r = rows.find((x) => x.transport === t);
  assert.ok(r, `no row for ${t}`);
  return r;
};

/** A port with nothing listening: bound, then released. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('runComparison against the demo server', () => {
  it('runs the four transports side by side on the same ticker and measures each', async () => {
    const d = await demo({ rate: 100, payloadSize: 64 });
    const result = await runComparison({
      urls: { ws: d.urls.ws, sse: d.urls.sse, 'long-poll': d.urls['long-poll'], poll: d.urls.poll },
      durationMs: 1200,
      intervalMs: 100,
    });
    assert.equal(result.mode, 'concurrent');
    // Rows in the canonical order whatever the order of the URLs.
    assert.deepEqual(
      result.rows.map((r) => r.transport),
      ['poll', 'long-poll', 'sse', 'ws'],
    );
    for (const r of result.rows) {
      assert.equal(r.ok, true, `${r.transport}: ${r.error}`);
      assert.ok(r.delivered > 0 && r.latencyMs.samples > 0 && r.latencyMs.p50! >= 0, r.transport);
      assert.ok(r.latencyMs.p50! <= r.latencyMs.p95! && r.latencyMs.p95! <= r.latencyMs.p99!, r.transport);
      assert.ok(!r.url.includes('token'), r.transport);
    }
    const ws = row(result.rows, 'ws');
    const sse = row(result.rows, 'sse');
    const lp = row(result.rows, 'long-poll');
    const poll = row(result.rows, 'poll');
    // Streams: one request, one connection, nothing missed.
    for (const r of [ws, sse]) {
      assert.deepEqual([r.requests, r.uselessRequests, r.connections, r.missed], [1, 0, 1, 0], r.transport);
      assert.equal(r.seqRange![1] - r.seqRange![0] + 1, r.delivered, r.transport);
    }
    assert.ok(ws.delivered >= 50, `ws delivered ${ws.delivered}`);
    // Long polling follows the cursor: nothing missed, but one request per answer.
    assert.equal(lp.missed, 0);
    assert.ok(lp.requests > 5);
    assert.ok(lp.gapMs.samples > 0);
    // Short polling at 100 ms against 100 ticks/s sees about one tick in ten.
    assert.ok(poll.missed > poll.delivered, `poll missed ${poll.missed}, delivered ${poll.delivered}`);
    assert.ok(poll.gapMs.p50! >= 100);
    // Bytes per message: WebSocket frames < SSE fields < HTTP requests per message.
    assert.ok(ws.bytesPerMessage! < sse.bytesPerMessage!, `ws ${ws.bytesPerMessage} sse ${sse.bytesPerMessage}`);
    assert.ok(sse.bytesPerMessage! < lp.bytesPerMessage!, `sse ${sse.bytesPerMessage} long-poll ${lp.bytesPerMessage}`);
    assert.ok(ws.overheadBytesPerMessage! < 20, `ws overhead ${ws.overheadBytesPerMessage}`);
    assert.ok(lp.overheadBytesPerMessage! > 100, `long-poll overhead ${lp.overheadBytesPerMessage}`);
    assert.equal(Math.round(ws.payloadBytesPerMessage! + ws.overheadBytesPerMessage!), Math.round(ws.bytesPerMessage!));
    // The same hints the panel shows.
    assert.ok(poll.hints.some((h) => h.id === 'poll.skipped-updates'));
    assert.ok(lp.hints.some((h) => h.id === 'long-poll.frequent-messages'));

    const table = formatComparisonTable(result);
    assert.match(table, /^Transport comparison: 4 transports, 1\.2 s each, concurrent; short-poll interval 100 ms/);
    assert.match(table, /\n\s+poll\s+long-poll\s+sse\s+ws\n/);
    for (const label of ['messages delivered', 'missed (seq gaps)', 'latency p50/p95/p99 ms', 'requests (useless)', 'bytes/message', 'reconnects', 'gap p50/p95 ms', 'connections']) {
      assert.ok(table.includes(label), label);
    }
  });

  it('long polling without a cursor loses the ticks that land between polls', async () => {
    // 1000 ticks/s arrive several per timer firing: only the first of each firing finds a waiting poll.
    const d = await demo({ rate: 1000 });
    const result = await runComparison({ urls: { 'long-poll': d.urls['long-poll'] }, durationMs: 400, intervalMs: 100, cursor: null });
    const lp = row(result.rows, 'long-poll');
    assert.ok(lp.missed > 0, `missed ${lp.missed}`);
    assert.ok(lp.hints.some((h) => h.id === 'long-poll.reconnect-gap' && h.severity === 'risk'));
  });

  it('sequential mode with sends: the other direction costs a frame on WebSocket, a request elsewhere', async () => {
    const d = await demo({ rate: 20 });
    const result = await runComparison({ urls: { sse: d.urls.sse, ws: d.urls.ws }, durationMs: 450, intervalMs: 100, sendUrl: d.urls.send, sendEveryMs: 100, mode: 'sequential' });
    assert.equal(result.mode, 'sequential');
    const ws = row(result.rows, 'ws');
    const sse = row(result.rows, 'sse');
    for (const r of [ws, sse]) {
      assert.ok(r.sends && r.sends.messages >= 2 && r.sends.failed === 0, `${r.transport}: ${JSON.stringify(r.sends)}`);
    }
    assert.equal(ws.sends!.requests, 0);
    assert.equal(sse.sends!.requests, sse.sends!.messages);
    assert.ok(ws.sends!.bytesPerSend! < sse.sends!.bytesPerSend!, `ws ${ws.sends!.bytesPerSend} sse ${sse.sends!.bytesPerSend}`);
    assert.match(formatComparisonTable(result), /sends \(bytes\/send\)/);
  });

  it('reports a transport that cannot connect and still measures the others', async () => {
    const d = await demo({ rate: 50 });
    const port = await deadPort();
    const result = await runComparison({ urls: { poll: `http://127.0.0.1:${port}/poll`, ws: d.urls.ws }, durationMs: 300, intervalMs: 50 });
    const poll = row(result.rows, 'poll');
    assert.equal(poll.ok, false);
    assert.match(poll.error ?? '', /refused/i);
    assert.equal(row(result.rows, 'ws').ok, true);
    assert.match(formatComparisonTable(result), /poll: .*refused/i);
  });

  it('rejects bad input with a clear message', async () => {
    await assert.rejects(runComparison({ urls: {}, durationMs: 100, intervalMs: 10 }), /needs at least one URL/);
    await assert.rejects(runComparison({ urls: { ws: 'ws://127.0.0.1:1' }, durationMs: 0, intervalMs: 10 }), /duration must be a positive number/);
    await assert.rejects(runComparison({ urls: { ws: 'nope' }, durationMs: 100, intervalMs: 10 }), /The ws URL is not valid: "nope"/);
    await assert.rejects(runComparison({ urls: { smoke: 'http://x' } as never, durationMs: 100, intervalMs: 10 }), /Unknown transport "smoke"/);
  });
});
