/**
 * The Analysis part of the host↔webview protocol: strict guards for what the webview (or a
 * command's argument) may ask, the host-side mapping to plain, redacted views, and titles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthMatrixRow } from '../../src/analysis/authMatrix';
import type { ComparisonResult } from '../../src/analysis/compare';
import { analysisTitle, authMatrixView, comparisonView, endpointLabel, rememberedToken } from '../../src/extension/analysisRunner';
import { rememberedKey } from '../../src/extension/connectOptions';
import { EdgeRedactor } from '../../src/extension/edgeRedaction';
import { isAuthMatrixParams, isCompareParams, isFromWebview, isToWebview } from '../../src/shared/protocol';

const TOKEN = 'sekret-token-0123456789';

describe('RunAuthMatrixRequest guard', () => {
  const ok = (extra: Record<string, unknown> = {}) => ({ type: 'RunAuthMatrixRequest', transport: 'ws', ...extra });

  it('accepts the demo form and a full request', () => {
    assert.ok(isFromWebview(ok()));
    for (const t of ['poll', 'long-poll', 'sse', 'ws']) assert.ok(isFromWebview(ok({ transport: t })), t);
    assert.ok(isFromWebview(ok({ url: 'wss://example.com/auth/{method}/socket', token: TOKEN, tokenUrl: 'https://example.com/token', timeoutMs: 5000 })));
    assert.ok(isFromWebview(ok({ transport: 'sse', url: 'http://127.0.0.1:9/sse?x=1', token: '' })), 'an empty token means: the remembered one');
    assert.ok(isFromWebview(ok({ timeoutMs: 100 })) && isFromWebview(ok({ timeoutMs: 60_000 })));
  });

  it('rejects every field that is off, and any field it does not know', () => {
    for (const [what, m] of [
      ['unknown transport', ok({ transport: 'smoke' })],
      ['no transport', { type: 'RunAuthMatrixRequest' }],
      ['url not a string', ok({ url: 42 })],
      ['empty url', ok({ url: '' })],
      ['not a url', ok({ url: 'not a url' })],
      ['file url', ok({ url: 'file:///etc/passwd' })],
      ['javascript url', ok({ url: 'javascript:alert(1)' })],
      ['url with a space', ok({ url: 'http://x/a b' })],
      ['url with a newline', ok({ url: 'http://x/\nInjected: 1' })],
      ['url too long', ok({ url: `http://x/${'a'.repeat(9000)}` })],
      ['token not a string', ok({ token: 123 })],
      ['token with a line break', ok({ token: 'a\r\nX-Evil: 1' })],
      ['token too long', ok({ token: 'a'.repeat(65_537) })],
      ['ws token endpoint', ok({ tokenUrl: 'ws://x/token' })],
      ['token endpoint not a url', ok({ tokenUrl: 'token' })],
      ['timeout too small', ok({ timeoutMs: 99 })],
      ['timeout too large', ok({ timeoutMs: 60_001 })],
      ['timeout not whole', ok({ timeoutMs: 1000.5 })],
      ['timeout a string', ok({ timeoutMs: '5000' })],
      ['unknown field', ok({ sendUrl: 'http://x/send' })],
      ['prototype trick', ok({ __proto__: { url: 'x' }, constructor: 1 })],
    ] as const) {
      assert.equal(isFromWebview(m), false, what);
    }
  });

  it('checks a command argument the same way, without the type field', () => {
    assert.ok(isAuthMatrixParams({ transport: 'sse' }));
    assert.equal(isAuthMatrixParams({ type: 'RunAuthMatrixRequest', transport: 'sse' }), false, 'type is not a parameter');
    assert.equal(isAuthMatrixParams(null), false);
    assert.equal(isAuthMatrixParams(['ws']), false);
    assert.equal(isAuthMatrixParams('ws'), false);
  });
});

describe('CompareTransportsRequest guard', () => {
  const ok = (extra: Record<string, unknown> = {}) => ({ type: 'CompareTransportsRequest', seconds: 5, ...extra });

  it('accepts the demo form and URLs per transport with matching schemes', () => {
    assert.ok(isFromWebview(ok()));
    assert.ok(isFromWebview(ok({ seconds: 1 })) && isFromWebview(ok({ seconds: 60 })));
    assert.ok(isFromWebview(ok({ urls: { ws: 'wss://example.com/s', sse: 'https://example.com/e', poll: 'http://127.0.0.1:9/p', 'long-poll': 'http://127.0.0.1:9/lp' }, intervalMs: 0 })));
    assert.ok(isFromWebview(ok({ urls: { sse: 'http://127.0.0.1:9/e' } })));
  });

  it('rejects bad durations, empty or unknown URL maps, wrong schemes and unknown fields', () => {
    for (const [what, m] of [
      ['no seconds', { type: 'CompareTransportsRequest' }],
      ['zero seconds', ok({ seconds: 0 })],
      ['61 seconds', ok({ seconds: 61 })],
      ['fractional seconds', ok({ seconds: 2.5 })],
      ['seconds as string', ok({ seconds: '5' })],
      ['empty urls', ok({ urls: {} })],
      ['urls an array', ok({ urls: ['http://x'] })],
      ['unknown transport key', ok({ urls: { smoke: 'http://x/' } })],
      ['http url for ws', ok({ urls: { ws: 'http://x/' } })],
      ['ws url for sse', ok({ urls: { sse: 'ws://x/' } })],
      ['not a url', ok({ urls: { poll: 'poll' } })],
      ['url not a string', ok({ urls: { poll: 1 } })],
      ['negative interval', ok({ intervalMs: -1 })],
      ['huge interval', ok({ intervalMs: 600_001 })],
      ['unknown field', ok({ mode: 'sequential' })],
    ] as const) {
      assert.equal(isFromWebview(m), false, what);
    }
    assert.equal(isCompareParams({ seconds: 3, urls: { ws: 'ws://127.0.0.1:1/' } }), true);
    assert.equal(isCompareParams({ type: 'CompareTransportsRequest', seconds: 3 }), false);
  });
});

describe('host messages for the Analysis view', () => {
  it('isToWebview knows the new facts', () => {
    for (const type of ['DidRunAuthMatrix', 'DidCompareTransports', 'DidChangeAnalysisState']) assert.ok(isToWebview({ type }), type);
    assert.equal(isToWebview({ type: 'DidRunSomethingElse' }), false);
  });
});

describe('analysis views built by the host', () => {
  const row = (over: Partial<AuthMatrixRow>): AuthMatrixRow => ({ placement: 'bearer', carrier: 'Authorization: Bearer header', url: 'http://127.0.0.1:9/x', outcome: 'rejected', evidence: '', risk: 'r', ...over });

  it('auth matrix rows: only the view fields, every string and URL through the edge redaction', () => {
    const r = new EdgeRedactor();
    r.addSecret(TOKEN);
    const view = authMatrixView(
      [
        row({ evidence: `401: token ${TOKEN} unknown`, answer: `{"token":"${TOKEN}"}`, closeReason: TOKEN, status: 401, timeMs: 3.2 }),
        row({ placement: 'query', url: `http://127.0.0.1:9/x?access_token=${TOKEN}`, carrier: `query parameter ${TOKEN}`, outcome: 'accepted', risk: `risk ${TOKEN}` }),
      ],
      'sse',
      `http://127.0.0.1:9/{method}?token=${TOKEN}`,
      r,
    );
    const json = JSON.stringify(view);
    assert.ok(!json.includes(TOKEN), json);
    assert.match(view.rows[0].evidence, /^401: token «redacted/);
    assert.deepEqual(Object.keys(view.rows[0]).sort(), ['carrier', 'evidence', 'outcome', 'placement', 'risk', 'status', 'timeMs', 'url']);
    assert.match(view.url, /token=«redacted/);
    assert.equal(view.transport, 'sse');
  });

  it('comparison: hints reduced to id, severity and message; errors, notes and URLs redacted', () => {
    const r = new EdgeRedactor();
    r.addSecret(TOKEN);
    const dist = { samples: 0 };
    const result: ComparisonResult = {
      mode: 'concurrent',
      durationMs: 1000,
      intervalMs: 100,
      startedAt: 1,
      notes: [`note ${TOKEN}`],
      rows: [
        {
          transport: 'poll',
          url: `http://127.0.0.1:9/p?key=${TOKEN}`,
          ok: false,
          error: `refused ${TOKEN}`,
          ranMs: 5,
          delivered: 0,
          messagesIn: 0,
          missed: 0,
          seqRange: [1, 2],
          latencyMs: dist,
          requests: 1,
          uselessRequests: 0,
          wireBytes: 10,
          payloadBytes: 0,
          reconnects: 0,
          gapMs: dist,
          connections: 1,
          hints: [{ id: 'h', severity: 'risk', transport: 'poll', message: `m ${TOKEN}`, numbers: { token: TOKEN }, why: TOKEN, suggestion: TOKEN }],
        },
      ],
    };
    const view = comparisonView(result, r);
    assert.ok(!JSON.stringify(view).includes(TOKEN), JSON.stringify(view));
    assert.deepEqual(Object.keys(view.rows[0].hints[0]).sort(), ['id', 'message', 'severity']);
    assert.equal(view.rows[0].hints[0].severity, 'risk');
    assert.match(view.rows[0].hints[0].message, /^m «redacted/);
    assert.match(view.rows[0].error ?? '', /^refused «redacted/);
    assert.equal('seqRange' in view.rows[0], false);
    assert.equal('bytesPerMessage' in view.rows[0], false, 'no bytes per message without messages');
  });

  it('titles name the run without credentials', () => {
    assert.equal(analysisTitle('auth-matrix', { transport: 'ws' }), 'Auth matrix: WebSocket on the demo server');
    assert.equal(analysisTitle('auth-matrix', { transport: 'sse', url: `https://user:${TOKEN}@api.example.com/auth/{method}/sse?access_token=${TOKEN}`, token: TOKEN }), 'Auth matrix: SSE on api.example.com');
    assert.equal(analysisTitle('compare', { seconds: 5 }), 'Transport comparison: all four transports on the demo server, 5 s');
    assert.equal(analysisTitle('compare', { seconds: 3, urls: { ws: 'ws://a.example:81/s', sse: 'http://a.example:81/e' } }), 'Transport comparison: SSE, WebSocket on a.example:81, 3 s');
    assert.equal(endpointLabel('nonsense'), 'the endpoint');
  });

  it('finds the token remembered for an endpoint, by origin and carrier', async () => {
    const store = new Map([[rememberedKey('cookie', 'https://api.example.com/anything', 'session'), 'cookie-value']]);
    const get = async (k: string) => store.get(k);
    assert.equal(await rememberedToken('https://api.example.com/auth/{method}/sse', get), 'cookie-value');
    assert.equal(await rememberedToken('https://other.example.com/sse', get), undefined);
    store.set(rememberedKey('bearer', 'https://api.example.com/'), 'bearer-value');
    assert.equal(await rememberedToken('https://api.example.com/x', get), 'bearer-value', 'bearer first');
  });
});
