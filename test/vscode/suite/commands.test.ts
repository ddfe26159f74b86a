/**
 * The extension's commands inside a real VS Code (code-server), against the embedded demo
 * server on 127.0.0.1. Commands take arguments that skip their prompts; the extension's
 * exports (a read-only, redacted API) show what they did.
 */
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEMO_TOKEN } from '../../../src/demo/server';
import type { RealtimeInspectorApi } from '../../../src/extension/api';
import { COMMAND_NAMES, commandId } from '../../../src/extension/commandIds';
import type { SessionSummary } from '../../../src/shared/protocol';
import type { JsonEvent } from '../../../src/shared/serialize';

const EXTENSION_ID = 'realtime-inspector.realtime-inspector';

async function api(): Promise<RealtimeInspectorApi> {
  const ext = vscode.extensions.getExtension<RealtimeInspectorApi>(EXTENSION_ID);
  assert.ok(ext, 'extension installed');
  return ext.activate();
}

const run = (name: string, ...args: unknown[]): Thenable<unknown> => vscode.commands.executeCommand(commandId(name as (typeof COMMAND_NAMES)[number]), ...args);

/** Polls `probe` until it returns a value (the API has no events to wait on); fails with `what` after `ms`. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a command that creates a session and returns the new session. */
async function newSession(create: () => Thenable<unknown>): Promise<SessionSummary> {
  const a = await api();
  const before = new Set((await a.sessions()).map((s) => s.id));
  await create();
  return until('a new session', async () => (await a.sessions()).find((s) => !before.has(s.id)));
}

async function events(id: string): Promise<JsonEvent[]> {
  const list = await (await api()).events(id);
  assert.ok(list, `session ${id} exists`);
  return list;
}

async function state(id: string): Promise<string | undefined> {
  return (await (await api()).sessions()).find((s) => s.id === id)?.state;
}

function inspectorTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('realtimeInspector.panel'));
}

