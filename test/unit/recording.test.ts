import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InspectorEvent } from '../../src/shared/events';
import { redactForExport, secretsOf } from '../../src/shared/exportRedact';
import { toHar } from '../../src/shared/har';
import { importRecording } from '../../src/shared/importRecording';
import { ImportError, parseNdjson, toNdjson } from '../../src/shared/recording';
import { toNdjsonLine } from '../../src/shared/serialize';

// ---------------------------------------------------------------------------------------
// HARs written by hand from the format Chrome DevTools uses (Network panel → Export HAR):
// entries with _resourceType, and _webSocketMessages items { type, time (s since epoch), opcode, data }.

const T0 = Date.parse('2025-03-01T10:00:00.250Z');

function chromeWebSocketHar(): unknown {
  return {
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      pages: [{ startedDateTime: '2025-03-01T10:00:00.000Z', id: 'page_1', title: 'https://app.example.test/', pageTimings: { onContentLoad: 80, onLoad: 120 } }],
      entries: [
        {
          startedDateTime: '2025-03-01T10:00:00.000Z',
          time: 12.5,
          request: { method: 'GET', url: 'https://app.example.test/', httpVersion: 'http/2.0', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
          response: { status: 200, statusText: '', httpVersion: 'http/2.0', headers: [{ name: 'content-type', value: 'text/html' }], cookies: [], content: { size: 512, mimeType: 'text/html' }, redirectURL: '', headersSize: -1, bodySize: -1, _transferSize: 600, _error: null },
          cache: {},
          timings: { blocked: 1, dns: -1, ssl: -1, connect: -1, send: 0.2, wait: 10, receive: 1.3, _blocked_queueing: 0.5 },
          serverIPAddress: '203.0.113.10',
          _initiator: { type: 'other' },
          _priority: 'VeryHigh',
          _resourceType: 'document',
          connection: '443',
          pageref: 'page_1',
        },
        {
          startedDateTime: '2025-03-01T10:00:00.250Z',
          time: 48.8,
          request: {
            method: 'GET',
            url: 'wss://app.example.test/live?room=7',
            httpVersion: 'HTTP/1.1',
            headers: [
              { name: 'Host', value: 'app.example.test' },
              { name: 'Upgrade', value: 'websocket' },
              { name: 'Connection', value: 'Upgrade' },
              { name: 'Sec-WebSocket-Version', value: '13' },
            ],
            queryString: [{ name: 'room', value: '7' }],
            cookies: [],
            headersSize: 412,
            bodySize: 0,
          },
          response: {
            status: 101,
            statusText: 'Switching Protocols',
            httpVersion: 'HTTP/1.1',
            headers: [
              { name: 'Upgrade', value: 'websocket' },
              { name: 'Connection', value: 'Upgrade' },
            ],
            cookies: [],
            content: { size: 0, mimeType: 'x-unknown' },
            redirectURL: '',
            headersSize: 129,
            bodySize: 0,
            _transferSize: 129,
            _error: null,
          },
          cache: {},
          timings: { blocked: 1.2, dns: 3.1, ssl: 9.8, connect: 20.4, send: 0.3, wait: 15.2, receive: 0, _blocked_queueing: 0.9 },
          serverIPAddress: '203.0.113.10',
          _initiator: { type: 'script' },
          _priority: 'Low',
          _resourceType: 'websocket',
          _webSocketMessages: [
            { type: 'send', time: 1740823200.5, opcode: 1, data: '{"op":"subscribe","room":7}' },
            { type: 'receive', time: 1740823200.5625, opcode: 1, data: '{"op":"subscribed"}' },
            { type: 'receive', time: 1740823201.75, opcode: 2, data: 'AAEC/w==' },
            { type: 'send', time: 1740823202, opcode: 1, data: 'héllo ✓' },
          ],
        },
      ],
    },
  };
}

function entry(start: string, url: string, status: number, content: Record<string, unknown>, extra: Record<string, unknown> = {}, wait = 8): Record<string, unknown> {
  return {
    startedDateTime: start,
    time: 10 + wait,
    request: { method: 'GET', url, httpVersion: 'HTTP/1.1', headers: [{ name: 'Accept', value: '*/*' }], queryString: [], cookies: [], headersSize: 120, bodySize: 0 },
    response: { status, statusText: status === 200 ? 'OK' : 'Not Modified', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content, redirectURL: '', headersSize: 90, bodySize: typeof content.size === 'number' ? content.size : 0 },
    cache: {},
    timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 1, wait, receive: 1 },
    _resourceType: 'fetch',
    ...extra,
  };
}

