import * as vscode from 'vscode';
import type { TransportKind } from '../shared/events';
import type { Hint } from '../shared/hints';
import { computeHints } from '../shared/hintRules';
import type { AuthConfig, ConnectOptions } from '../shared/options';
import type { AuthMatrixParams, AuthMatrixView, CompareParams, ComparisonView, ConnectionConfig } from '../shared/protocol';
import { toJsonEvent } from '../shared/serialize';
import { probeTransport, withProbeCredential, type ProbeOptions } from '../transports/probe';
import { analysisTitle, runAuthMatrixView, runComparisonView, type AnalysisDeps, type RunHooks } from './analysisRunner';
import type { RealtimeInspectorApi } from './api';
import { commandId } from './commandIds';
import { defaultName, optionsFromConfig, withProxySettings, withSettings } from './connectOptions';
import { demoFormDefaults } from './demoChoices';
import { DemoController } from './demoController';
import { DisposableStore } from './disposables';
import { EdgeRedactor } from './edgeRedaction';
import { errorMessage } from './errors';
import { exportSession } from './exportImport';
import { InspectorPanel } from './inspectorPanel';
import type { PanelHost } from './panelController';
import { transportName } from './labels';
import { SecretStore } from './secretStore';
import { SessionManager, type SessionEntry } from './sessionManager';
import { readProxySettings, readSettings, type InspectorSettings } from './settings';

/** Hints look at this many of the most recent events: bounded cost per refresh however long the session. */
const HINT_EVENTS = 20_000;

/**
 * Everything the extension owns once a command has run: sessions, the panel, the demo
 * server, secrets and the output channel, in one disposable store. Created lazily by
 * extension.ts on the first command, so activation itself does nothing heavy.
 */