suite('Realtime Inspector commands', () => {
  suiteTeardown(async () => {
    await run('disconnectAll');
    await run('stopDemoServer');
  });

  test('every contributed command is registered', async () => {
    await api();
    const all = new Set(await vscode.commands.getCommands(true));
    for (const name of COMMAND_NAMES) assert.ok(all.has(commandId(name)), commandId(name));
  });

  test('connectToDemo opens the inspector and a live WebSocket session that receives ticks', async () => {
    const s = await newSession(() => run('connectToDemo', 'ws'));
    assert.equal(s.transport, 'ws');
    assert.equal(s.readOnly, false);
    assert.equal(await until('open', async () => (await state(s.id)) === 'open' && 'open'), 'open');
    await until('an incoming tick', async () => (await events(s.id)).some((e) => e.type === 'message' && e.direction === 'in'));
    assert.equal(inspectorTabs().length, 1, 'one inspector panel');
    assert.equal(await (await api()).activeSessionId(), s.id, 'the inspector shows the new session');
    assert.match((await (await api()).demoUrl()) ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('sendMessage sends JSON and hex, the demo echoes them; invalid JSON is refused and nothing is sent', async () => {
    const s = await newSession(() => run('connectToDemo', 'ws'));
    await until('open', async () => (await state(s.id)) === 'open');
    await run('sendMessage', s.id, '{"hello":"inspector"}', 'json');
    await run('sendMessage', s.id, 'de ad be ef', 'hex');
    const out = await until('two outgoing messages', async () => {
      const o = (await events(s.id)).filter((e) => e.type === 'message' && e.direction === 'out');
      return o.length >= 2 && o;
    });
    assert.equal(out[0].type === 'message' && out[0].data, '{"hello":"inspector"}');
    assert.ok(out[1].type === 'message' && out[1].binary && out[1].data === '3q2+7w==', 'binary sent as bytes (base64 in JSON)');
    await until('the echo', async () => (await events(s.id)).some((e) => e.type === 'message' && e.direction === 'in' && typeof e.data === 'string' && e.data.includes('inspector')));
    await run('sendMessage', s.id, '{"broken": }', 'json');
    await run('sendMessage', s.id, 'xyz', 'hex');
    const after = (await events(s.id)).filter((e) => e.type === 'message' && e.direction === 'out');
    assert.equal(after.length, 2, 'bad input sent nothing');
    assert.equal(await state(s.id), 'open', 'the session keeps running');
  });

  test('copyUrl, copyAsCurl and the API never show the token', async () => {
    const s = await newSession(() => run('connectToDemo', 'ws-query'));
    await until('open', async () => (await state(s.id)) === 'open');
    await run('copyUrl', s.id);
    const url = await vscode.env.clipboard.readText();
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/auth\/query\/ws\?access_token=«redacted/);
    await run('copyAsCurl', s.id);
    const curl = await vscode.env.clipboard.readText();
    assert.match(curl, /^curl --http1\.1 --include --no-buffer .*Upgrade: websocket/);
    assert.ok(!url.includes(DEMO_TOKEN) && !curl.includes(DEMO_TOKEN));
    assert.ok(!JSON.stringify(await events(s.id)).includes(DEMO_TOKEN), 'the API is redacted');
    assert.ok(!JSON.stringify(await (await api()).sessions()).includes(DEMO_TOKEN));
  });

  test('exportSession writes redacted NDJSON; importSession reads it back as a read-only session', async () => {
    const s = await newSession(() => run('connectToDemo', 'sse-bearer'));
    await until('a message', async () => (await events(s.id)).some((e) => e.type === 'message'));
    await run('disconnect', s.id);
    await until('closed', async () => (await state(s.id)) === 'closed');
    const file = vscode.Uri.file(path.join(os.tmpdir(), `ri-export-${process.pid}-${Date.now()}.ndjson`));
    await run('exportSession', s.id, file);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, (await events(s.id)).length, 'one line per kept event');
    for (const l of lines) JSON.parse(l);
    assert.ok(!text.includes(DEMO_TOKEN), 'redacted export');
    assert.ok(text.includes('«redacted'), 'with redaction marks');

    const imported = await newSession(() => run('importSession', file));
    assert.equal(imported.readOnly, true);
    assert.equal(imported.transport, 'sse');
    assert.equal(imported.state, 'closed');
    assert.equal((await events(imported.id)).length, lines.length);
    await vscode.workspace.fs.delete(file);
  });

  test('a HAR export reads back through importSession', async () => {
    const s = await newSession(() => run('connectToDemo', 'ws-query'));
    await run('sendMessage', s.id, 'hello har');
    await until('the echo', async () => (await events(s.id)).some((e) => e.type === 'message' && e.direction === 'in' && typeof e.data === 'string' && e.data.includes('hello har')));
    await run('disconnect', s.id);
    await until('closed', async () => (await state(s.id)) === 'closed');
    const file = vscode.Uri.file(path.join(os.tmpdir(), `ri-export-${process.pid}-${Date.now()}.har`));
    await run('exportSession', s.id, file);
    const har = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(file))) as { log: { entries: Array<{ _resourceType?: string; _webSocketMessages?: unknown[] }> } };
    const upgrade = har.log.entries.find((e) => e._resourceType === 'websocket');
    assert.ok(upgrade?._webSocketMessages?.length, 'the upgrade entry carries the messages');
    assert.ok(!JSON.stringify(har).includes(DEMO_TOKEN), 'redacted HAR');
    const imported = await newSession(() => run('importSession', file));
    assert.equal(imported.transport, 'ws');
    assert.ok((await events(imported.id)).some((e) => e.type === 'message' && e.direction === 'out' && e.data === 'hello har'));
    await vscode.workspace.fs.delete(file);
  });

  test('clearLog empties a log; disconnect closes the connection', async () => {
    const s = await newSession(() => run('connectToDemo', 'long-poll'));
    await until('a message', async () => (await events(s.id)).some((e) => e.type === 'message'));
    await run('disconnect', s.id);
    await until('closed', async () => (await state(s.id)) === 'closed');
    await run('clearLog', s.id);
    assert.deepEqual(await events(s.id), []);
  });

  test('saveConnection keeps the token out of the workspace file; connectSaved gets it from secret storage', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test run opens a folder');
    const s = await newSession(() => run('connectToDemo', 'long-poll-cookie'));
    await until('open', async () => (await state(s.id)) === 'open');
    const name = `saved ${Date.now()}`;
    await run('saveConnection', s.id, name);
    const uri = vscode.Uri.joinPath(folder.uri, '.vscode', 'realtime-inspector.json');
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.ok(!text.includes(DEMO_TOKEN), 'no token in the workspace file');
    const file = JSON.parse(text) as { version: number; connections: Array<{ name: string; auth?: unknown }> };
    assert.equal(file.version, 1, 'the shared workspace file format (the CLI reads it too)');
    const saved = file.connections.find((c) => c.name === name);
    assert.deepEqual(saved?.auth, { method: 'cookie', name: 'session', value: { secretRef: `secret:connection/${name}/token` } });
    await run('disconnect', s.id);

    const again = await newSession(() => run('connectSaved', name));
    assert.equal(again.name, name);
    assert.equal(await until('open with the stored cookie', async () => {
      const st = await state(again.id);
      return st === 'open' ? st : st === 'closed' ? 'closed' : undefined;
    }), 'open');
    await until('a message over the authenticated long poll', async () => (await events(again.id)).some((e) => e.type === 'message' && e.direction === 'in'));
  });

  test('a saved connection with an environment connects from its tree item: {{variables}} filled, the secret one from outside the file', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test run opens a folder');
    await run('startDemoServer');
    const demoUrl = await until('the demo server', async () => (await api()).demoUrl());
    const uri = vscode.Uri.joinPath(folder.uri, '.vscode', 'realtime-inspector.json');
    let file: { version: number; connections: unknown[]; environments?: unknown[] } = { version: 1, connections: [], environments: [] };
    try {
      file = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as typeof file;
    } catch {
      // No file yet.
    }
    const conn = { name: 'env feed', url: 'ws://{{host}}/auth/bearer/ws', transport: 'ws', auth: { method: 'bearer', token: '{{token}}' } };
    // One environment only, so no picker; its secret variable names an environment variable, never a value.
    file.connections = [...file.connections.filter((c) => (c as { name?: string }).name !== conn.name), conn];
    file.environments = [{ name: 'local', variables: { host: new URL(demoUrl).host, token: { secret: true, secretRef: 'env:RI_TEST_DEMO_TOKEN' } } }];
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify(file, null, 2)));
    process.env.RI_TEST_DEMO_TOKEN = DEMO_TOKEN;
    try {
      // What a click on the tree item runs: its command with the saved connection as argument.
      const s = await newSession(() => run('connectSaved', conn));
      assert.equal(s.name, 'env feed (local)');
      assert.ok(!s.url.includes('{{'), `variables filled: ${s.url}`);
      assert.equal(await until('open with the token from the environment', async () => {
        const st = await state(s.id);
        return st === 'open' || st === 'closed' ? st : undefined;
      }), 'open');
      await until('a tick over the authenticated socket', async () => (await events(s.id)).some((e) => e.type === 'message' && e.direction === 'in'));
      assert.ok(!JSON.stringify(await events(s.id)).includes(DEMO_TOKEN), 'the token is not shown');
      await run('disconnect', s.id);
    } finally {
      delete process.env.RI_TEST_DEMO_TOKEN;
    }
  });

  test('closing the inspector closes its connections', async () => {
    const s = await newSession(() => run('connectToDemo', 'sse'));
    await until('open', async () => (await state(s.id)) === 'open');
    const tabs = inspectorTabs();
    assert.equal(tabs.length, 1);
    await vscode.window.tabGroups.close(tabs[0]);
    await until('every session closed', async () => (await (await api()).sessions()).every((x) => x.state === 'closed'));
    assert.equal(inspectorTabs().length, 0);
  });

  test('stopDemoServer stops it', async () => {
    await run('startDemoServer');
    assert.ok(await (await api()).demoUrl());
    await run('stopDemoServer');
    assert.equal(await (await api()).demoUrl(), undefined);
  });
});
