/**
 * "Run Auth Matrix…" and "Compare Transports…" inside a real VS Code (code-server), with
 * arguments that skip their prompts, against the embedded demo server. The extension's
 * read-only API shows what the inspector panel's Analysis view received.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { DEMO_TOKEN } from '../../../src/demo/server';
import type { AnalysisSnapshot, RealtimeInspectorApi } from '../../../src/extension/api';
import { commandId } from '../../../src/extension/commandIds';

const EXTENSION_ID = 'realtime-inspector.realtime-inspector';

async function api(): Promise<RealtimeInspectorApi> {
  const ext = vscode.extensions.getExtension<RealtimeInspectorApi>(EXTENSION_ID);
  assert.ok(ext, 'extension installed');
  return ext.activate();
}

async function analysis(): Promise<AnalysisSnapshot> {
  const a = await api();
  assert.ok(a.analysis, 'the extension API has no analysis(): activate() in src/extension/extension.ts must forward it: analysis: async () => (hostInstance ? ((await hostInstance.api().analysis?.()) ?? {}) : {}),');
  return a.analysis();
}

function inspectorTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('realtimeInspector.panel'));
}

suite('Realtime Inspector analysis commands', () => {
  suiteTeardown(async () => {
    // Leave the workbench as the other suites expect it: no inspector, no demo server.
    await vscode.window.tabGroups.close(inspectorTabs());
    await vscode.commands.executeCommand(commandId('stopDemoServer'));
  });

  test('runAuthMatrix on the demo server: the panel receives every WebSocket placement, redacted', async () => {
    await vscode.commands.executeCommand(commandId('runAuthMatrix'), { transport: 'ws' });
    const a = await analysis();
    assert.ok(a.authMatrix, 'the panel holds an auth matrix');
    assert.equal(a.running, undefined, 'the command waited for the run');
    assert.equal(a.authMatrix.transport, 'ws');
    assert.match(a.authMatrix.url, /^ws:\/\/127\.0\.0\.1:\d+\/auth\/\{method\}\/ws$/);
    const by = Object.fromEntries(a.authMatrix.rows.map((r) => [r.placement, r.outcome]));
    assert.deepEqual(by, { none: 'rejected', query: 'accepted', bearer: 'accepted', cookie: 'accepted', subprotocol: 'accepted', 'first-message': 'accepted', 'token-url': 'accepted' });
    assert.ok(!JSON.stringify(a).includes(DEMO_TOKEN), 'no demo token in what the panel received');
    assert.equal(inspectorTabs().length, 1, 'the command opened the inspector');
    assert.match((await (await api()).demoUrl()) ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'the demo server was started for it');
  });

  test('compareTransports on the demo server: four transports measured side by side', async () => {
    await vscode.commands.executeCommand(commandId('compareTransports'), { seconds: 1, intervalMs: 200 });
    const a = await analysis();
    assert.ok(a.comparison, 'the panel holds a comparison');
    const c = a.comparison;
    assert.equal(c.durationMs, 1000);
    assert.equal(c.intervalMs, 200);
    assert.deepEqual(
      c.rows.map((r) => r.transport),
      ['poll', 'long-poll', 'sse', 'ws'],
    );
    for (const r of c.rows) assert.equal(r.ok, true, `${r.transport}: ${r.error}`);
    // The demo ticks twice a second by default: the streams see at least one tick in a second.
    for (const t of ['sse', 'ws']) assert.ok(c.rows.find((r) => r.transport === t)!.delivered >= 1, t);
    assert.ok(c.notes.length >= 3);
    // The auth matrix from before is still there: each kind keeps its latest result.
    assert.ok(a.authMatrix);
  });

  test('bad arguments are refused with a message and change nothing', async () => {
    const before = JSON.stringify(await analysis());
    await vscode.commands.executeCommand(commandId('runAuthMatrix'), { transport: 'smoke', token: 'never-shown-0123' });
    await vscode.commands.executeCommand(commandId('compareTransports'), { seconds: 0 });
    await vscode.commands.executeCommand(commandId('compareTransports'), { seconds: 2, urls: { ws: 'http://127.0.0.1:1/' } });
    assert.equal(JSON.stringify(await analysis()), before);
  });
});
