/**
 * Hostile and broken endpoints, part 5: WebSocket frames. A raw TCP server answers a valid
 * handshake, then writes hand-built frames. Each fault is named, the close code is shown,
 * and every frame received before it stays in the log.
 */
import assert from 'node:assert/strict';
import type * as net from 'node:net';
import { describe, it } from 'node:test';
import type { Session } from '../../src/transports/session';
import { acceptUpgrade, assertNoSecret, closeFrame, describeLog, events, frame, open, rawServer, token, waitFor, withTimeout, type RawServer } from './hostile-helpers';

/** Upgrades, sends a first good text frame, then whatever `then` writes. */
async function frameServer(then: (sock: net.Socket) => void): Promise<RawServer> {
  return rawServer((sock) => {
    void acceptUpgrade(sock).then(() => {
      sock.write(frame(1, 'before the fault'));
      then(sock);
    });
  });
}

/** The close code in the client's (masked) close frame, from the bytes it sent after its handshake. */
function clientCloseCode(sent: Buffer): number | undefined {
  let i = sent.indexOf('\r\n\r\n');
  if (i < 0) return undefined;
  i += 4;
  while (i + 2 <= sent.length) {
    const op = sent[i] & 0x0f;
    let len = sent[i + 1] & 0x7f;
    let p = i + 2;
    if (len === 126) {
      len = sent.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      len = Number(sent.readBigUInt64BE(p));
      p += 8;
    }
    const mask = sent.subarray(p, p + 4);
    p += 4;
    if (op === 8 && len >= 2) return ((sent[p] ^ mask[0]) << 8) | (sent[p + 1] ^ mask[1]);
    i = p + len;
  }
  return undefined;
}

