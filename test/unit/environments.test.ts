import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EnvironmentError,
  emptyWorkspaceFile,
  parseWorkspaceFile,
  resolveConnection,
  resolveSavedMessages,
  secretsNeeded,
  serializeWorkspaceFile,
  toSavedConnection,
  upsertConnection,
  upsertEnvironment,
  validateWorkspaceFile,
  variablesUsed,
  type SecretRequest,
  type WorkspaceFile,
} from '../../src/shared/environments';

const STAGING_TOKEN = 'stg-token-6b1f0c9e8d7a';
const PROD_TOKEN = 'prod-token-2c3d4e5f6a7b';
const API_KEY = 'api-key-from-env-9f8e7d';

/** The file a team would commit: no secret values anywhere in it. */
const FILE_TEXT = JSON.stringify({
  version: 1,
  connections: [
    {
      name: 'feed',
      url: 'wss://{{host}}/feed?room={{ room }}',
      transport: 'ws',
      headers: [
        ['X-Team', '{{team}}'],
        ['X-Api-Key', { secretRef: 'env:FEED_API_KEY' }],
      ],
      auth: { method: 'first-message', token: '{{token}}', template: '{"op":"auth","token":"{{token}}","room":"{{room}}"}' },
      options: { timeoutMs: 4000, subprotocols: ['feed.v{{version}}'] },
      savedMessages: [
        { name: 'subscribe', data: '{"op":"sub","room":"{{room}}"}' },
        { name: 'raw', data: 'de ad {{byte}}', encoding: 'hex' },
      ],
    },
    {
      name: 'poller',
      url: 'https://{{host}}/poll',
      transport: 'poll',
      auth: { method: 'bearer', token: { secretRef: 'secret:poller-token' } },
      options: { intervalMs: 500, sendUrl: 'https://{{host}}/send' },
    },
  ],
  environments: [
    { name: 'staging', variables: { host: 'staging.example.test', room: 'lobby', team: 'blue', version: '2', byte: 'ef', token: { secret: true } } },
    { name: 'prod', variables: { host: '{{region}}.example.test', region: 'eu', room: 'main', team: 'red', version: '2', byte: '00', token: { secret: true, secretRef: 'env:PROD_TOKEN' } } },
  ],
});

function lookup(asked: SecretRequest[] = []): (req: SecretRequest) => Promise<string | undefined> {
  return async (req) => {
    asked.push(req);
    if (req.kind === 'variable' && req.environment === 'staging' && req.variable === 'token') return STAGING_TOKEN;
    if (req.kind === 'env' && req.name === 'PROD_TOKEN') return PROD_TOKEN;
    if (req.kind === 'env' && req.name === 'FEED_API_KEY') return API_KEY;
    if (req.kind === 'secret' && req.key === 'poller-token') return 'poller-secret-value';
    return undefined;
  };
}

const load = (): WorkspaceFile => parseWorkspaceFile(FILE_TEXT).file;

