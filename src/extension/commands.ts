import * as vscode from 'vscode';
import type { DemoServer } from '../demo/server';
import type { RequestEvent } from '../shared/events';
import { DEFAULT_WORKSPACE_FILE } from '../shared/environments';
import { isAuthMatrixParams, isCompareParams } from '../shared/protocol';
import { promptAuthMatrix, promptCompare } from './analysisPrompts';
import { commandId, type CommandName } from './commandIds';
import { promptNewConnection } from './connectPrompts';
import { connectPurposeOf, curlFor } from './curl';
import { DEMO_CHOICES, demoConnection, type DemoChoice } from './demoChoices';
import { errorMessage } from './errors';
import { exportRedactedTo, readRecording } from './exportImport';
import type { Host } from './host';
import { transportName } from './labels';
import { connectSaved, deleteSaved, pickSaved, saveConnection } from './savedConnections';
import { parseSendInput, type SendFormat } from './sendInput';
import type { SessionEntry } from './sessionManager';

/** Commands the host runs; refreshConnections belongs to the tree (extension.ts). */
export type HostCommand = Exclude<CommandName, 'refreshConnections'>;
type Handler = (host: Host, args: readonly unknown[]) => Promise<void>;

/** Runs a command; failures are shown to the person (redacted) and logged, never thrown into VS Code. */
export async function runCommand(host: Host, name: HostCommand, args: readonly unknown[]): Promise<void> {
  try {
    await HANDLERS[name](host, args);
  } catch (err) {
    const message = host.redactAll(errorMessage(err));
    host.output.error(`${name}: ${message}`);
    void vscode.window.showErrorMessage(`Realtime Inspector: ${message}`);
  }
}

const info = (message: string, ...items: string[]): Thenable<string | undefined> => vscode.window.showInformationMessage(message, ...items);

async function pickSession(host: Host, filter: (e: SessionEntry) => boolean, placeHolder: string, none: string): Promise<SessionEntry | undefined> {
  const list = host.manager.list().filter(filter);
  if (list.length === 0) {
    void info(none);
    return undefined;
  }
  if (list.length === 1) return list[0];
  const activeId = host.activePanel?.activeSessionId;
  list.sort((a, b) => Number(b.id === activeId) - Number(a.id === activeId));
  const pick = await vscode.window.showQuickPick(
    list.map((e) => ({
      label: e.name,
      description: `${transportName(e.transport)} · ${host.manager.state(e)}${e.readOnly ? ' · imported' : ''}${e.id === activeId ? ' · shown in the inspector' : ''}`,
      detail: e.url,
      entry: e,
    })),
    { placeHolder },
  );
  return pick?.entry;
}

const isOpen = (e: SessionEntry): boolean => e.live?.state === 'open';

/**
 * The session a command acts on: the id given as first argument (keybindings, scripts,
 * tests), else picked. A given id that does not fit the command fails with why.
 */
async function sessionFor(host: Host, args: readonly unknown[], filter: (e: SessionEntry) => boolean, placeHolder: string, none: string, unfit: (e: SessionEntry) => string): Promise<SessionEntry | undefined> {
  if (typeof args[0] === 'string') {
    const entry = host.manager.get(args[0]);
    if (!entry) throw new Error(`There is no session "${args[0]}" (ended sessions are let go after a while).`);
    if (!filter(entry)) throw new Error(unfit(entry));
    return entry;
  }
  return pickSession(host, filter, placeHolder, none);
}

const notOpen = (e: SessionEntry): string => (e.readOnly ? `"${e.name}" is an imported recording.` : `"${e.name}" is ${e.live?.state ?? 'closed'}.`);

/** The connect request as it went on the wire (redacted), if still in the log. */
function connectRequest(entry: SessionEntry): RequestEvent | undefined {
  const purpose = connectPurposeOf(entry.transport);
  for (const ev of entry.log.objects()) {
    if (ev.type === 'request' && ev.purpose === purpose) {
      const shown = entry.redactor.event(ev);
      return shown.type === 'request' ? shown : undefined;
    }
  }
  return undefined;
}

