import type { AnalysisKind, AuthMatrixView, ComparisonView, SessionSummary } from '../shared/protocol';
import type { JsonEvent } from '../shared/serialize';

/**
 * What `activate` returns (extension.exports): read-only and always redacted, for tests and
 * automation. Secrets never leave through it; "include secrets" exists only behind the
 * export command's modal choice.
 */
export interface RealtimeInspectorApi {
  /** The sessions the host keeps (URLs redacted). Loads nothing until called. */
  sessions(): Promise<SessionSummary[]>;
  /** A session's kept events as JSON, redacted; undefined for an unknown id. */
  events(sessionId: string): Promise<JsonEvent[] | undefined>;
  /** The demo server's base URL while it runs. */
  demoUrl(): Promise<string | undefined>;
  /** The id of the session the inspector shows, if it is open. */
  activeSessionId(): Promise<string | undefined>;
  /**
   * What the inspector's Analysis view holds: the latest auth matrix and comparison exactly
   * as posted to the webview (redacted), and the run in progress. Empty while no inspector
   * is open. Optional so hosts of older builds still satisfy the type.
   */
  analysis?(): Promise<AnalysisSnapshot>;
}

export interface AnalysisSnapshot {
  authMatrix?: AuthMatrixView;
  comparison?: ComparisonView;
  running?: { kind: AnalysisKind; title: string };
}