async function waitClientClose(srv: RawServer): Promise<number | undefined> {
  const until = Date.now() + 5000;
  for (;;) {
    const code = srv.received[0] && clientCloseCode(srv.received[0]);
    if (code !== undefined || Date.now() > until) return code;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A protocol fault: the named error, the close with the expected code by the client, the earlier frame kept, nothing lost. */
async function expectFault(s: Session, srv: RawServer, code: string, words: RegExp, status: number): Promise<void> {
  const err = await waitFor(s, 'error', (e) => e.code === code);
  assert.match(err.message, words);
  assert.ok(err.message.includes(`the client closes the connection with ${status}`), err.message);
  const close = await waitFor(s, 'close');
  assert.deepEqual([close.code, close.by], [status, 'client'], describeLog(s));
  assert.match(close.reason, /^protocol error: /);
  assert.ok(err.seq < close.seq);
  const first = events(s, 'message')[0];
  assert.equal(first?.data, 'before the fault', 'the frame received before the fault is kept');
  assert.ok(first.seq < err.seq);
  assert.equal(s.log.dropped, 0);
  assert.equal(await waitClientClose(srv), status, 'the client told the server why, in its close frame');
  await withTimeout(s.closed, 5000, 'closed');
}

describe('hostile: WebSocket frames', () => {
  it('invalid UTF-8 in a text frame: 1007', async () => {
    const srv = await frameServer((sock) => sock.write(frame(1, Buffer.from([0x68, 0x69, 0xc3, 0x28]))));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    await expectFault(s, srv, 'WS_ERR_INVALID_UTF8', /Protocol error from the server: a text frame or close reason is not valid UTF-8/, 1007);
  });

  it('a frame longer than maxPayload: 1009, refused from its header (the payload is never buffered)', async () => {
    const srv = await frameServer((sock) => sock.write(frame(2, Buffer.alloc(4096, 1))));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`, { maxPayload: 1024 });
    await s.connect();
    await expectFault(s, srv, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', /a message is larger than the maxPayload limit \(1024 bytes\)/, 1009);
  });

  it('a declared length of 2^63 - 1: 1009, named', async () => {
    const srv = await frameServer((sock) => sock.write(frame(2, Buffer.alloc(0), { declaredLength: 2n ** 63n - 1n })));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    await expectFault(s, srv, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH', /a frame declares a length beyond 2\^53 - 1 bytes/, 1009);
  });

  it('a fragmented message with a ping between its fragments: the message is delivered whole and the ping is logged (and answered)', async () => {
    const srv = await frameServer((sock) => {
      sock.write(Buffer.concat([frame(1, 'Hel', { fin: false }), frame(9, 'between'), frame(0, 'lo, ', { fin: false }), frame(0, 'world')]));
    });
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    const msg = await waitFor(s, 'message', (m) => m.data === 'Hello, world');
    const ping = events(s, 'ping').find((p) => p.direction === 'in')!;
    assert.equal(Buffer.from(ping.data).toString(), 'between');
    assert.ok(ping.seq < msg.seq, 'the ping arrived (and is logged) before the message completed');
    assert.ok(events(s, 'pong').some((p) => p.direction === 'out' && Buffer.from(p.data).toString() === 'between'));
    assert.equal(events(s, 'error').length, 0);
  });

  it('thousands of tiny fragments: one message; past 65,536 fragments: a named error (1008), memory protected', async () => {
    const n = 5000;
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) parts.push(frame(i === 0 ? 1 : 0, String(i % 10), { fin: i === n - 1 }));
    const srv = await frameServer((sock) => sock.write(Buffer.concat(parts)));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    const msg = await waitFor(s, 'message', (m) => m.size === n);
    assert.equal((msg.data as string).slice(0, 12), '012345678901');

    const many: Buffer[] = [frame(2, Buffer.alloc(0), { fin: false })];
    for (let i = 0; i < 65_537; i++) many.push(frame(0, Buffer.alloc(0), { fin: false }));
    const srv2 = await frameServer((sock) => sock.write(Buffer.concat(many)));
    const s2 = open('ws', `ws://127.0.0.1:${srv2.port}/`);
    await s2.connect();
    await expectFault(s2, srv2, 'WS_ERR_TOO_MANY_BUFFERED_PARTS', /a message is split into more than 65536 fragments/, 1008);
  });

  it('the server closes in the middle of a frame: 1006 by the network, earlier frames kept', async () => {
    const srv = await frameServer((sock) => {
      const f = frame(1, 'x'.repeat(200));
      sock.write(f.subarray(0, 50));
      setImmediate(() => sock.destroy());
    });
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    const close = await waitFor(s, 'close');
    assert.deepEqual([close.code, close.by, close.wasClean], [1006, 'network', false]);
    assert.match(close.reason, /the connection dropped without a close frame/);
    assert.equal(events(s, 'message').length, 1);
    assert.equal(events(s, 'message')[0].data, 'before the fault');
    await withTimeout(s.closed, 5000, 'closed');
  });

  it('a masked server frame: 1002', async () => {
    const srv = await frameServer((sock) => sock.write(frame(1, 'masked', { mask: true })));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    await expectFault(s, srv, 'WS_ERR_UNEXPECTED_MASK', /the server masked a frame \(servers must not mask\)/, 1002);
  });

  it('reserved bits: RSV2/RSV3 set, and RSV1 without permessage-deflate: 1002', async () => {
    const srv = await frameServer((sock) => sock.write(frame(1, 'rsv', { rsv: 0b010 })));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    await expectFault(s, srv, 'WS_ERR_UNEXPECTED_RSV_2_3', /the reserved bits RSV2\/RSV3 are set/, 1002);

    const srv2 = await frameServer((sock) => sock.write(frame(1, 'rsv1', { rsv: 0b100 })));
    const s2 = open('ws', `ws://127.0.0.1:${srv2.port}/`, { perMessageDeflate: false });
    await s2.connect();
    await expectFault(s2, srv2, 'WS_ERR_UNEXPECTED_RSV_1', /the RSV1 \(compression\) bit is set where it is not allowed/, 1002);
  });

  for (const bad of [1005, 1006, 999, 2999, 1016]) {
    it(`an invalid close code (${bad}) from the server: named, with the code`, async () => {
      const srv = await frameServer((sock) => sock.write(closeFrame(bad, 'bye')));
      const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
      await s.connect();
      await expectFault(s, srv, 'WS_ERR_INVALID_CLOSE_CODE', new RegExp(`the close frame carries close code ${bad}, which may not be sent on the wire`), 1002);
    });
  }

  it('a 1-byte close payload: named as such (not "more than 125 bytes")', async () => {
    const srv = await frameServer((sock) => sock.write(frame(8, Buffer.from([0x03]))));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/`);
    await s.connect();
    await expectFault(s, srv, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', /a close frame carries a 1-byte payload/, 1002);
  });

  it('a valid close with a code and a reason quoting the token: code and reason shown, token redacted', async () => {
    const secret = token();
    const srv = await frameServer((sock) => sock.write(closeFrame(4401, `expired ${secret}`)));
    const s = open('ws', `ws://127.0.0.1:${srv.port}/?access_token=${secret}`, { auth: { method: 'bearer', token: secret } });
    await s.connect();
    const close = await waitFor(s, 'close');
    assert.deepEqual([close.code, close.by, close.wasClean], [4401, 'server', true]);
    assert.match(close.reason, /^expired «redacted …\w{4}»$/);
    assert.equal(events(s, 'message')[0].data, 'before the fault');
    assertNoSecret(s, [secret]);
  });
});
