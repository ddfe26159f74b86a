import * as vscode from 'vscode';
import { DEFAULT_WORKSPACE_FILE, EnvironmentError, removeConnection, resolveConnection, secretsNeeded, toSavedConnection, upsertConnection, type SecretRequest, type WorkspaceFile } from '../shared/environments';
import { moveUrlTokenToAuth } from './connectOptions';
import type { Host } from './host';
import { secretKeyOf } from './secretStore';
import type { SessionEntry } from './sessionManager';
import { requireWorkspaceFile, updateWorkspaceFile } from './workspaceFile';

/** workspaceState key: the environment last used for saved connections in this workspace. */
const ENVIRONMENT_KEY = 'realtimeInspector.environment';

/** The environment to resolve {{variables}} with: none when the file has none, the only one, or picked. Undefined when cancelled. */
async function pickEnvironment(host: Host, file: WorkspaceFile): Promise<{ env: string | undefined } | undefined> {
  const envs = file.environments;
  if (envs.length === 0) return { env: undefined };
  if (envs.length === 1) return { env: envs[0].name };
  const last = host.context.workspaceState.get<string>(ENVIRONMENT_KEY);
  const items = envs.map((e) => ({ label: e.name, description: e.name === last ? 'last used' : undefined, detail: `${Object.keys(e.variables).length} variable(s)` }));
  items.sort((a, b) => Number(b.label === last) - Number(a.label === last));
  const pick = await vscode.window.showQuickPick(items, { title: 'Environment', placeHolder: 'Which environment fills the {{variables}}?' });
  if (!pick) return undefined;
  await host.context.workspaceState.update(ENVIRONMENT_KEY, pick.label);
  return { env: pick.label };
}

function describeNeed(req: SecretRequest): string {
  switch (req.kind) {
    case 'secret':
      return `The secret "${req.key}" is not in this machine's secret storage (the workspace file only names it). Type it to store it.`;
    case 'variable':
      return `The secret variable "${req.variable}" of environment "${req.environment}" has no value on this machine. Type it to store it in secret storage.`;
    case 'env':
      return `Environment variable ${req.name}`;
  }
}

/** Connects a saved connection: environment, missing secrets asked for once (and stored), then resolved by the shared rules the CLI uses. */
export async function connectSaved(host: Host, name: string): Promise<void> {
  const { file } = await requireWorkspaceFile();
  if (!file.connections.some((c) => c.name === name)) throw new Error(`No saved connection named "${name}" in ${DEFAULT_WORKSPACE_FILE}.`);
  const picked = await pickEnvironment(host, file);
  if (!picked) return;
  for (const req of secretsNeeded(file, name, picked.env)) {
    const key = secretKeyOf(req);
    // env: references are the extension host's environment; resolveConnection reports a missing one.
    if (!key || (await host.secrets.get(key))) continue;
    const value = await vscode.window.showInputBox({ title: `"${name}": secret needed`, prompt: describeNeed(req), password: true, ignoreFocusOut: true, validateInput: (v) => (v ? undefined : 'The value is empty.') });
    if (!value) return;
    await host.secrets.store(key, value);
  }
  let options;
  try {
    options = await resolveConnection(file, name, picked.env, (req) => host.secrets.lookup(req));
  } catch (err) {
    if (err instanceof EnvironmentError) throw new Error(`"${name}": ${err.message}`);
    throw err;
  }
  await host.openConnection(picked.env ? `${name} (${picked.env})` : name, options, 'command');
}

/** Saves a session's connection into the workspace file; its credentials go to SecretStorage as `secret:` references. */
export async function saveConnection(host: Host, entry: SessionEntry, name: string): Promise<{ secrets: number }> {
  if (!entry.saveable) throw new Error(`"${entry.name}" is an imported recording; only connections can be saved.`);
  const moved = moveUrlTokenToAuth(entry.saveable);
  if ('error' in moved) throw new Error(moved.error);
  const { connection, secrets } = toSavedConnection(name, moved.options);
  const { file } = await requireWorkspaceFile();
  if (file.connections.some((c) => c.name === name)) {
    const ok = await vscode.window.showWarningMessage(`A saved connection named "${name}" exists. Replace it?`, { modal: true }, 'Replace');
    if (!ok) return { secrets: 0 };
  }
  for (const s of secrets) await host.secrets.store(s.key, s.value);
  await updateWorkspaceFile((f) => upsertConnection(f, connection));
  return { secrets: secrets.length };
}

/** Deletes a saved connection; optionally forgets the secrets only it used. */
export async function deleteSaved(host: Host, name: string): Promise<boolean> {
  const { file } = await requireWorkspaceFile();
  if (!file.connections.some((c) => c.name === name)) throw new Error(`No saved connection named "${name}" in ${DEFAULT_WORKSPACE_FILE}.`);
  const keys = secretsNeeded(file, name, undefined).flatMap((r) => (r.kind === 'secret' ? [r.key] : []));
  const forget = 'Delete and Forget Its Secrets';
  const choice = await vscode.window.showWarningMessage(`Delete the saved connection "${name}"?`, { modal: true }, 'Delete', ...(keys.length ? [forget] : []));
  if (!choice) return false;
  let remaining: WorkspaceFile | undefined;
  await updateWorkspaceFile((f) => (remaining = removeConnection(f, name)));
  if (choice === forget && remaining) {
    const left = remaining;
    // A secret another saved connection still names stays.
    const stillUsed = new Set(left.connections.flatMap((c) => secretsNeeded(left, c.name, undefined).flatMap((r) => (r.kind === 'secret' ? [r.key] : []))));
    for (const k of keys) if (!stillUsed.has(k)) await host.secrets.delete(k);
  }
  return true;
}

/** Asks which saved connection; undefined when cancelled or there is none. */
export async function pickSaved(placeHolder: string): Promise<string | undefined> {
  const { file } = await requireWorkspaceFile();
  if (!file.connections.length) {
    void vscode.window.showInformationMessage('No saved connections yet. Connect, then run "Realtime Inspector: Save Current Connection…".');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    file.connections.map((c) => ({ label: c.name, description: c.transport, detail: c.description ?? c.url })),
    { placeHolder },
  );
  return pick?.label;
}
