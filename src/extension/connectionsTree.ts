import * as vscode from 'vscode';
import { Redactor, redactUrl } from '../transports/redact';
import { commandId } from './commandIds';
import { DEFAULT_WORKSPACE_FILE, type SavedConnection } from '../shared/environments';
import { transportName } from './labels';
import { readWorkspaceFile } from './workspaceFile';

export type ConnectionNode = { kind: 'connection'; conn: SavedConnection } | { kind: 'problem'; message: string; uri?: vscode.Uri };

const ICONS: Record<SavedConnection['transport'], string> = { ws: 'plug', sse: 'broadcast', 'long-poll': 'watch', poll: 'sync' };

/** The "Saved Connections" view: entries of .vscode/realtime-inspector.json; clicking one connects. */
export class ConnectionsTree implements vscode.TreeDataProvider<ConnectionNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly subscriptions: vscode.Disposable[] = [this.emitter];

  refresh(): void {
    this.emitter.fire();
  }

  async getChildren(element?: ConnectionNode): Promise<ConnectionNode[]> {
    if (element) return [];
    this.watch();
    const c = await readWorkspaceFile();
    return [
      ...c.file.connections.map((conn): ConnectionNode => ({ kind: 'connection', conn })),
      ...c.problems.map((message): ConnectionNode => ({ kind: 'problem', message, uri: c.uri })),
    ];
  }

  getTreeItem(node: ConnectionNode): vscode.TreeItem {
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('warning');
      item.tooltip = `${node.message}\nClick to open ${DEFAULT_WORKSPACE_FILE}.`;
      item.contextValue = 'savedConnectionProblem';
      if (node.uri) item.command = { command: 'vscode.open', title: 'Open', arguments: [node.uri] };
      return item;
    }
    const c = node.conn;
    const url = redactUrl(c.url, new Redactor(false));
    const auth = c.auth && c.auth.method !== 'none' ? c.auth.method : undefined;
    const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon(ICONS[c.transport]);
    item.description = `${transportName(c.transport)}${auth ? ` · ${auth}` : ''}`;
    item.tooltip = `${c.description ? `${c.description}\n` : ''}${url}\n${transportName(c.transport)}${auth ? `, auth: ${auth} (credential in secret storage)` : ''}\nClick to connect.`;
    item.contextValue = 'savedConnection';
    item.command = { command: commandId('connectSaved'), title: 'Connect', arguments: [c] };
    return item;
  }

  private watch(): void {
    if (this.watcher) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, DEFAULT_WORKSPACE_FILE));
    this.subscriptions.push(this.watcher, this.watcher.onDidChange(() => this.refresh()), this.watcher.onDidCreate(() => this.refresh()), this.watcher.onDidDelete(() => this.refresh()));
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
