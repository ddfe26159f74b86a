import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { curlFor, shellQuote } from '../../src/extension/curl';

describe('copy as cURL', () => {
  it('quotes for a POSIX shell', () => {
    assert.equal(shellQuote('https://a.test/x'), 'https://a.test/x');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote('a b;rm -rf /'), `'a b;rm -rf /'`);
  });

  it('replays an SSE request without buffering, headers as sent minus the ones curl writes', () => {
    const cmd = curlFor(
      'sse',
      {
        method: 'GET',
        url: 'https://a.test/events?x=1',
        headers: [
          ['Host', 'a.test'],
          ['Accept', 'text/event-stream'],
          ['Authorization', 'Bearer «redacted …wxyz»'],
          ['Connection', 'keep-alive'],
        ],
      },
      'unused',
    );
    assert.equal(cmd, `curl --no-buffer -H 'Accept: text/event-stream' -H 'Authorization: Bearer «redacted …wxyz»' 'https://a.test/events?x=1'`);
  });

  it('turns a WebSocket upgrade into the curl handshake over http(s)', () => {
    const cmd = curlFor(
      'ws',
      {
        method: 'GET',
        url: 'wss://a.test/ws',
        headers: [
          ['Host', 'a.test'],
          ['Connection', 'Upgrade'],
          ['Upgrade', 'websocket'],
          ['Sec-WebSocket-Version', '13'],
          ['Sec-WebSocket-Key', 'abc=='],
        ],
      },
      'unused',
    );
    assert.equal(cmd, `curl --http1.1 --include --no-buffer -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: abc==' https://a.test/ws`);
  });

  it('falls back to the URL when no request was recorded, adding what the transport needs', () => {
    assert.match(curlFor('ws', undefined, 'ws://127.0.0.1:9/ws'), /^curl --http1\.1 --include --no-buffer .*-H 'Upgrade: websocket'.* http:\/\/127\.0\.0\.1:9\/ws$/);
    assert.equal(curlFor('poll', undefined, 'http://a.test/poll'), 'curl http://a.test/poll');
    assert.equal(curlFor('poll', { method: 'POST', url: 'http://a.test/send', headers: [['Content-Length', '2']], body: '{}' }, ''), `curl -X POST --data-raw '{}' http://a.test/send`);
  });
});
