import type * as vscode from 'vscode';
import type { SecretRequest } from '../shared/environments';

/** globalState key listing the SecretStorage keys this extension wrote (keys name origins, never values). */
const INDEX_KEY = 'realtimeInspector.secretKeys';

/**
 * Tokens live in VS Code's SecretStorage (the OS keychain), never in settings or workspace
 * files. SecretStorage cannot list its keys, so the keys written are remembered (without
 * values) to let "Forget Stored Tokens" clear them.
 */
export class SecretStore {
  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  get(key: string): Thenable<string | undefined> {
    return this.storage.get(key);
  }

  async store(key: string, value: string): Promise<void> {
    await this.storage.store(key, value);
    const keys = this.keys();
    if (!keys.includes(key)) await this.state.update(INDEX_KEY, [...keys, key]);
  }

  async storeAll(values: ReadonlyMap<string, string>): Promise<void> {
    for (const [k, v] of values) if (v) await this.store(k, v);
  }

  /** Values for `keys`: the ones given in `known` first, the rest from storage. Missing keys are left out. */
  async resolve(keys: readonly string[], known: ReadonlyMap<string, string>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const k of keys) {
      const v = known.get(k) || (await this.storage.get(k));
      if (v) out.set(k, v);
    }
    return out;
  }

  /**
   * Secrets for saved connections: `secret:KEY` is SecretStorage key KEY (what
   * toSavedConnection writes), a secret environment variable is "environment/ENV/NAME",
   * `env:NAME` is the extension host's environment variable NAME.
   */
  async lookup(req: SecretRequest): Promise<string | undefined> {
    return req.kind === 'env' ? process.env[req.name] : await this.storage.get(secretKeyOf(req)!);
  }

  keys(): string[] {
    const v = this.state.get<unknown>(INDEX_KEY);
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
  }

  async delete(key: string): Promise<void> {
    await this.storage.delete(key);
    await this.state.update(
      INDEX_KEY,
      this.keys().filter((k) => k !== key),
    );
  }

  async deleteAll(): Promise<number> {
    const keys = this.keys();
    for (const k of keys) await this.storage.delete(k);
    await this.state.update(INDEX_KEY, []);
    return keys.length;
  }
}

/** The SecretStorage key a saved-connection secret lives under; undefined for environment variables. */
export function secretKeyOf(req: SecretRequest): string | undefined {
  switch (req.kind) {
    case 'secret':
      return req.key;
    case 'variable':
      return `environment/${req.environment}/${req.variable}`;
    case 'env':
      return undefined;
  }
}