const byType = <K extends InspectorEvent['type']>(evs: InspectorEvent[], type: K): Array<Extract<InspectorEvent, { type: K }>> => evs.filter((e): e is Extract<InspectorEvent, { type: K }> => e.type === type);

describe('import of a HAR written by Chrome DevTools (no _realtimeInspector field)', () => {
  it('rebuilds a WebSocket session: messages, directions, times, binary, handshake and timings', () => {
    const r = importRecording(JSON.stringify(chromeWebSocketHar()), 'devtools.har');
    assert.equal(r.meta.format, 'har');
    assert.equal(r.meta.origin, 'foreign');
    assert.equal(r.meta.creator, 'WebInspector 537.36');
    assert.equal(r.meta.transport, 'ws');
    assert.equal(r.meta.url, 'wss://app.example.test/live?room=7');
    assert.equal(r.meta.wallStart, T0, 'times count from the first imported entry');
    assert.ok(r.warnings.some((w) => /1 entry .*left out/.test(w)), 'the page document is left out and said so');

    const evs = r.events;
    assert.deepEqual(evs.map((e) => e.seq), evs.map((_, i) => i), 'seq dense from 0');
    assert.ok(evs.every((e, i) => i === 0 || e.t >= evs[i - 1].t), 't never goes back');
    const s = evs[0];
    assert.ok(s.type === 'session' && s.transport === 'ws' && s.wallStart === T0);

    const msgs = byType(evs, 'message');
    assert.deepEqual(
      msgs.map((m) => [m.direction, m.t, m.binary, m.opcode]),
      [
        ['out', 250, false, 1],
        ['in', 312.5, false, 1],
        ['in', 1500, true, 2],
        ['out', 1750, false, 1],
      ],
    );
    assert.equal(msgs[0].data, '{"op":"subscribe","room":7}');
    assert.deepEqual([...(msgs[2].data as Uint8Array)], [0, 1, 2, 255]);
    assert.equal(msgs[2].size, 4);
    assert.equal(msgs[3].data, 'héllo ✓');
    assert.equal(msgs[3].size, 10, 'size in UTF-8 bytes');

    const [req] = byType(evs, 'request');
    assert.equal(req.purpose, 'upgrade');
    assert.equal(req.headerBytes, 412);
    assert.deepEqual(req.headers[1], ['Upgrade', 'websocket']);
    const [res] = byType(evs, 'response');
    assert.equal(res.status, 101);
    assert.equal(res.httpVersion, '1.1');
    assert.equal(res.t, 1.2 + 3.1 + 20.4 + 0.3 + 15.2, 'the 101 arrives after blocked, dns, connect, send and wait');
    const [tm] = byType(evs, 'timing');
    assert.equal(tm.dns, 3.1);
    assert.equal(tm.tls, 9.8);
    assert.ok(Math.abs(tm.tcp! - 10.6) < 1e-9, 'connect includes ssl: tcp = connect - ssl');
    assert.equal(tm.ttfb, 15.2);
    assert.equal(tm.remoteAddress, '203.0.113.10');
    const open = byType(evs, 'state').find((e) => e.state === 'open');
    assert.equal(open?.t, res.t);
  });

  it('reads _eventSourceMessages (eventName/eventId, or event/id) as SSE events', () => {
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'some-recorder', version: '2' },
        entries: [
          entry('2025-03-01T10:00:00.000Z', 'https://api.example.test/stream', 200, { size: 0, mimeType: 'text/event-stream' }, {
            _resourceType: 'eventsource',
            _eventSourceMessages: [
              { time: 1740823200.1, eventName: 'tick', eventId: '41', data: '{"n":41}' },
              { time: 1740823200.35, event: 'tock', id: '42', data: 'line1\nline2' },
              { time: 1740823200.6, eventName: '', eventId: '', data: 'plain' },
            ],
          }),
        ],
      },
    };
    const r = importRecording(JSON.stringify(har));
    assert.equal(r.meta.transport, 'sse');
    const msgs = byType(r.events, 'message');
    assert.deepEqual(
      msgs.map((m) => [m.t, m.sse?.event, m.sse?.id, m.data]),
      [
        [100, 'tick', '41', '{"n":41}'],
        [350, 'tock', '42', 'line1\nline2'],
        [600, 'message', undefined, 'plain'],
      ],
    );
    assert.ok(msgs.every((m) => m.direction === 'in' && m.requestId === 1));
  });

  it('several GETs to one URL become polling, with bodies as messages and unchanged answers as such', () => {
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'Firefox', version: '128' },
        entries: [
          entry('2025-03-01T10:00:00.000Z', 'https://api.example.test/poll?since=0', 200, { size: 9, mimeType: 'application/json', text: '{"n":1}' }),
          entry('2025-03-01T10:00:01.000Z', 'https://api.example.test/poll?since=1', 304, { size: 0, mimeType: 'x-unknown' }),
          entry('2025-03-01T10:00:02.000Z', 'https://api.example.test/poll?since=1', 200, { size: 3, mimeType: 'application/octet-stream', text: 'AQID', encoding: 'base64' }),
          entry('2025-03-01T10:00:02.500Z', 'https://cdn.other.test/logo.png', 200, { size: 10, mimeType: 'image/png' }, { _resourceType: 'image' }),
        ],
      },
    };
    const r = importRecording(JSON.stringify(har), 'firefox.har');
    assert.equal(r.meta.transport, 'poll');
    assert.equal(r.meta.url, 'https://api.example.test/poll?since=0');
    assert.ok(r.warnings.some((w) => /3 GET requests .* short polling/.test(w)));
    const polls = byType(r.events, 'poll');
    assert.deepEqual(polls.map((p) => [p.outcome, p.reason]), [
      ['data', 'new'],
      ['unchanged', '304'],
      ['data', 'new'],
    ]);
    const msgs = byType(r.events, 'message');
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0].data, '{"n":1}');
    assert.deepEqual([...(msgs[1].data as Uint8Array)], [1, 2, 3]);
    assert.equal(msgs[1].binary, true);
    assert.equal(msgs[1].t, 2000 + 18, 'the body is read at the end of its entry');
    assert.ok(byType(r.events, 'request').every((q) => q.purpose === 'poll'));
  });

  it('GETs the server held for seconds are read as long polling', () => {
    const held = (s: string) => entry(s, 'https://api.example.test/lp', 200, { size: 7, mimeType: 'application/json', text: '{"m":1}' }, {}, 25_000);
    const har = { log: { version: '1.2', creator: { name: 'x', version: '1' }, entries: [held('2025-03-01T10:00:00Z'), held('2025-03-01T10:00:25.100Z'), held('2025-03-01T10:00:50.200Z')] } };
    const r = importRecording(JSON.stringify(har));
    assert.equal(r.meta.transport, 'long-poll');
    assert.deepEqual(byType(r.events, 'poll').map((p) => p.heldMs), [25_000, 25_000, 25_000]);
  });

  it('message times that are not epoch seconds keep their spacing, anchored at the response, with a warning', () => {
    const har = chromeWebSocketHar() as { log: { entries: Array<Record<string, unknown>> } };
    har.log.entries[1]._webSocketMessages = [
      { type: 'send', time: 5000.0, opcode: 1, data: 'a' },
      { type: 'receive', time: 5000.25, opcode: 1, data: 'b' },
      { type: 'bogus', time: 5000.5, opcode: 1, data: 'c' },
    ];
    const r = importRecording(JSON.stringify(har));
    const msgs = byType(r.events, 'message');
    const res = byType(r.events, 'response')[0];
    assert.deepEqual(msgs.map((m) => m.t - res.t), [0, 250]);
    assert.ok(r.warnings.some((w) => /not seconds since the epoch/.test(w)));
    assert.ok(r.warnings.some((w) => /1 message .* left out/.test(w)), 'the unreadable item is reported');
  });
});

