import * as vscode from 'vscode';
import { DisposableStore } from './disposables';
import { errorMessage } from './errors';
import type { AuthMatrixParams, AuthMatrixView, CompareParams, ComparisonView } from '../shared/protocol';
import { PanelController, type PanelAnalysis, type PanelHost } from './panelController';
import { panelHtml } from './panelHtml';
import type { SessionEntry, SessionManager } from './sessionManager';

export const PANEL_VIEW_TYPE = 'realtimeInspector.panel';

/**
 * The inspector: one WebviewPanel. The protocol lives in PanelController; this class only
 * creates the panel (CSP, local resources limited to dist/webview) and wires its events.
 */
export class InspectorPanel implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly panel: vscode.WebviewPanel;
  private readonly controller: PanelController;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  /** The panel was closed (by the user or by dispose()). */
  readonly onDidDispose = this.disposeEmitter.event;
  private disposed = false;

  constructor(extensionUri: vscode.Uri, manager: SessionManager, host: Omit<PanelHost, 'sessions'>) {
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Realtime Inspector', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [root],
      // The webview keeps only view state (vscode.setState); the host re-sends a Snapshot on Ready.
      retainContextWhenHidden: false,
    });
    const webview = this.panel.webview;
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      codiconUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicon.css')).toString(),
    });
    this.controller = new PanelController({ ...host, sessions: manager }, (m) => {
      webview.postMessage(m).then(undefined, (err: unknown) => host.log.warn(`Could not post ${m.type} to the webview: ${errorMessage(err)}`));
    });
    this.store.add(this.disposeEmitter);
    this.store.add({ dispose: () => this.controller.dispose() });
    this.store.add(webview.onDidReceiveMessage((m: unknown) => void this.controller.receive(m)));
    this.store.add(this.panel.onDidChangeViewState(() => this.controller.setVisible(this.panel.visible)));
    this.store.add(manager.onDidAppend(() => this.controller.onAppend()));
    this.store.add(manager.onDidChange((e) => this.controller.onSessionChanged(e)));
    this.store.add(manager.onDidClear((e) => this.controller.onSessionCleared(e)));
    this.store.add(manager.onDidRemove(() => this.controller.onSessionRemoved()));
    this.store.add(this.panel.onDidDispose(() => this.dispose()));
  }

  get activeSessionId(): string | undefined {
    return this.controller.activeSessionId;
  }

  get isRevealingSecrets(): boolean {
    return this.controller.isRevealingSecrets;
  }

  reveal(): void {
    this.panel.reveal();
  }

  adopt(entry: SessionEntry, origin: 'panel' | 'command'): void {
    this.controller.adopt(entry, origin);
  }

  setRevealSecrets(reveal: boolean): void {
    this.controller.setRevealSecrets(reveal);
  }

  /** Runs the auth matrix and shows it in the Analysis view; undefined when cancelled. */
  runAuthMatrix(params: AuthMatrixParams): Promise<AuthMatrixView | undefined> {
    return this.controller.runAuthMatrix(params);
  }

  /** Runs the transport comparison and shows it in the Analysis view; undefined when cancelled. */
  compareTransports(params: CompareParams): Promise<ComparisonView | undefined> {
    return this.controller.compareTransports(params);
  }

  get analysis(): PanelAnalysis {
    return this.controller.analysis;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeEmitter.fire();
    this.store.dispose();
    this.panel.dispose();
  }
}