describe('workspace file: substitution and secrets', () => {
  it('fills {{variables}} in URL, headers, auth and options; secrets come from the callback and are listed for redaction', async () => {
    const asked: SecretRequest[] = [];
    const o = await resolveConnection(load(), 'feed', 'staging', lookup(asked));
    assert.equal(o.url, 'wss://staging.example.test/feed?room=lobby');
    assert.equal(o.transport, 'ws');
    assert.deepEqual(o.headers, [
      ['X-Team', 'blue'],
      ['X-Api-Key', API_KEY],
    ]);
    assert.deepEqual(o.auth, { method: 'first-message', token: STAGING_TOKEN, template: '{"op":"auth","token":"{{token}}","room":"lobby"}' }, 'the template keeps its own {{token}} for the transport');
    assert.deepEqual(o.subprotocols, ['feed.v2']);
    assert.equal(o.timeoutMs, 4000);
    assert.deepEqual(new Set(o.redactValues), new Set([STAGING_TOKEN, API_KEY]));
    assert.deepEqual(asked, [{ kind: 'env', name: 'FEED_API_KEY' }, { kind: 'variable', environment: 'staging', variable: 'token' }]);
  });

  it('variables may use other variables; a secret variable may point at an env var', async () => {
    const o = await resolveConnection(load(), 'feed', 'prod', lookup());
    assert.equal(o.url, 'wss://eu.example.test/feed?room=main');
    assert.equal((o.auth as { token: string }).token, PROD_TOKEN);
  });

  it('secret: references and the send URL', async () => {
    const o = await resolveConnection(load(), 'poller', 'staging', lookup());
    assert.deepEqual(o.auth, { method: 'bearer', token: 'poller-secret-value' });
    assert.equal(o.sendUrl, 'https://staging.example.test/send');
    assert.equal(o.intervalMs, 500);
    assert.deepEqual(o.redactValues, ['poller-secret-value']);
  });

  it('overrides: --var values win (and stay secret when the variable is), flags win over the file', async () => {
    const o = await resolveConnection(load(), 'feed', 'staging', lookup(), { variables: { host: 'localhost:8080', token: 'cli-token-123456' }, options: { timeoutMs: 999, showSecrets: true } });
    assert.equal(o.url, 'wss://localhost:8080/feed?room=lobby');
    assert.equal((o.auth as { token: string }).token, 'cli-token-123456');
    assert.ok(o.redactValues?.includes('cli-token-123456'));
    assert.equal(o.timeoutMs, 999);
    assert.equal(o.showSecrets, true);
  });

  it('saved messages are substituted; hex ones decoded', async () => {
    const { messages, redactValues } = await resolveSavedMessages(load(), 'feed', 'staging', lookup());
    assert.deepEqual(messages[0], { name: 'subscribe', data: '{"op":"sub","room":"lobby"}' });
    assert.deepEqual([...(messages[1].data as Uint8Array)], [0xde, 0xad, 0xef]);
    assert.deepEqual(redactValues, []);
  });

  it('a missing variable is named with its environment; every problem is listed', async () => {
    const file = load();
    file.environments[0].variables = { host: 'h.test', token: { secret: true } };
    await assert.rejects(resolveConnection(file, 'feed', 'staging', lookup()), (e: unknown) => {
      assert.ok(e instanceof EnvironmentError);
      assert.match(e.message, /\{\{room\}\} is not defined in environment "staging" \(used in the URL of connection "feed"\)/);
      assert.ok(e.problems.some((p) => p.startsWith('{{team}} is not defined in environment "staging"')));
      assert.ok(e.problems.some((p) => p.startsWith('{{version}} is not defined')));
      return true;
    });
    await assert.rejects(resolveConnection(load(), 'poller', undefined, lookup()), /\{\{host\}\} is not defined \(no environment selected\)/);
  });

  it('a secret without a value says where it is kept; unknown names list the known ones', async () => {
    await assert.rejects(resolveConnection(load(), 'feed', 'staging', async () => undefined), (e: unknown) => {
      assert.ok(e instanceof EnvironmentError);
      assert.ok(e.problems.some((p) => /Secret variable "token" in environment "staging" has no value/.test(p)));
      assert.ok(e.problems.some((p) => /Environment variable FEED_API_KEY has no value/.test(p)));
      return true;
    });
    await assert.rejects(resolveConnection(load(), 'nope', 'staging', lookup()), /No connection named "nope" in the file \(there are "feed", "poller"\)/);
    await assert.rejects(resolveConnection(load(), 'feed', 'qa', lookup()), /No environment named "qa" in the file \(there are "staging", "prod"\)/);
  });

  it('a variable defined in terms of itself is reported, not looped on', async () => {
    const file = load();
    file.environments[0].variables.host = '{{host}}.x';
    await assert.rejects(resolveConnection(file, 'poller', 'staging', lookup()), /too deeply/);
  });

  it('secretsNeeded lists what to ask for before connecting', () => {
    assert.deepEqual(secretsNeeded(load(), 'feed', 'staging'), [{ kind: 'env', name: 'FEED_API_KEY' }, { kind: 'variable', environment: 'staging', variable: 'token' }]);
    assert.deepEqual(secretsNeeded(load(), 'feed', 'prod'), [{ kind: 'env', name: 'FEED_API_KEY' }, { kind: 'env', name: 'PROD_TOKEN' }]);
    assert.deepEqual(variablesUsed(load().connections[0]), ['host', 'room', 'team', 'token', 'version', 'byte']);
  });
});

