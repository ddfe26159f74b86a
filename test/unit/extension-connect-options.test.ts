import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { moveUrlTokenToAuth, optionsFromConfig, rememberedKey, secretPartsOfUrl, withSettings } from '../../src/extension/connectOptions';
import { SETTING_DEFAULTS } from '../../src/extension/settings';
import { parseWorkspaceFile, resolveConnection, serializeWorkspaceFile, toSavedConnection, upsertConnection, emptyWorkspaceFile } from '../../src/shared/environments';
import type { ConnectionConfig } from '../../src/shared/protocol';

const TOKEN = 'tok-1234567890abcdef-SECRET';

function config(auth: ConnectionConfig['auth'], extra: Partial<ConnectionConfig> = {}): ConnectionConfig {
  return { url: 'https://api.example.test/events?topic=a', transport: 'sse', headers: [], auth, subprotocols: [], reconnect: false, insecure: false, ...extra };
}

const ALL_AUTH: Array<ConnectionConfig['auth']> = [
  { method: 'bearer', token: TOKEN },
  { method: 'query', param: 'access_token', token: TOKEN },
  { method: 'cookie', name: 'session', token: TOKEN },
  { method: 'header', name: 'X-API-Key', token: TOKEN },
  { method: 'subprotocol', token: TOKEN, marker: 'access_token' },
  { method: 'first-message', token: TOKEN, template: '{"auth":"{{token}}"}' },
  { method: 'token-url', tokenUrl: 'https://api.example.test/token', httpMethod: 'POST', body: `{"client_secret":"${TOKEN}"}`, placement: 'query' },
];

describe('connect options from the panel form', () => {
  it('maps every auth method and remembers what was typed per endpoint', async () => {
    for (const auth of ALL_AUTH) {
      const { options, typed } = await optionsFromConfig(config(auth, { headers: [['X-Trace', 'on']], intervalMs: 250, sendUrl: 'https://api.example.test/send' }), 'sse');
      assert.equal(options.url, 'https://api.example.test/events?topic=a');
      assert.equal(options.transport, 'sse');
      assert.deepEqual(options.headers, [['X-Trace', 'on']]);
      assert.equal(options.intervalMs, 250);
      assert.equal(options.sendUrl, 'https://api.example.test/send');
      assert.ok(JSON.stringify(options.auth).includes(TOKEN), `${auth.method}: the credential reaches the options`);
      assert.equal(typed.size, 1, `${auth.method}: one remembered credential`);
      assert.ok([...typed.values()][0].includes(TOKEN));
      assert.ok(![...typed.keys()][0].includes(TOKEN), 'keys never hold the value');
    }
  });

  it('takes an empty token from what is remembered for the endpoint, or says none is', async () => {
    const key = rememberedKey('bearer', 'https://api.example.test/other');
    const { options, typed } = await optionsFromConfig(config({ method: 'bearer', token: '' }), 'sse', async (k) => (k === key ? 'kept-token-value' : undefined));
    assert.deepEqual(options.auth, { method: 'bearer', token: 'kept-token-value' });
    assert.equal(typed.size, 0);
    await assert.rejects(optionsFromConfig(config({ method: 'cookie', name: 'session', token: '' }), 'sse'), /cookie value is empty and none is remembered for https:\/\/api\.example\.test/);
  });

  it('fills unset numbers from the settings; the connection wins where it chose', () => {
    const o = withSettings({ url: 'http://x/', transport: 'poll', intervalMs: 250, reconnect: { enabled: false } }, { ...SETTING_DEFAULTS, timeoutMs: 1234, followRedirects: 'none', reconnect: { enabled: true, maxDelayMs: 999 }, logCap: 77 });
    assert.equal(o.intervalMs, 250);
    assert.equal(o.timeoutMs, 1234);
    assert.equal(o.holdTimeoutMs, SETTING_DEFAULTS.longPollHoldTimeoutMs);
    assert.equal(o.redirects, 'none');
    assert.deepEqual(o.reconnect, { enabled: false, maxDelayMs: 999 });
    assert.equal(o.logCap, 77);
    assert.deepEqual(withSettings({ url: 'http://x/', transport: 'poll' }, SETTING_DEFAULTS).reconnect, { enabled: false, maxDelayMs: SETTING_DEFAULTS.reconnect.maxDelayMs });
  });
});

describe('saving a connection to the shared workspace file', () => {
  it('keeps every credential out of the file and resolves it back through the secret store', async () => {
    for (const auth of ALL_AUTH) {
      // A subprotocol token only exists on WebSocket (the file's validation says so too).
      const ws = auth.method === 'subprotocol';
      const { options } = await optionsFromConfig(config(auth, { headers: [['Authorization', `Bearer ${TOKEN}`]], ...(ws ? { url: 'wss://api.example.test/socket', transport: 'ws' } : {}) }), ws ? 'ws' : 'sse');
      const moved = moveUrlTokenToAuth(options);
      assert.ok('options' in moved);
      const { connection, secrets } = toSavedConnection('api', moved.options);
      const text = serializeWorkspaceFile(upsertConnection(emptyWorkspaceFile(), connection));
      assert.ok(!text.includes(TOKEN), `${auth.method}: the workspace file must not hold the token`);
      const store = new Map(secrets.map((s) => [s.key, s.value]));
      const { file } = parseWorkspaceFile(text);
      const back = await resolveConnection(file, 'api', undefined, (req) => (req.kind === 'secret' ? store.get(req.key) : undefined));
      assert.deepEqual(back.auth, options.auth, `${auth.method}: round trip`);
      assert.deepEqual(back.headers, options.headers);
      assert.ok(back.redactValues?.includes(TOKEN) || auth.method === 'token-url', 'resolved secrets are listed for redaction');
    }
  });

  it('moves a token found in the URL into query auth before saving', () => {
    const r = moveUrlTokenToAuth({ url: `wss://rt.example.test/socket?room=1&access_token=${TOKEN}`, transport: 'ws' });
    assert.ok('options' in r);
    assert.equal(r.options.url, 'wss://rt.example.test/socket?room=1');
    assert.deepEqual(r.options.auth, { method: 'query', param: 'access_token', token: TOKEN });
    assert.ok(!serializeWorkspaceFile(upsertConnection(emptyWorkspaceFile(), toSavedConnection('rt', r.options).connection)).includes(TOKEN));
  });

  it('refuses to save a URL with a password, or a token next to other auth', () => {
    const pw = moveUrlTokenToAuth({ url: 'https://user:pa55@api.example.test/x', transport: 'poll' });
    assert.ok('error' in pw && /password/.test(pw.error));
    const both = moveUrlTokenToAuth({ url: 'https://api.example.test/x?token=abcdef', transport: 'poll', auth: { method: 'bearer', token: TOKEN } });
    assert.ok('error' in both && /"token" looks like a credential/.test(both.error));
    assert.deepEqual(secretPartsOfUrl('https://api.example.test/x?page=2&q=abc'), { params: [], password: false });
  });
});