/** A saved connection's name, passed by the tree (its node or the connection) or by code. */
function savedName(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const candidate = typeof arg === 'object' && arg !== null && 'conn' in arg ? (arg as { conn: unknown }).conn : arg;
  const name = typeof candidate === 'object' && candidate !== null ? (candidate as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

async function showDemo(demo: DemoServer): Promise<void> {
  const u = demo.urls;
  const pick = await info(`Demo server running on ${demo.httpUrl} — WebSocket ${u.ws}, SSE ${u.sse}, long polling ${u['long-poll']}, polling ${u.poll}, send ${u.send}.`, 'Connect…', 'Copy URL', 'Open in Browser');
  if (pick === 'Connect…') await vscode.commands.executeCommand(commandId('connectToDemo'));
  else if (pick === 'Copy URL') await vscode.env.clipboard.writeText(demo.httpUrl);
  else if (pick === 'Open in Browser') await vscode.env.openExternal(await vscode.env.asExternalUri(vscode.Uri.parse(demo.httpUrl)));
}

let lastSendFormat: SendFormat = 'text';

async function sendOn(entry: SessionEntry, data: string, format: SendFormat): Promise<void> {
  const parsed = parseSendInput(data, format);
  if (!parsed.ok) throw new Error(parsed.error);
  try {
    await entry.live?.send(parsed.data, { binary: parsed.binary });
  } catch (err) {
    throw new Error(entry.redactor.text(errorMessage(err)));
  }
}

const HANDLERS: Record<HostCommand, Handler> = {
  async newConnection(host) {
    const c = await promptNewConnection(host.secrets, (line) => host.output.info(line), (url) => host.probeNetwork(url));
    if (c) await host.openConnection(c.name, c.options, 'command', c.typed);
  },

  async openInspector(host) {
    host.openPanel();
  },

  async connectToDemo(host, args) {
    if (typeof args[0] === 'string') {
      const given = DEMO_CHOICES.find((c) => c.id === args[0]);
      if (!given) throw new Error(`"${args[0]}" is not a demo choice; use one of ${DEMO_CHOICES.map((c) => c.id).join(', ')}.`);
      const d = demoConnection(await host.demo.ensure(), given);
      await host.openConnection(d.name, d.options, 'command');
      return;
    }
    type Item = vscode.QuickPickItem & { choice?: DemoChoice };
    const plain: Item[] = DEMO_CHOICES.filter((c) => !c.auth).map((c) => ({ label: c.label, detail: c.detail, choice: c }));
    const withAuth: Item[] = DEMO_CHOICES.filter((c) => c.auth).map((c) => ({ label: c.label, detail: c.detail, choice: c }));
    const pick = await vscode.window.showQuickPick<Item>([...plain, { label: 'With authentication', kind: vscode.QuickPickItemKind.Separator }, ...withAuth], {
      title: 'Connect to the demo server',
      placeHolder: 'Pick a transport (the demo server starts on 127.0.0.1 if it is not running)',
      matchOnDetail: true,
    });
    if (!pick?.choice) return;
    const d = demoConnection(await host.demo.ensure(), pick.choice);
    await host.openConnection(d.name, d.options, 'command');
  },

  async startDemoServer(host) {
    const demo = await host.demo.ensure();
    // The toast's buttons are optional: the command is done once the server runs.
    void showDemo(demo).catch((err: unknown) => host.output.warn(`Demo server notification: ${errorMessage(err)}`));
  },

  async stopDemoServer(host) {
    const stopped = await host.demo.stop();
    void info(stopped ? 'Demo server stopped.' : 'The demo server is not running.');
  },

  async exportSession(host, args) {
    const entry = await sessionFor(host, args, (e) => e.log.size > 0, 'Which session to export?', 'No session with events to export.', (e) => `"${e.name}" has no events to export.`);
    if (!entry) return;
    // From code with a target file: redacted, no questions (secrets only ever go out through the modal choice).
    if (args[1] instanceof vscode.Uri) {
      await exportRedactedTo(entry, args[1], host.version);
      return;
    }
    const format = await vscode.window.showQuickPick(
      [
        { label: 'NDJSON', detail: 'One JSON event per line, exactly as recorded (for scripts, jq, diffs).', format: 'ndjson' as const },
        { label: 'HAR 1.2', detail: 'HTTP Archive with WebSocket/SSE messages, for browser DevTools and HAR viewers.', format: 'har' as const },
      ],
      { placeHolder: 'Export format' },
    );
    if (format) await host.exportSession(entry.id, format.format);
  },

  async importSession(host, args) {
    const file = await readRecording(args[0] instanceof vscode.Uri ? args[0] : undefined);
    if (!file) return;
    const cap = host.settings().logCap;
    const entry = host.manager.addImported(file.name, file.events, file.meta, cap);
    host.openPanel().adopt(entry, 'command');
    const notes = [...file.warnings, file.events.length > cap ? `Only the last ${cap.toLocaleString('en-US')} events are kept (setting realtimeInspector.logCap).` : ''].filter(Boolean);
    const summary = `Imported "${file.name}": ${file.events.length.toLocaleString('en-US')} events, read-only.`;
    host.output.info(`${entry.id}: ${summary} ${notes.join(' ')}`);
    if (notes.length) void vscode.window.showWarningMessage(`${summary} ${notes.join(' ')}`);
    else void info(summary);
  },

  async disconnect(host, args) {
    const entry = await sessionFor(host, args, (e) => host.manager.isLive(e), 'Which connection to close?', 'No live connection.', notOpen);
    if (entry) await host.manager.close(entry.id);
  },

  async disconnectAll(host) {
    const n = host.manager.liveCount();
    await host.manager.closeAll();
    void info(n ? `Closed ${n} connection${n === 1 ? '' : 's'}.` : 'No live connection.');
  },

  async clearLog(host, args) {
    const entry = await sessionFor(host, args, () => true, 'Whose log to clear?', 'No session yet.', () => '');
    if (entry) host.manager.clear(entry.id);
  },

  async copyAsCurl(host, args) {
    const entry = await sessionFor(host, args, () => true, 'Copy a cURL command for which session?', 'No session yet.', () => '');
    if (!entry) return;
    const req = connectRequest(entry);
    await vscode.env.clipboard.writeText(curlFor(entry.transport, req, entry.url));
    void info(`Copied a cURL command for "${entry.name}"${req ? '' : ' (built from the URL only: the connect request is not in the log)'}. Secrets are redacted: put your token back in before running it.`);
  },

  async copyUrl(host, args) {
    const entry = await sessionFor(host, args, () => true, 'Copy the URL of which session?', 'No session yet.', () => '');
    if (!entry) return;
    await vscode.env.clipboard.writeText(connectRequest(entry)?.url ?? entry.url);
    void info(`Copied the URL of "${entry.name}" (secrets redacted).`);
  },

  async sendMessage(host, args) {
    const entry = await sessionFor(host, args, isOpen, 'Send on which connection?', 'No open connection to send on.', (e) => `Not sent: ${notOpen(e)}`);
    if (!entry?.live) return;
    if (typeof args[1] === 'string') {
      // From code: sessionId, data, format (default text).
      const format = typeof args[2] === 'string' && ['text', 'json', 'hex', 'base64'].includes(args[2]) ? (args[2] as SendFormat) : 'text';
      await sendOn(entry, args[1], format);
      return;
    }
    const formats: Array<vscode.QuickPickItem & { format: SendFormat }> = [
      { label: 'Text', detail: 'Sent as typed (a WebSocket text frame, or the body of the send request).', format: 'text' },
      { label: 'JSON', detail: 'Checked to be valid JSON, then sent as typed.', format: 'json' },
      { label: 'Hex bytes', detail: 'Binary, e.g. "de ad be ef".', format: 'hex' },
      { label: 'Base64 bytes', detail: 'Binary, standard or URL-safe base64.', format: 'base64' },
    ];
    formats.sort((a, b) => Number(b.format === lastSendFormat) - Number(a.format === lastSendFormat));
    const fmt = await vscode.window.showQuickPick(formats, { title: `Send on "${entry.name}"`, placeHolder: 'Message format' });
    if (!fmt) return;
    lastSendFormat = fmt.format;
    const data = await vscode.window.showInputBox({
      title: `Send on "${entry.name}" (${fmt.label})`,
      prompt: entry.transport === 'ws' ? 'One WebSocket message.' : `Sent as an HTTP request to the send URL${entry.options?.sendUrl ? ` (${entry.redactor.url(entry.options.sendUrl)})` : ' (none set: this will fail)'}.`,
      ignoreFocusOut: true,
      validateInput: (v) => {
        const p = parseSendInput(v, fmt.format);
        return p.ok ? undefined : p.error;
      },
    });
    if (data === undefined) return;
    await sendOn(entry, data, fmt.format);
  },

  async ping(host, args) {
    const entry = await sessionFor(host, args, (e) => e.transport === 'ws' && isOpen(e), 'Ping which WebSocket?', 'No open WebSocket to ping (ping is a WebSocket control frame).', (e) =>
      e.transport !== 'ws' ? `Ping is a WebSocket control frame; "${e.name}" uses ${transportName(e.transport)}.` : `Not sent: ${notOpen(e)}`,
    );
    const live = entry?.live as (NonNullable<SessionEntry['live']> & { ping?: () => void }) | undefined;
    if (!live) return;
    if (typeof live.ping !== 'function') throw new Error('This session cannot send pings.');
    live.ping();
  },

  async saveConnection(host, args) {
    const entry = await sessionFor(host, args, (e) => !!e.saveable, 'Save which connection?', 'No connection to save: connect first (imported recordings cannot be saved).', (e) => `"${e.name}" is an imported recording; only connections can be saved.`);
    if (!entry) return;
    const given = typeof args[1] === 'string' && args[1].trim() ? args[1].trim() : undefined;
    const name = given ?? (await vscode.window.showInputBox({ title: 'Save connection as', value: entry.name, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'The name is empty.') }))?.trim();
    if (!name) return;
    const { secrets } = await saveConnection(host, entry, name);
    await vscode.commands.executeCommand(commandId('refreshConnections'));
    void info(`Saved "${name}" in ${DEFAULT_WORKSPACE_FILE}${secrets ? '; its credentials are in VS Code secret storage, not in the file' : ''}.`);
  },

  async connectSaved(host, args) {
    const name = savedName(args[0]) ?? (await pickSaved('Connect to which saved connection?'));
    if (name) await connectSaved(host, name);
  },

  async deleteSavedConnection(host, args) {
    const name = savedName(args[0]) ?? (await pickSaved('Delete which saved connection?'));
    if (name && (await deleteSaved(host, name))) await vscode.commands.executeCommand(commandId('refreshConnections'));
  },

  async forgetSecrets(host) {
    const n = host.secrets.keys().length;
    if (!n) {
      void info('No stored tokens.');
      return;
    }
    const ok = await vscode.window.showWarningMessage(`Forget the ${n} token${n === 1 ? '' : 's'} Realtime Inspector keeps in secret storage?`, { modal: true, detail: 'Saved connections stay; you will be asked for their tokens again.' }, 'Forget');
    if (!ok) return;
    const removed = await host.secrets.deleteAll();
    void info(`Forgot ${removed} stored token${removed === 1 ? '' : 's'}.`);
  },

  async toggleRevealSecrets(host) {
    const panel = host.openPanel();
    if (panel.isRevealingSecrets) {
      panel.setRevealSecrets(false);
      void info('Secrets are redacted in the inspector again.');
      return;
    }
    const ok = await vscode.window.showWarningMessage(
      'Show secrets in the inspector?',
      { modal: true, detail: 'Tokens, cookies and credential headers appear unredacted in this panel until you hide them again or close it. Nothing is saved; exports still ask separately.' },
      'Show Secrets',
    );
    if (ok) panel.setRevealSecrets(true);
  },

  async showLog(host) {
    host.output.show(true);
  },

  async runAuthMatrix(host, args) {
    // From code: { transport, url?, token?, tokenUrl?, timeoutMs? }; without url, the demo server.
    if (args[0] !== undefined && !isAuthMatrixParams(args[0])) {
      // The argument may hold a token: its content is not echoed.
      throw new Error('runAuthMatrix takes { transport: "poll" | "long-poll" | "sse" | "ws", url?: http(s) or ws(s) URL, token?: string, tokenUrl?: http(s) URL, timeoutMs?: 100 to 60000 }.');
    }
    const params = args[0] ?? (await promptAuthMatrix(host));
    if (!params) return;
    const view = await host.openPanel().runAuthMatrix(params);
    if (!view) void info('Auth matrix cancelled.');
  },

  async compareTransports(host, args) {
    // From code: { seconds, urls?, intervalMs? }; without urls, all four transports on the demo server.
    if (args[0] !== undefined && !isCompareParams(args[0])) {
      throw new Error('compareTransports takes { seconds: 1 to 60, urls?: { poll?, "long-poll"?, sse?: http(s) URL, ws?: ws(s) URL }, intervalMs?: 0 to 600000 }.');
    }
    const params = args[0] ?? (await promptCompare());
    if (!params) return;
    const result = await host.openPanel().compareTransports(params);
    if (!result) void info('Transport comparison cancelled.');
  },
};
