import type * as vscode from 'vscode';
import type { DemoServer } from '../demo/server';
import type { InspectorSettings } from './settings';

/**
 * The embedded demo server, started on demand (never at activation) and stopped with the
 * extension. Loaded with a dynamic import so its code runs only when someone asks for it.
 */
export class DemoController implements vscode.Disposable {
  private server: DemoServer | undefined;
  private starting: Promise<DemoServer> | undefined;

  constructor(
    private readonly settings: () => InspectorSettings,
    private readonly log: (line: string) => void,
  ) {}

  get running(): DemoServer | undefined {
    return this.server;
  }

  /** The demo server, started if needed. */
  ensure(): Promise<DemoServer> {
    if (this.server) return Promise.resolve(this.server);
    this.starting ??= (async () => {
      try {
        const { startDemoServer } = await import('../demo/server');
        const s = this.settings().demoServer;
        const server = await startDemoServer({ rate: s.rate, payloadSize: s.payloadSize });
        this.server = server;
        this.log(`Demo server listening on ${server.httpUrl} (WebSocket ${server.urls.ws}, SSE ${server.urls.sse}).`);
        return server;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  /** Stops it; resolves false when it was not running. */
  async stop(): Promise<boolean> {
    const server = this.server ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    this.server = undefined;
    if (!server) return false;
    await server.close();
    this.log('Demo server stopped.');
    return true;
  }

  /** Applies changed rate / payload size settings to a running server. */
  applySettings(): void {
    if (!this.server) return;
    const s = this.settings().demoServer;
    this.server.setRate(s.rate);
    this.server.setPayloadSize(s.payloadSize);
  }

  dispose(): void {
    void this.stop().catch(() => undefined);
  }
}
