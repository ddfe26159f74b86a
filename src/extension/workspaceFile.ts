import * as vscode from 'vscode';
import { DEFAULT_WORKSPACE_FILE, EnvironmentError, emptyWorkspaceFile, parseWorkspaceFile, serializeWorkspaceFile, type WorkspaceFile } from '../shared/environments';

/**
 * The saved connections and environments file (.vscode/realtime-inspector.json), in the
 * format the CLI reads too (src/shared/environments.ts). It never holds a secret: those are
 * `secret:` references into VS Code's SecretStorage.
 */
export interface WorkspaceFileContents {
  /** Undefined when no folder is open. */
  uri?: vscode.Uri;
  exists: boolean;
  file: WorkspaceFile;
  /** Why the file could not be used (it is then treated as empty and never overwritten). */
  problems: string[];
  warnings: string[];
}

export function workspaceFileUri(): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? vscode.Uri.joinPath(folder.uri, DEFAULT_WORKSPACE_FILE) : undefined;
}

export async function readWorkspaceFile(): Promise<WorkspaceFileContents> {
  const uri = workspaceFileUri();
  const empty = emptyWorkspaceFile();
  if (!uri) return { exists: false, file: empty, problems: [], warnings: [] };
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(uri);
  } catch (err) {
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return { uri, exists: false, file: empty, problems: [], warnings: [] };
    return { uri, exists: true, file: empty, problems: [`Could not read ${DEFAULT_WORKSPACE_FILE}: ${err instanceof Error ? err.message : String(err)}`], warnings: [] };
  }
  try {
    const { file, warnings } = parseWorkspaceFile(new TextDecoder().decode(bytes));
    return { uri, exists: true, file, problems: [], warnings };
  } catch (err) {
    const problems = err instanceof EnvironmentError ? err.problems : [err instanceof Error ? err.message : String(err)];
    return { uri, exists: true, file: empty, problems, warnings: [] };
  }
}

/** Reads the file or fails with a sentence saying why it cannot be used. */
export async function requireWorkspaceFile(): Promise<WorkspaceFileContents & { uri: vscode.Uri }> {
  const c = await readWorkspaceFile();
  if (!c.uri) throw new Error(`Open a folder first: saved connections are kept in the workspace (${DEFAULT_WORKSPACE_FILE}).`);
  if (c.problems.length) throw new Error(`${DEFAULT_WORKSPACE_FILE} cannot be used: ${c.problems[0]}${c.problems.length > 1 ? ` (and ${c.problems.length - 1} more problems)` : ''} Fix the file and try again.`);
  return { ...c, uri: c.uri };
}

/** Rewrites the file with `update` applied. Refuses when the file has problems, so a hand edit with a typo is never thrown away. */
export async function updateWorkspaceFile(update: (file: WorkspaceFile) => WorkspaceFile): Promise<vscode.Uri> {
  const current = await requireWorkspaceFile();
  const next = update(current.file);
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(current.uri, '..'));
  await vscode.workspace.fs.writeFile(current.uri, new TextEncoder().encode(serializeWorkspaceFile(next)));
  return current.uri;
}
