import * as vscode from 'vscode';
import { importRecording } from '../shared/importRecording';
import { ImportError, type ImportedRecording } from '../shared/recording';
import { exportText, type ExportFormat } from './exportText';
import type { SessionEntry } from './sessionManager';

/** Files bigger than this are refused on import: they would not fit the log anyway. */
const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  ndjson: { 'NDJSON event log': ['ndjson', 'jsonl'] },
  har: { 'HTTP Archive (HAR 1.2)': ['har'] },
};

function safeFileName(name: string, format: ExportFormat): string {
  const stamp = new Date().toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
  return `${name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'session'}-${stamp}.${format}`;
}

function defaultFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/**
 * Exports a session after asking, for this export only, whether secrets go in.
 * Resolves undefined when the person cancelled.
 */
export async function exportSession(entry: SessionEntry, format: ExportFormat, creatorVersion: string): Promise<vscode.Uri | undefined> {
  const n = entry.log.size;
  if (n === 0) throw new Error(`"${entry.name}" has no events to export${entry.log.total ? ' (its log was cleared)' : ''}.`);
  const label = format === 'har' ? 'HAR' : 'NDJSON';
  const redacted = 'Export Redacted';
  const withSecrets = 'Include Secrets';
  const choice = await vscode.window.showInformationMessage(
    `Export "${entry.name}" (${n.toLocaleString('en-US')} events) as ${label}?`,
    {
      modal: true,
      detail: `Tokens, cookies, credential headers and token-like URL parameters are redacted. Include them only if the file stays with you: anyone who reads it can use them.${entry.log.dropped ? `\n\n${entry.log.dropped.toLocaleString('en-US')} older events were dropped by the log cap and are not in the export.` : ''}`,
    },
    redacted,
    withSecrets,
  );
  if (!choice) return undefined;
  const base = defaultFolder();
  const uri = await vscode.window.showSaveDialog({
    title: `Export session as ${label}`,
    defaultUri: base ? vscode.Uri.joinPath(base, safeFileName(entry.name, format)) : undefined,
    filters: FILTERS[format],
    saveLabel: choice === withSecrets ? 'Export with secrets' : 'Export',
  });
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, Buffer.from(exportText(entry, format, choice === withSecrets, creatorVersion), 'utf8'));
  return uri;
}

/** Export without questions, always redacted (commands run from code or tests). */
export async function exportRedactedTo(entry: SessionEntry, uri: vscode.Uri, creatorVersion: string): Promise<void> {
  const format: ExportFormat = /\.har$/i.test(uri.path) ? 'har' : 'ndjson';
  await vscode.workspace.fs.writeFile(uri, Buffer.from(exportText(entry, format, false, creatorVersion), 'utf8'));
}

export interface ImportedFile extends ImportedRecording {
  name: string;
}

/** Reads a recording (asked for unless given): NDJSON, our HAR, or another tool's HAR. Fails with what is wrong with the file. */
export async function readRecording(given?: vscode.Uri): Promise<ImportedFile | undefined> {
  const picked = given
    ? [given]
    : await vscode.window.showOpenDialog({
        title: 'Import a session (NDJSON or HAR)',
        canSelectMany: false,
        defaultUri: defaultFolder(),
        filters: { 'Recordings': ['ndjson', 'jsonl', 'har', 'json'], 'All files': ['*'] },
        openLabel: 'Import',
      });
  const uri = picked?.[0];
  if (!uri) return undefined;
  const fileName = uri.path.split('/').pop() ?? 'recording';
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.size > MAX_IMPORT_BYTES) throw new Error(`${fileName} is ${(stat.size / 1024 / 1024).toFixed(0)} MB; recordings over ${MAX_IMPORT_BYTES / 1024 / 1024} MB are not imported.`);
  const text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  try {
    return { name: fileName.replace(/\.(ndjson|jsonl|har|json)$/i, ''), ...importRecording(text, fileName) };
  } catch (err) {
    if (err instanceof ImportError) throw new Error(`${fileName} cannot be imported: ${err.message}`);
    throw err;
  }
}
