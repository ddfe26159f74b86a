/**
 * Pure parts of the webview (no DOM): formatting, inert text, filters, the connection form
 * to ConnectionConfig, host message checks, view state restore, payload extraction.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFromWebview, type EventRow } from '../../src/shared/protocol';
import { toColumns } from '../../src/shared/rows';
import { checkDraft } from '../../src/webview/drafts';
import { applyDefaults, buildConfig } from '../../src/webview/connectionConfig';
import { compileFilter } from '../../src/webview/filter';
import { fmtBytes, fmtClock, fmtCount, fmtMs, hexDumpLines, inertText } from '../../src/webview/format';
import { checkHostMessage, checkRow } from '../../src/webview/hostMessages';
import { exchangeEvents, payloadBytes, payloadOf } from '../../src/webview/payload';
import { defaultForm, persistableForm, restoreState } from '../../src/webview/state';

const row = (p: Partial<EventRow>): EventRow => ({ seq: 0, t: 0, type: 'message', dir: 'in', size: 1, label: 'text', preview: '', ...p });

describe('format', () => {
  it('formats clock times, durations, bytes and counts', () => {
    assert.equal(fmtClock(0), '00:00.000');
    assert.equal(fmtClock(61_234.9), '01:01.234');
    assert.equal(fmtClock(3_723_004), '1:02:03.004');
    assert.equal(fmtClock(-5), '00:00.000');
    assert.equal(fmtMs(0.4213), '0.42 ms');
    assert.equal(fmtMs(499.7), '500 ms');
    assert.equal(fmtMs(3200), '3.20 s');
    assert.equal(fmtBytes(1023), '1023 B');
    assert.equal(fmtBytes(176_332), '172.2 KB');
    assert.equal(fmtBytes(-1), '');
    assert.equal(fmtCount(1_234_567), '1,234,567');
    assert.equal(fmtCount(999), '999');
    assert.equal(fmtCount(-1000), '-1,000');
  });

  it('makes control, ANSI, bidi and invisible characters visible and inert', () => {
    assert.equal(inertText('a\u001b[31mb\u0000\u007f'), 'a␛[31mb␀␡');
    assert.equal(inertText('x\u202Eexe.txt\u2066\u200B\uFEFF'), 'x⟨RLO⟩exe.txt⟨LRI⟩⟨ZWSP⟩⟨BOM⟩');
    assert.equal(inertText('line1\nline2\ttab'), 'line1\nline2\ttab', 'newlines and tabs stay');
    assert.equal(inertText('\u0085'), '⟨U+0085⟩');
    assert.equal(inertText('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>', 'markup is text, nothing to change');
  });

  it('dumps hex lines with offsets, a gap after 8 bytes and printable ASCII', () => {
    const bytes = new Uint8Array(20).map((_, i) => (i === 0 ? 0x41 : i));
    const d = hexDumpLines(bytes, 0, 10);
    assert.equal(d.offsets, '00000000\n00000010');
    assert.equal(d.hex.split('\n')[0], '41 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f');
    assert.equal(d.hex.split('\n')[1], '10 11 12 13');
    assert.equal(d.ascii, 'A...............\n....');
    assert.equal(hexDumpLines(bytes, 1, 2).offsets, '00000010');
  });
});

describe('filter', () => {
  const rows: EventRow[] = [
    row({ seq: 1, dir: 'in', preview: 'Hello World' }),
    row({ seq: 2, dir: 'out', preview: 'bye' }),
    row({ seq: 3, type: 'response', label: '500', preview: 'HTTP/1.1 500', error: true }),
    row({ seq: 4, type: 'state', dir: '', label: 'open', preview: 'connecting → open' }),
    row({ seq: 5, type: 'message', preview: 'x', id: 'evt-42' }),
  ];
  const seqs = (f: ReturnType<typeof compileFilter>): number[] => rows.filter(f.test).map((r) => r.seq);

  it('is inactive when nothing is set, so the view can be the row array', () => {
    assert.equal(compileFilter({ dir: 'all', kinds: [], text: '  ' }).active, false);
    assert.equal(compileFilter({ dir: 'all', kinds: ['messages', 'http', 'control', 'errors'], text: '' }).active, false);
  });

  it('matches plain text case-insensitively in preview, label, type and SSE id', () => {
    assert.deepEqual(seqs(compileFilter({ dir: 'all', kinds: [], text: 'hello' })), [1]);
    assert.deepEqual(seqs(compileFilter({ dir: 'all', kinds: [], text: 'RESPONSE' })), [3]);
    assert.deepEqual(seqs(compileFilter({ dir: 'all', kinds: [], text: 'evt-4' })), [5]);
  });

  it('matches /regex/flags, ignoring g and y so test() stays stateless', () => {
    const f = compileFilter({ dir: 'all', kinds: [], text: '/^h.*d$/gi' });
    assert.equal(f.error, undefined);
    assert.deepEqual(seqs(f), [1]);
    assert.deepEqual(seqs(f), [1], 'same answer twice');
  });

  it('reports an invalid regex and does not apply it', () => {
    const f = compileFilter({ dir: 'out', kinds: [], text: '/([a-/' });
    assert.match(f.error ?? '', /^Invalid regular expression/);
    assert.deepEqual(seqs(f), [2], 'the direction still applies');
  });

  it('filters by direction and by kinds (any of them), errors across kinds', () => {
    assert.deepEqual(seqs(compileFilter({ dir: 'in', kinds: [], text: '' })), [1, 3, 5]);
    assert.deepEqual(seqs(compileFilter({ dir: 'all', kinds: ['errors'], text: '' })), [3]);
    assert.deepEqual(seqs(compileFilter({ dir: 'all', kinds: ['control'], text: '' })), [4]);
    assert.deepEqual(seqs(compileFilter({ dir: 'all', kinds: ['messages', 'errors'], text: '' })), [1, 2, 3, 5]);
  });
});

describe('connection form to ConnectionConfig', () => {
  const secrets = { token: '', tokenBody: '' };

  it('lists every problem in a sentence and builds nothing', () => {
    const form = { ...defaultForm(), url: 'example.com', authMethod: 'query' as const, queryParam: 'a b', intervalMs: '1.5', headers: [['Bad Header', 'x'] as [string, string]] };
    const r = buildConfig(form, secrets);
    assert.equal(r.config, undefined);
    assert.deepEqual(r.errors, [
      'The URL is not a valid URL (it needs a scheme, e.g. https://example.com/stream).',
      'Header name "Bad Header" is not a valid HTTP header name.',
      'The query parameter name must not contain spaces or ; = , : characters.',
      'The token is empty: type it, or choose "No authentication".',
      'The poll interval must be a whole number of milliseconds (got "1.5").',
    ]);
    assert.deepEqual(buildConfig({ ...defaultForm(), url: 'ftp://x/' }, secrets).errors, ['The URL must start with http://, https://, ws:// or wss:// (got ftp://).']);
  });

  it('builds configs the host guard accepts, for every auth method', () => {
    const base = { ...defaultForm(), url: 'wss://127.0.0.1:9/s', transport: 'ws' as const, subprotocols: 'a, b ,', headers: [['X-A', '1'], ['', '']] as Array<[string, string]> };
    for (const authMethod of ['none', 'query', 'bearer', 'cookie', 'header', 'subprotocol', 'first-message', 'token-url'] as const) {
      const r = buildConfig({ ...base, authMethod, tokenUrl: 'http://127.0.0.1:9/token' }, { token: 'tok', tokenBody: '{"k":1}' });
      assert.deepEqual(r.errors, [], authMethod);
      assert.ok(isFromWebview({ type: 'ConnectRequest', config: r.config }), authMethod);
      assert.deepEqual(r.config!.subprotocols, ['a', 'b']);
      assert.deepEqual(r.config!.headers, [['X-A', '1']]);
      assert.equal(r.config!.auth.method, authMethod);
    }
    const fm = buildConfig({ ...base, authMethod: 'first-message', template: '{"t":"x"}' }, { token: 't', tokenBody: '' });
    assert.deepEqual(fm.errors, ['The first-message template must contain {{token}} where the token goes.']);
  });

  it('fills the form from host defaults, tokens into secrets only', () => {
    const form = defaultForm();
    const s = { token: '', tokenBody: '' };
    applyDefaults(form, s, { url: 'http://127.0.0.1:1/sse', transport: 'sse', intervalMs: 250, subprotocols: ['x', 'y'], auth: { method: 'cookie', name: 'session', token: 'secret' } });
    assert.equal(form.url, 'http://127.0.0.1:1/sse');
    assert.equal(form.intervalMs, '250');
    assert.equal(form.subprotocols, 'x, y');
    assert.equal(form.authMethod, 'cookie');
    assert.equal(s.token, 'secret');
    assert.ok(!JSON.stringify(form).includes('secret'));
  });
});

describe('view state', () => {
  it('restores whatever getState returns into a valid state', () => {
    assert.deepEqual(restoreState(undefined), restoreState({}));
    const s = restoreState({ v: 1, form: { url: 42, transport: 'carrier-pigeon', authMethod: 'bearer', headers: [['a', 'b'], ['bad']] }, filter: { dir: 'up', kinds: ['http', 'nope'] }, composer: { saved: [{ name: 'n', data: 'd', format: 'hex' }, { data: 1 }] }, detailTab: 'timing' });
    assert.equal(s.form.url, '');
    assert.equal(s.form.transport, 'auto');
    assert.equal(s.form.authMethod, 'bearer');
    assert.deepEqual(s.form.headers, [['a', 'b']]);
    assert.equal(s.filter.dir, 'all');
    assert.deepEqual(s.filter.kinds, ['http']);
    assert.deepEqual(s.composer.saved, [{ name: 'n', data: 'd', format: 'hex' }]);
    assert.equal(s.detailTab, 'timing');
  });

  it('does not persist values of credential-looking headers', () => {
    const f = persistableForm({ ...defaultForm(), headers: [['Authorization', 'Bearer x'], ['X-Api-Key', 'k'], ['Accept', 'text/event-stream']] });
    assert.deepEqual(f.headers, [['Authorization', ''], ['X-Api-Key', ''], ['Accept', 'text/event-stream']]);
  });
});

describe('host message checks', () => {
  const stats = { messagesIn: 1, messagesOut: 0, bytesIn: 1, bytesOut: 0, rateIn: 0, byteRateIn: 0, overheadPerMessage: 0, polls: 0, uselessPolls: 0, reconnects: 0, errors: 0 };

  it('drops messages that do not fit, with a reason', () => {
    for (const [m, reason] of [
      [null, /not a protocol message/],
      [{ type: 'Nope' }, /unknown message type "Nope"/],
      [{ type: 'DidAppendRows', sessionId: 's', rows: {}, total: 0, dropped: 0, stats }, /rows are not columns of equal length/],
      [{ type: 'DidAppendRows', sessionId: 's', rows: [{ seq: 1, t: 0, type: 'state' }], total: 1, dropped: 0, stats }, /rows are not columns/],
      [{ type: 'DidAppendRows', sessionId: 's', rows: { ...toColumns([]), seq: [1] }, total: 1, dropped: 0, stats }, /rows are not columns of equal length/],
      [{ type: 'DidAppendRows', sessionId: 's', rows: toColumns([]), total: '1', dropped: 0, stats }, /total or dropped/],
      [{ type: 'DidLoadDetail', sessionId: 's', seq: 1, event: { type: 'message' }, related: [] }, /event is not an event/],
      [{ type: 'DidChangeSession', session: { id: 's' } }, /session does not have/],
    ] as const) {
      const r = checkHostMessage(m);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, reason);
    }
  });

  it('keeps good rows of a batch, skips bad ones, and makes strings inert', () => {
    const cols = toColumns([
      { seq: 1, t: 0, type: 'message', dir: 'in', size: 2, label: 'text', preview: 'a\u202Eb\u001b', id: '7\u001b' },
      { seq: 'x', t: 0, type: 'state', dir: '', size: -1, label: '', preview: '' } as unknown as EventRow,
      { seq: 2, t: 0, type: 'bogus', dir: '', size: -1, label: '', preview: '' } as unknown as EventRow,
      { seq: 3, t: 1, type: 'error', dir: 'sideways', size: 'big', label: 5, preview: 'boom', error: true } as unknown as EventRow,
    ]);
    const r = checkHostMessage({ type: 'DidAppendRows', sessionId: 's', rows: { ...cols, ids: [...cols.ids, 'junk', [99, 'x']] }, total: 4, dropped: 0, stats });
    assert.ok(r.ok);
    assert.equal(r.skippedRows, 2);
    const m = r.message as { rows: EventRow[] };
    assert.deepEqual(m.rows, [
      { seq: 1, t: 0, type: 'message', dir: 'in', size: 2, label: 'text', preview: 'a·b·', id: '7·' },
      { seq: 3, t: 1, type: 'error', dir: '', size: -1, label: '', preview: 'boom', error: true },
    ]);
    assert.equal(checkRow({ seq: 1, t: 0, type: 'state', preview: 'x'.repeat(1000) })!.preview.length, 240);
  });

  it('keeps only valid defaults (auth checked by the protocol guard)', () => {
    const r = checkHostMessage({ type: 'Snapshot', sessions: [], rows: toColumns([]), hints: [], settings: { logCap: 10 }, defaults: { url: 'http://x/', intervalMs: 'soon', auth: { method: 'bearer' } } });
    assert.ok(r.ok);
    const m = r.message as { defaults: unknown; settings: unknown };
    assert.deepEqual(m.defaults, { url: 'http://x/' });
    assert.deepEqual(m.settings, { logCap: 10, revealSecrets: false });
  });
});

describe('payload', () => {
  it('finds the payload of each event kind', () => {
    assert.deepEqual(payloadOf({ type: 'message', seq: 1, t: 0, direction: 'in', size: 5, binary: false, data: 'héllo' }), { kind: 'text', text: 'héllo', size: 5 });
    assert.deepEqual(payloadOf({ type: 'pong', seq: 1, t: 0, direction: 'in', size: 2, data: 'AQI=', encoding: 'base64' }), { kind: 'binary', base64: 'AQI=', size: 2 });
    assert.deepEqual(payloadOf({ type: 'error', seq: 1, t: 0, code: 'X', message: 'm', detail: 'd', fatal: false }), { kind: 'text', text: 'm\n\nd', size: 4 });
    assert.deepEqual(payloadOf({ type: 'state', seq: 1, t: 0, state: 'open', previous: 'connecting' }), { kind: 'none' });
  });

  it('decodes only the prefix of a payload that is shown', () => {
    const b = payloadBytes({ kind: 'binary', base64: 'AAECAwQFBgcICQ==', size: 10 }, 4);
    assert.deepEqual([...b], [0, 1, 2, 3]);
    assert.deepEqual([...payloadBytes({ kind: 'text', text: 'é€', size: 5 }, 3)], [0xc3, 0xa9, 0xe2]);
  });

  it('orders and deduplicates the related exchange', () => {
    const a = { type: 'state', seq: 5, t: 0, state: 'open', previous: 'connecting' } as const;
    const b = { type: 'state', seq: 2, t: 0, state: 'connecting', previous: 'closed' } as const;
    assert.deepEqual(
      exchangeEvents(a, [b, a]).map((e) => e.seq),
      [2, 5],
    );
  });
});

describe('composer drafts', () => {
  it('checks JSON, hex and base64 before sending', () => {
    assert.equal(checkDraft('text', '\u0000 anything'), undefined);
    assert.match(checkDraft('json', '{') ?? '', /^Not valid JSON/);
    assert.equal(checkDraft('json', '{"a":1}'), undefined);
    assert.equal(checkDraft('hex', 'de ad:be,ef'), undefined);
    assert.match(checkDraft('hex', 'abc') ?? '', /^Not a hex string/);
    assert.equal(checkDraft('base64', '3q2+7w=='), undefined);
    assert.match(checkDraft('base64', '3q2+7w=') ?? '', /^Not valid base64/);
  });
});
