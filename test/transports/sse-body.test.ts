/**
 * The SSE body read from the socket (BodyTap): chunked framing decoded and counted exactly,
 * the same events whatever way TCP splits the response, malformed framing reported, and the
 * bodies the tap leaves to node:http (Content-Length) or reads to the close.
 */
import assert from 'node:assert/strict';
import type * as net from 'node:net';
import { describe, it } from 'node:test';
import type { Session } from '../../src/transports/session';
import { describeLog, events, open, rawServer, readHead, waitFor, withTimeout } from './hostile-helpers';

interface Chunk {
  wire: string;
  /** Bytes of framing: size line with extensions and CRLF, and the CRLF after the data. */
  framing: number;
}

function chunk(data: string, ext = ''): Chunk {
  const line = `${Buffer.byteLength(data).toString(16)}${ext}\r\n`;
  return { wire: `${line}${data}\r\n`, framing: Buffer.byteLength(line) + 2 };
}

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache\r\n\r\n';

// Three events over five chunks: an event split over two chunks, extensions (one quoted, with a
// semicolon), CRLF line ends and a multibyte character, a comment chunk, and trailers at the end.
const c1 = chunk('id: 1\ndata: a', ';x=1');
const c2 = chunk('bc\n\n');
const c3 = chunk('data: \u00e9\r\n\r\n', ';q="a;b"');
const c4 = chunk(': c\n');
const c5 = chunk('data: z\n\n');
const LAST = '0;end=1\r\nX-Trailer: t\r\n\r\n';
const BODY = c1.wire + c2.wire + c3.wire + c4.wire + c5.wire + LAST;
const EXPECTED = [
  { data: 'abc', id: '1', size: 3, overheadBytes: Buffer.byteLength('id: 1\ndata: abc\n\n') - 3 + c1.framing + c2.framing },
  { data: '\u00e9', id: undefined, size: 2, overheadBytes: Buffer.byteLength('data: \u00e9\r\n\r\n') - 2 + c3.framing },
  { data: 'z', id: undefined, size: 1, overheadBytes: Buffer.byteLength(': c\ndata: z\n\n') - 1 + c4.framing + c5.framing },
];

function messages(s: Session): Array<{ data: unknown; id: string | undefined; size: number; overheadBytes: number | undefined }> {
  return events(s, 'message').map((m) => ({ data: m.data, id: m.sse?.id, size: m.size, overheadBytes: m.overheadBytes }));
}

/** A server that answers every request with `parts` (written one by one, a moment apart) and then does `then`. */
async function serve(parts: Buffer[], then: 'keep' | 'end' = 'keep'): Promise<string> {
  const srv = await rawServer((sock: net.Socket) => {
    void readHead(sock).then(async () => {
      for (const p of parts) {
        if (sock.destroyed) return;
        sock.write(p);
        await new Promise((r) => setTimeout(r, 1));
      }
      if (then === 'end') sock.end();
    });
  });
  return `${srv.origin}/events`;
}

async function record(parts: Buffer[], then: 'keep' | 'end' = 'keep'): Promise<Session> {
  const s = open('sse', await serve(parts, then));
  await s.connect();
  await withTimeout(s.closed, 8000, `the stream to end (${describeLog(s)})`);
  return s;
}