describe('import errors', () => {
  const fails = (text: string, re: RegExp, fileName?: string): void => {
    assert.throws(
      () => importRecording(text, fileName),
      (e: unknown) => {
        assert.ok(e instanceof ImportError, `an ImportError, got ${String(e)}`);
        assert.match(e.message, re);
        assert.doesNotMatch(e.message, /\n\s+at /, 'no stack trace in the message');
        return true;
      },
    );
  };

  it('names what is wrong with a broken HAR', () => {
    fails('', /is empty/);
    fails('{"log": {"entries": [', /not valid JSON/, 'cut.har');
    fails('{"log": {"entries": 5}}', /log\.entries is 5, not a list/);
    fails('{"log": {"entries": []}}', /no entries/);
    fails('{"log": 3}', /neither a HAR .*nor a recorded event|no "log" object/);
    fails('{"nothing": true}', /neither a HAR/);
    fails('{"log": {"entries": [{"startedDateTime": "yesterday", "request": {"url": "http://x.test/"}}]}}', /log\.entries\[0\]\.startedDateTime is "yesterday", not a date/);
    fails('{"log": {"entries": [{"startedDateTime": "2025-01-01T00:00:00Z", "request": {"method": "GET"}}]}}', /log\.entries\[0\]\.request\.url is nothing, not a URL/);
    fails('{"log": {"entries": [{"startedDateTime": "2025-01-01T00:00:00Z", "request": {"url": "wss://x.test/"}, "_webSocketMessages": "lots"}]}}', /_webSocketMessages is "lots", not a list/);
    fails('[1,2,3]', /no readable event: line 1: not an event object/, 'x.json');
    fails('just some text', /no readable event: line 1: not JSON/);
  });

  it('names the bad event inside our own HAR field', () => {
    const har = toHar([{ type: 'session', seq: 0, t: 0, transport: 'ws', url: 'ws://h.test/', wallStart: 1, options: {} }], { transport: 'ws', url: 'ws://h.test/', wallStart: 1, creator: { name: 't', version: '1' } }, { includeSecrets: false });
    const bad = JSON.parse(JSON.stringify(har)) as { log: { _realtimeInspector: { events: unknown[] } } };
    bad.log._realtimeInspector.events.push({ type: 'message', seq: 1, t: 2, direction: 'sideways', size: 1, binary: false, data: 'x' });
    fails(JSON.stringify(bad), /log\._realtimeInspector\.events\[1\] is not a valid event: message event: "direction" must be one of in, out \(got "sideways"\)/);
    bad.log._realtimeInspector.events = 'none' as unknown as unknown[];
    fails(JSON.stringify(bad), /log\._realtimeInspector\.events is "none", not a list of events/);
  });

  it('NDJSON: bad lines are reported with their numbers, good ones kept', () => {
    const good = [
      { type: 'session', seq: 0, t: 0, transport: 'sse', url: 'http://h.test/s', wallStart: 1700000000000, options: {} },
      { type: 'message', seq: 1, t: 5.5, direction: 'in', size: 2, binary: false, data: 'hi', sse: { event: 'message' } },
      { type: 'message', seq: 2, t: 6, direction: 'in', size: 3, binary: true, data: 'AQID', encoding: 'base64' },
    ].map((e) => JSON.stringify(e));
    const text = [good[0], '{"type":"message","seq":1', good[1], '', '{"type":"warp","seq":9,"t":1}', '{"type":"state","seq":3,"t":1,"state":"open"}', good[2], '  '].join('\r\n');
    const { events, errors } = parseNdjson(text);
    assert.deepEqual(events.map((e) => e.seq), [0, 1, 2]);
    assert.deepEqual([...(events[2] as Extract<InspectorEvent, { type: 'message' }>).data as Uint8Array], [1, 2, 3]);
    assert.deepEqual(errors.map((e) => e.line), [2, 5, 6]);
    assert.match(errors[0].message, /^not JSON/);
    assert.equal(errors[1].message, 'unknown event type "warp"');
    assert.match(errors[2].message, /state event: "previous" must be a string/);

    const r = importRecording(text, 'log.ndjson');
    assert.equal(r.events.length, 3);
    assert.ok(r.warnings.some((w) => /3 lines could not be read .*line 2: not JSON.*line 5: unknown event type "warp"/.test(w)));
    assert.equal(r.meta.transport, 'sse');
  });

  it('NDJSON without a session event (the log dropped it) still imports, with the transport inferred', () => {
    const text = [
      { type: 'request', seq: 5000, t: 10, requestId: 9, purpose: 'long-poll', method: 'GET', url: 'http://h.test/lp', headers: [], headerBytes: 40, bodyBytes: 0 },
      { type: 'message', seq: 5001, t: 20, direction: 'in', size: 1, binary: false, data: 'x', requestId: 9 },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const r = importRecording(text);
    assert.equal(r.meta.transport, 'long-poll');
    assert.equal(r.meta.url, 'http://h.test/lp');
    assert.ok(r.warnings.some((w) => /does not start with a "session" event/.test(w)));
    assert.ok(r.warnings.some((w) => /inferred/.test(w)));
  });
});

describe('redaction of a recording (pure)', () => {
  const SECRET = 'tok-abcdefghijklmnopqrstuvwxyz';
  const events: InspectorEvent[] = [
    { type: 'session', seq: 0, t: 0, transport: 'poll', url: `http://h.test/p?token=${SECRET}`, wallStart: 1, options: { sendUrl: `http://h.test/send?token=${SECRET}` } },
    { type: 'auth', seq: 1, t: 1, method: 'query', carrier: 'query parameter "token" of the URL', value: SECRET },
    { type: 'error', seq: 2, t: 2, message: `failed for http://h.test/p?token=${SECRET}`, code: 'X', fatal: false },
    { type: 'message', seq: 3, t: 3, direction: 'in', size: 40, binary: true, data: new TextEncoder().encode(`[${SECRET}]`) },
    { type: 'info', seq: 4, t: 4, message: `id ${SECRET}` },
    { type: 'poll', seq: 5, t: 5, requestId: 1, outcome: 'data', reason: 'new', cursor: SECRET },
  ];

  it('masks every place a token can be, never touches the originals, keeps everything with includeSecrets', () => {
    const before = events.map(toNdjsonLine);
    const out = redactForExport(events, { includeSecrets: false });
    const text = out.map(toNdjsonLine).join('\n') + new TextDecoder().decode((out[3] as Extract<InspectorEvent, { type: 'message' }>).data as Uint8Array);
    assert.ok(!text.includes(SECRET));
    assert.match(text, /«redacted …wxyz»/);
    assert.deepEqual(events.map(toNdjsonLine), before, 'originals unchanged');
    assert.equal((out[3] as Extract<InspectorEvent, { type: 'message' }>).redacted, true);
    assert.equal((out[3] as Extract<InspectorEvent, { type: 'message' }>).size, 40, 'size stays the wire size');
    assert.equal(redactForExport(events, { includeSecrets: true }), events);
    assert.ok(toNdjson(events, { includeSecrets: true }).includes(SECRET));
    assert.ok(!toNdjson(events, { includeSecrets: false }).includes(SECRET));
  });

  it('the HAR masks the session URL everywhere, even under a parameter name that does not look like a token', () => {
    const url = `ws://h.test/ws?room_key=${SECRET}`;
    const evs: InspectorEvent[] = [
      { type: 'session', seq: 0, t: 0, transport: 'ws', url, wallStart: 1, options: {} },
      { type: 'auth', seq: 1, t: 1, method: 'query', carrier: 'query parameter "room_key" of the URL', value: SECRET },
    ];
    const meta = { transport: 'ws' as const, url, wallStart: 1, creator: { name: 'x', version: '1' } };
    assert.ok(!JSON.stringify(toHar(evs, meta, { includeSecrets: false })).includes(SECRET));
    assert.ok(JSON.stringify(toHar(evs, meta, { includeSecrets: true })).includes(SECRET));
  });

  it('secretsOf lists what connect options carry: auth token, credential headers, token-endpoint credentials', () => {
    const got = secretsOf({
      headers: [
        ['Authorization', 'Bearer hdr-token-abcdef'],
        ['Accept', 'text/plain'],
      ],
      auth: { method: 'token-url', url: 'http://h.test/token', body: '{"client_id":"app","client_secret":"cs-0123456789"}', headers: [['X-Api-Key', 'key-9876543210']] },
      redactValues: ['var-secret-value'],
    });
    assert.deepEqual(new Set(got), new Set(['var-secret-value', 'hdr-token-abcdef', 'app', 'cs-0123456789', 'key-9876543210']));
  });

  it('masking twice changes nothing', () => {
    const once = redactForExport(events, { includeSecrets: false });
    const twice = redactForExport(once, { includeSecrets: false });
    assert.deepEqual(twice.map(toNdjsonLine), once.map(toNdjsonLine));
  });
});
