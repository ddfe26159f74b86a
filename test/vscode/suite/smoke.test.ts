/**
 * Smoke test: the extension is installed in the host, activates, and
 * contributes its main command.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'realtime-inspector.realtime-inspector';
const OPEN_INSPECTOR_COMMAND = 'realtimeInspector.openInspector';

suite('Extension smoke', () => {
  test('the extension is present and activates', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not installed in the extension host`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  test(`the command ${OPEN_INSPECTOR_COMMAND} is registered`, async () => {
    // Activation registers the commands; do not rely on the previous test's order.
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    const commands = await vscode.commands.getCommands(true);
    assert.ok(
      commands.includes(OPEN_INSPECTOR_COMMAND),
      `${OPEN_INSPECTOR_COMMAND} is not among the ${commands.length} registered commands`,
    );
  });
});
