/**
 * What an export file holds, through the shared exporters (the CLI writes the same files):
 * NDJSON or HAR 1.2, redacted unless the person chose to include secrets for this export.
 * No `vscode` import.
 */
import type { InspectorEvent } from '../shared/events';
import { credentialHeadersOf, secretsOf, type ExportOptions } from '../shared/exportRedact';
import { toHar } from '../shared/har';
import { toNdjson } from '../shared/recording';
import type { SessionEntry } from './sessionManager';

export type ExportFormat = 'ndjson' | 'har';

/** The file's text. `entry.options` names the secrets to mask beyond what the recording itself reveals. */
export function exportText(entry: SessionEntry, format: ExportFormat, includeSecrets: boolean, creatorVersion: string): string {
  const o = entry.options ?? {};
  const opts: ExportOptions = { includeSecrets, secrets: secretsOf(o), credentialHeaders: credentialHeadersOf(o) };
  const events = entry.log.slice();
  if (format === 'ndjson') return toNdjson(events, opts);
  const start = events.find((e): e is Extract<InspectorEvent, { type: 'session' }> => e.type === 'session');
  const meta = {
    transport: entry.transport,
    url: entry.options?.url ?? start?.url ?? entry.url,
    wallStart: entry.live?.wallStart ?? start?.wallStart ?? entry.createdAt,
    creator: { name: 'realtime-inspector', version: creatorVersion },
  };
  return JSON.stringify(toHar(events, meta, opts), null, 2);
}