export class Host implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly secrets: SecretStore;
  readonly manager: SessionManager;
  readonly demo: DemoController;
  private panel: InspectorPanel | undefined;
  private readonly store = new DisposableStore();
  private cachedSettings: InspectorSettings | undefined;
  private readonly baseRedactor = new EdgeRedactor();

  constructor(readonly context: vscode.ExtensionContext) {
    this.output = this.store.add(vscode.window.createOutputChannel('Realtime Inspector', { log: true }));
    this.secrets = new SecretStore(context.secrets, context.globalState);
    this.manager = this.store.add(new SessionManager(commandId('openInspector')));
    this.demo = this.store.add(new DemoController(() => this.settings(), (line) => this.output.info(line)));
    this.store.add(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('realtimeInspector')) return;
        this.cachedSettings = undefined;
        if (e.affectsConfiguration('realtimeInspector.demoServer')) {
          try {
            this.demo.applySettings();
          } catch (err) {
            void vscode.window.showErrorMessage(`Realtime Inspector: demo server settings not applied: ${errorMessage(err)}`);
          }
        }
      }),
    );
  }

  /** The extension's version, written into HAR exports as the creator. */
  get version(): string {
    const v = (this.context.extension.packageJSON as { version?: unknown }).version;
    return typeof v === 'string' ? v : '0.0.0';
  }

  settings(): InspectorSettings {
    this.cachedSettings ??= readSettings((key) => vscode.workspace.getConfiguration('realtimeInspector').get<unknown>(key));
    return this.cachedSettings;
  }

  get activePanel(): InspectorPanel | undefined {
    return this.panel;
  }

  /** Opens (or reveals) the inspector. Closing it closes its connections. */
  openPanel(): InspectorPanel {
    if (this.panel) {
      this.panel.reveal();
      return this.panel;
    }
    const panel = new InspectorPanel(this.context.extensionUri, this.manager, this.panelHost());
    this.panel = panel;
    this.store.add(panel);
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
      this.store.delete(panel);
      void this.manager.closeAll().then(
        () => this.output.info('Inspector closed: its connections were closed.'),
        (err: unknown) => this.output.error(`Closing connections failed: ${this.redactAll(errorMessage(err))}`),
      );
    });
    return panel;
  }

  /**
   * Opens a session: shows it in the inspector and connects. Rejects with one redacted sentence.
   * @param options the connection as chosen (the settings fill what it leaves unset)
   * @param typed credentials typed for it, kept in SecretStorage for the next connection to the same endpoint
   */
  async openConnection(name: string, options: ConnectOptions, origin: 'panel' | 'command', typed: ReadonlyMap<string, string> = new Map()): Promise<SessionEntry> {
    if (typed.size) {
      try {
        await this.secrets.storeAll(typed);
      } catch (err) {
        this.output.warn(`Could not keep the credential in secret storage (${errorMessage(err)}); it is used for this connection only.`);
      }
    }
    const panel = origin === 'panel' ? this.panel : this.openPanel();
    // VS Code's http.proxy / http.proxyStrictSSL / http.noProxy are read at connect time (cheap, and always current).
    const proxySettings = readProxySettings((key) => vscode.workspace.getConfiguration('http').get<unknown>(key));
    const entry = this.manager.create(withProxySettings(withSettings(options, this.settings()), proxySettings), name, options);
    panel?.adopt(entry, origin);
    this.output.info(`${entry.id} "${entry.name}": connecting to ${entry.url} over ${transportName(entry.transport)}.`);
    try {
      await this.manager.connect(entry);
      this.output.info(`${entry.id}: open.`);
    } catch (err) {
      const message = entry.redactor.text(errorMessage(err));
      this.output.warn(`${entry.id}: ${message}`);
      throw new Error(message);
    }
    return entry;
  }

  /** The panel's connection form: probe when the transport is "auto", then open. */
  /** The way a probe of `url` goes: VS Code's proxy settings (as openConnection applies them), and whether certificates are checked. */
  probeNetwork(url: string, insecure?: boolean): Pick<ProbeOptions, 'proxy' | 'insecure'> {
    const proxySettings = readProxySettings((key) => vscode.workspace.getConfiguration('http').get<unknown>(key));
    const o = withProxySettings({ url, transport: 'poll', insecure }, proxySettings);
    return { proxy: o.proxy, insecure: o.insecure };
  }

  async connectFromPanel(config: ConnectionConfig): Promise<void> {
    const transport = config.transport === 'auto' ? await this.detectTransport(config) : config.transport;
    const { options, typed } = await optionsFromConfig(config, transport, (key) => this.secrets.get(key));
    await this.openConnection(defaultName(options.url, transport), options, 'panel', typed);
  }

  private async detectTransport(config: ConnectionConfig): Promise<TransportKind> {
    try {
      const a = config.auth;
      const auth: AuthConfig | undefined =
        a.method === 'bearer' ? a : a.method === 'query' ? a : a.method === 'cookie' ? { method: 'cookie', name: a.name, value: a.token } : a.method === 'header' ? { method: 'header', name: a.name, value: a.token } : undefined;
      const req = withProbeCredential(config.url.trim(), config.headers, auth);
      const r = await probeTransport(req.url, { headers: req.headers, timeoutMs: 1500, ...this.probeNetwork(req.url, config.insecure) });
      this.output.info(`Probe: ${r.transport} — ${r.reason}`);
      if (r.transport === 'ws' && !/^wss?:/i.test(config.url.trim())) {
        throw new Error(`${r.reason} Use its ws:// or wss:// URL.`);
      }
      return r.transport;
    } catch (err) {
      throw new Error(`Could not tell which transport ${this.baseRedactor.url(config.url.trim())} speaks: ${errorMessage(err)} Pick the transport in the form.`);
    }
  }

  async exportSession(sessionId: string, format: 'ndjson' | 'har'): Promise<void> {
    const entry = this.manager.get(sessionId);
    if (!entry) throw new Error('That session no longer exists.');
    const uri = await exportSession(entry, format, this.version);
    if (!uri) return;
    this.output.info(`${entry.id}: exported ${entry.log.size} events to ${uri.fsPath || uri.toString()}.`);
    void vscode.window.showInformationMessage(`Exported "${entry.name}" (${entry.log.size.toLocaleString('en-US')} events).`, 'Open').then((pick) => {
      if (pick) void vscode.window.showTextDocument(uri, { preview: true });
    });
  }

  /**
   * THE hints call site: computeHints (src/shared/hintRules.ts) over the session's stats,
   * options and most recent events, on the panel's slow refresh (about once per second).
   */
  hintsFor(entry: SessionEntry, reveal: boolean): Hint[] {
    const options: ConnectOptions = entry.options ?? { url: entry.url, transport: entry.transport };
    const log = entry.log;
    const events = log.slice(Math.max(0, log.size - HINT_EVENTS));
    const host = hostOf(options.url);
    const otherWs = this.manager.list().filter((e) => e !== entry && e.transport === 'ws' && this.manager.isLive(e) && hostOf(e.options?.url ?? e.url) === host).length;
    const hints = computeHints({ stats: entry.stats, options, events, context: { otherWsSessionsToSameHost: otherWs } });
    if (reveal) return hints;
    const r = entry.redactor;
    return hints.map((h) => ({
      ...h,
      message: r.text(h.message),
      why: r.text(h.why),
      suggestion: r.text(h.suggestion),
      numbers: Object.fromEntries(Object.entries(h.numbers).map(([k, v]) => [k, typeof v === 'string' ? r.text(v) : v])),
    }));
  }

  /** Read-only, redacted view for extension.exports (see api.ts). */
  api(): RealtimeInspectorApi {
    return {
      sessions: async () => this.manager.list().map((e) => this.manager.summary(e)),
      events: async (id) => {
        const entry = this.manager.get(id);
        return entry ? entry.log.slice().map((ev) => toJsonEvent(entry.redactor.event(ev))) : undefined;
      },
      demoUrl: async () => this.demo.running?.httpUrl,
      activeSessionId: async () => this.panel?.activeSessionId,
      // Copies: the API is read-only, the panel keeps its own.
      analysis: async () => structuredClone(this.panel?.analysis ?? {}),
    };
  }

  private analysisDeps(): AnalysisDeps {
    const s = this.settings();
    return { demo: () => this.demo.ensure(), remembered: (key) => this.secrets.get(key), pollIntervalMs: s.pollIntervalMs, connectTimeoutMs: s.timeoutMs };
  }

  /** The auth matrix, with progress and a Cancel button in a notification; `signal` is the panel's (closing it cancels). */
  async runAuthMatrix(params: AuthMatrixParams, signal: AbortSignal): Promise<AuthMatrixView> {
    const title = analysisTitle('auth-matrix', params);
    const view = await this.withAnalysisProgress(title, signal, (hooks) => runAuthMatrixView(params, this.analysisDeps(), hooks));
    const counts = new Map<string, number>();
    for (const r of view.rows) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
    this.output.info(`${title} (${view.url}): ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}.`);
    return view;
  }

  /** The transport comparison, likewise. */
  async compareTransports(params: CompareParams, signal: AbortSignal): Promise<ComparisonView> {
    const title = analysisTitle('compare', params);
    const result = await this.withAnalysisProgress(title, signal, (hooks) => runComparisonView(params, this.analysisDeps(), hooks));
    this.output.info(`${title}: ${result.rows.map((r) => (r.ok ? `${r.transport} ${r.delivered} delivered, ${r.bytesPerMessage ?? '–'} B/message` : `${r.transport} failed`)).join('; ')}.`);
    return result;
  }

  /** Runs `work` under a cancellable notification; its Cancel and `signal` both abort it. */
  private withAnalysisProgress<T>(title: string, signal: AbortSignal, work: (hooks: RunHooks) => Promise<T>): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        const stop = (): void => abort.abort();
        const sub = token.onCancellationRequested(stop);
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
        let reported = 0;
        try {
          return await work({
            signal: abort.signal,
            progress: (message, fraction) => {
              // withProgress adds up increments: report only what is new.
              const pct = Math.min(100, Math.round(fraction * 100));
              progress.report({ message, increment: Math.max(0, pct - reported) });
              reported = Math.max(reported, pct);
            },
          });
        } finally {
          sub.dispose();
          signal.removeEventListener('abort', stop);
        }
      }),
    );
  }

  /** Every session's known secrets, plus token-like URL parameters even when no session knows them. */
  redactAll(text: string): string {
    let out = this.baseRedactor.text(text);
    for (const e of this.manager.list()) out = e.redactor.text(out);
    return out;
  }

  private panelHost(): Omit<PanelHost, 'sessions'> {
    return {
      log: this.output,
      settings: () => this.settings(),
      demoUrl: () => this.demo.running?.httpUrl,
      connectFromPanel: (config) => this.connectFromPanel(config),
      exportSession: (id, format) => this.exportSession(id, format),
      demoDefaults: async (transport) => demoFormDefaults(await this.demo.ensure(), transport),
      hintsFor: (entry, reveal) => this.hintsFor(entry, reveal),
      redactAll: (text) => this.redactAll(text),
      runAuthMatrix: (params, signal) => this.runAuthMatrix(params, signal),
      compareTransports: (params, signal) => this.compareTransports(params, signal),
    };
  }

  /** Closes every connection and the demo server, then releases everything. */
  async shutdown(): Promise<void> {
    await Promise.allSettled([this.manager.closeAll(), this.demo.stop()]);
    this.dispose();
  }

  dispose(): void {
    this.store.dispose();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