describe('SSE body read from the socket', () => {
  it('counts the chunked framing of each event exactly, skips extensions and trailers, and ends cleanly at the last chunk', async () => {
    const s = await record([Buffer.from(HEAD + BODY)]);
    assert.deepEqual(messages(s), EXPECTED);
    assert.deepEqual(events(s, 'error'), []);
    const close = events(s, 'close');
    assert.equal(close.length, 1);
    assert.equal(close[0].by, 'server');
    assert.equal(close[0].wasClean, true);
    assert.equal(events(s, 'comment')[0]?.text, 'c');
    assert.equal(s.stats.overheadBytesIn - events(s, 'response')[0].headerBytes, EXPECTED.reduce((n, e) => n + e.overheadBytes, 0));
  });

  it('records the same events whatever byte the response is split at (head, 1xx, size lines, data, CRLFs, trailers)', async () => {
    const all = Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n' + HEAD + BODY);
    for (let at = 1; at < all.length; at++) {
      const s = await record([all.subarray(0, at), all.subarray(at)]);
      const what = `split at byte ${at} (${JSON.stringify(all.subarray(Math.max(0, at - 8), at).toString('latin1'))}|${JSON.stringify(all.subarray(at, at + 8).toString('latin1'))}): ${describeLog(s)}`;
      assert.deepEqual(messages(s), EXPECTED, what);
      assert.deepEqual(events(s, 'error'), [], what);
      assert.equal(events(s, 'response')[0].status, 200, what);
      assert.equal(events(s, 'close')[0]?.wasClean, true, what);
      await s.close();
    }
  });

  it('records the same events when every byte of the body arrives on its own', async () => {
    const body = Buffer.from(BODY);
    const parts = [Buffer.from(HEAD)];
    for (let i = 0; i < body.length; i++) parts.push(body.subarray(i, i + 1));
    const s = await record(parts);
    assert.deepEqual(messages(s), EXPECTED);
    assert.equal(events(s, 'close')[0]?.wasClean, true);
  });

  for (const [name, bad, says] of [
    ['an invalid character in a chunk size', 'zz\r\ndata: no\n\n\r\n', 'invalid character "z" in a chunk size'],
    ['a chunk size with 14 hex digits', '1000000000000a\r\n', 'a chunk size too large'],
    ['chunk data not followed by CRLF', '9\r\ndata: no\n\nXX', 'no CRLF after the chunk data'],
    ['a size line ended by a bare LF', '9\nda', 'invalid character 0x0a in a chunk size'],
    ['an empty chunk size', '\r\n', 'invalid character 0x0d in a chunk size'],
  ] as const) {
    it(`reports malformed chunked framing: ${name}`, async () => {
      const s = await record([Buffer.from(HEAD + chunk('data: ok\n\n').wire + bad)]);
      assert.deepEqual(
        events(s, 'message').map((m) => m.data),
        ['ok'],
      );
      const err = await waitFor(s, 'error', (e) => e.code === 'BAD_CHUNKED_ENCODING');
      assert.match(err.message, /chunked response body is malformed/);
      assert.ok(err.message.includes(says), err.message);
      assert.equal(err.fatal, false);
      const close = events(s, 'close');
      assert.equal(close.length, 1, describeLog(s));
      assert.equal(close[0].wasClean, false);
      assert.ok(close[0].reason.includes(says), close[0].reason);
    });
  }

  it('accepts zero-padded chunk sizes, as node:http does (the limit is on the value, not the digits)', async () => {
    const data = 'data: zp\n\n';
    const line = `${'0'.repeat(15)}${Buffer.byteLength(data).toString(16)}\r\n`;
    const s = await record([Buffer.from(HEAD + line + data + '\r\n0\r\n\r\n')]);
    const m = await waitFor(s, 'message', (e) => e.data === 'zp');
    assert.equal(m.overheadBytes, 8 + Buffer.byteLength(line) + 2, 'SSE field name and blank line, plus the whole size line and CRLF');
    assert.deepEqual(events(s, 'error'), []);
  });

  it('reads a body without framing to the connection close', async () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n';
    const s = await record([Buffer.from(head + 'data: a\n\n'), Buffer.from('data: b\r\n\r\nda'), Buffer.from('ta: c\n\n')], 'end');
    assert.deepEqual(
      messages(s).map((m) => [m.data, m.overheadBytes]),
      [
        ['a', 8],
        ['b', 10],
        ['c', 8],
      ],
    );
    const close = events(s, 'close');
    assert.equal(close.length, 1, describeLog(s));
    assert.equal(close[0].by, 'server');
    assert.equal(close[0].wasClean, true);
  });

  it('leaves a chunked HTTP/1.0 answer to node:http', async () => {
    const s = await record([Buffer.from(HEAD.replace('HTTP/1.1', 'HTTP/1.0') + BODY)]);
    assert.deepEqual(
      messages(s).map((m) => [m.data, m.size]),
      EXPECTED.map((e) => [e.data, e.size]),
    );
  });

  it('leaves a Content-Length body to node:http', async () => {
    const body = 'data: a\n\ndata: b\n\n';
    const head = `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
    const s = await record([Buffer.from(head + body.slice(0, 5)), Buffer.from(body.slice(5))]);
    assert.deepEqual(
      messages(s).map((m) => [m.data, m.overheadBytes]),
      [
        ['a', 8],
        ['b', 8],
      ],
    );
    assert.equal(events(s, 'close')[0]?.wasClean, true);
  });
});
