/**
 * Entry point. Activation (on startup finished, or on a command) only registers commands
 * and the saved-connections view; the host (sessions, panel, transports, demo server) is
 * loaded by the first command that needs it from a separate bundle (./lazy, built as
 * dist/extension-lazy.js), so starting VS Code parses a few KiB unless
 * realtimeInspector.openOnStartup asks for the inspector.
 */
import * as vscode from 'vscode';
import { COMMAND_NAMES, commandId, type CommandName } from './commandIds';
import type { RealtimeInspectorApi } from './api';
import type { ConnectionNode, ConnectionsTree } from './connectionsTree';
import type { Host } from './host';
import { readOpenOnStartup } from './settings';

type Lazy = typeof import('./lazy');
/** The second bundle, required on first use (a plain require: the extension host is CommonJS). */
const loadLazy = (): Promise<Lazy> => Promise.resolve().then(() => require('./lazy') as Lazy);

let hostPromise: Promise<Host> | undefined;
let hostInstance: Host | undefined;

function getHost(context: vscode.ExtensionContext): Promise<Host> {
  hostPromise ??= loadLazy().then(({ Host }) => {
    hostInstance = new Host(context);
    return hostInstance;
  });
  return hostPromise;
}

/** Defers loading the tree's module (and the file read) until the view is first shown. */
class LazyConnectionsTree implements vscode.TreeDataProvider<ConnectionNode>, vscode.Disposable {
  private real: Promise<ConnectionsTree> | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [this.emitter];
  readonly onDidChangeTreeData = this.emitter.event;

  private load(): Promise<ConnectionsTree> {
    this.real ??= loadLazy().then(({ ConnectionsTree }) => {
      const tree = new ConnectionsTree();
      this.subscriptions.push(tree, tree.onDidChangeTreeData(() => this.emitter.fire()));
      return tree;
    });
    return this.real;
  }

  async getChildren(element?: ConnectionNode): Promise<ConnectionNode[]> {
    return (await this.load()).getChildren(element);
  }

  async getTreeItem(element: ConnectionNode): Promise<vscode.TreeItem> {
    return (await this.load()).getTreeItem(element);
  }

  refresh(): void {
    this.emitter.fire();
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}

export function activate(context: vscode.ExtensionContext): RealtimeInspectorApi {
  const tree = new LazyConnectionsTree();
  context.subscriptions.push(tree, vscode.window.registerTreeDataProvider('realtimeInspector.connections', tree));
  for (const name of COMMAND_NAMES) {
    context.subscriptions.push(
      vscode.commands.registerCommand(commandId(name), async (...args: unknown[]) => {
        if (name === 'refreshConnections') {
          tree.refresh();
          return;
        }
        const [host, { runCommand }] = await Promise.all([getHost(context), loadLazy()]);
        await runCommand(host, name as Exclude<CommandName, 'refreshConnections'>, args);
      }),
    );
  }
  openOnStartup();
  // Each call loads the host on first use: returning the API costs nothing at activation.
  const api = async (): Promise<RealtimeInspectorApi> => (await getHost(context)).api();
  return {
    sessions: async () => (await api()).sessions(),
    events: async (id) => (await api()).events(id),
    demoUrl: async () => (hostInstance ? hostInstance.api().demoUrl() : undefined),
    activeSessionId: async () => (hostInstance ? hostInstance.api().activeSessionId() : undefined),
    analysis: async () => (hostInstance ? ((await hostInstance.api().analysis?.()) ?? {}) : {}),
  };
}

/**
 * realtimeInspector.openOnStartup (activation event onStartupFinished). With "none", the
 * default, this reads one setting and loads nothing; `npm start`'s workspace sets "demo".
 */
function openOnStartup(): void {
  const action = readOpenOnStartup((key) => vscode.workspace.getConfiguration('realtimeInspector').get<unknown>(key));
  if (action !== 'demo') return;
  // The command shows its own errors; activation must not wait for a connection.
  vscode.commands.executeCommand(commandId('connectToDemo'), 'ws').then(undefined, (err: unknown) => console.error('Realtime Inspector: opening the demo on startup failed:', err));
}

/** Closes every session and the demo server. */
export async function deactivate(): Promise<void> {
  const host = hostInstance;
  hostInstance = undefined;
  hostPromise = undefined;
  await host?.shutdown();
}