describe('workspace file: validation', () => {
  const errorsOf = (v: unknown): string[] => validateWorkspaceFile(v).errors;

  it('accepts the committed file with no errors', () => {
    const r = validateWorkspaceFile(JSON.parse(FILE_TEXT));
    assert.deepEqual(r.errors, []);
    assert.ok(r.file);
  });

  it('says exactly what is wrong', () => {
    const base = JSON.parse(FILE_TEXT) as { connections: Array<Record<string, unknown>>; environments: Array<Record<string, unknown>> };
    const conn = (patch: Record<string, unknown>) => ({ version: 1, connections: [{ ...base.connections[1], ...patch }], environments: [] });
    assert.ok(errorsOf(conn({ transport: 'websocket' })).includes('Connection "poller": unknown transport "websocket" (use one of poll, long-poll, sse, ws).'));
    assert.ok(errorsOf(conn({ url: '' })).includes('Connection "poller": "url" is missing.'));
    assert.ok(errorsOf(conn({ auth: { method: 'oauth' } }))[0].includes('unknown auth method "oauth"'));
    assert.ok(errorsOf(conn({ auth: { method: 'bearer' } })).includes('Connection "poller": auth method "bearer" needs "token".'));
    assert.ok(errorsOf(conn({ auth: { method: 'bearer', token: { secretRef: 'vault:x' } } }))[0].includes('secretRef "vault:x" must be "env:NAME" or "secret:KEY"'));
    assert.ok(errorsOf(conn({ auth: { method: 'subprotocol', token: '{{t}}' } }))[0].includes('only works with transport "ws"'));
    assert.ok(errorsOf(conn({ options: { intervalMS: 5 } })).includes('Connection "poller": unknown option "intervalMS" (did you mean "intervalMs"?).'));
    assert.ok(errorsOf(conn({ options: { intervalMs: -1 } }))[0].includes('option "intervalMs" must be a number ≥ 0 (got -1)'));
    assert.ok(errorsOf(conn({ options: { showSecrets: true } }))[0].includes('"showSecrets" cannot be saved in a shared file'));
    assert.ok(errorsOf(conn({ headers: [['Bad Header', 'x']] }))[0].includes('"Bad Header" is not a valid header name'));
    assert.ok(errorsOf({ version: 1, connections: [base.connections[0], base.connections[0]], environments: [] }).includes('Two connections are named "feed": names must be unique.'));
    assert.ok(errorsOf({ connections: [] })[0].startsWith('"version" is missing'));
    assert.ok(errorsOf({ version: 7, connections: [] })[0].includes('written by a newer Realtime Inspector'));
    assert.ok(errorsOf({ version: 1, connections: [], environments: [{ name: 'dev', variables: { token: { secret: true, value: 'oops' } } }] })[0].includes('variable "token" is secret, so its value must not be in the file'));
    assert.ok(errorsOf({ version: 1, connections: [], environments: [{ name: 'dev', variables: { '1x': 'a' } }] })[0].includes('"1x" is not a valid variable name'));
  });

  it('warns about plain-text credentials and variables an environment lacks', () => {
    const r = validateWorkspaceFile({
      version: 1,
      connections: [{ name: 'c', url: 'http://{{host}}/s', transport: 'sse', headers: { Authorization: 'Bearer abc123' }, auth: { method: 'query', param: 'token', token: 'literal-token' } }],
      environments: [{ name: 'dev', variables: {} }],
    });
    assert.deepEqual(r.errors, []);
    assert.ok(r.warnings.some((w) => /"Authorization" is written in the file in plain text/.test(w)));
    assert.ok(r.warnings.some((w) => /auth token is written in the file in plain text/.test(w)));
    assert.ok(r.warnings.includes('Connection "c" uses {{host}}, which environment "dev" does not define.'));
  });

  it('parseWorkspaceFile throws one EnvironmentError listing every problem', () => {
    assert.throws(() => parseWorkspaceFile('{ nope'), (e: unknown) => e instanceof EnvironmentError && /not valid JSON/.test(e.message));
    assert.throws(
      () => parseWorkspaceFile(JSON.stringify({ version: 1, connections: [{ name: 'a', url: 'x', transport: 'tcp' }, { url: 'y', transport: 'ws' }] })),
      (e: unknown) => e instanceof EnvironmentError && e.problems.length === 2 && /2 problems/.test(e.message),
    );
  });
});

describe('saving a live connection', () => {
  it('replaces every credential by a secret reference; the written file holds no secret and resolves back to the same options', async () => {
    const live = {
      url: 'wss://h.test/ws',
      transport: 'ws' as const,
      headers: [
        ['Authorization', `Bearer ${STAGING_TOKEN}`],
        ['X-Trace', 'on'],
      ] as Array<[string, string]>,
      auth: { method: 'query' as const, param: 'access_token', token: PROD_TOKEN },
      timeoutMs: 3000,
      showSecrets: true,
    };
    const { connection, secrets } = toSavedConnection('mine', live, [{ name: 'hi', data: 'hello' }]);
    let file = upsertConnection(emptyWorkspaceFile(), connection);
    const text = serializeWorkspaceFile(file);
    assert.ok(!text.includes(STAGING_TOKEN) && !text.includes(PROD_TOKEN), 'no secret in the file');
    assert.ok(!text.includes('showSecrets'));
    assert.ok(text.endsWith('\n'));
    const store = new Map(secrets.map((s) => [s.key, s.value]));
    const back = await resolveConnection(parseWorkspaceFile(text).file, 'mine', undefined, (r) => (r.kind === 'secret' ? store.get(r.key) : undefined));
    assert.equal(back.url, live.url);
    assert.deepEqual(back.headers, live.headers);
    assert.deepEqual(back.auth, live.auth);
    assert.equal(back.timeoutMs, 3000);
    assert.equal(back.showSecrets, undefined);
    file = upsertConnection(file, { ...connection, url: 'wss://h.test/other' });
    assert.equal(file.connections.length, 1);
    assert.equal(file.connections[0].url, 'wss://h.test/other');
    assert.throws(() => upsertEnvironment(file, { name: 'e', variables: { t: { secret: true, value: 'x' } as never } }), EnvironmentError);
  });
});
