import { TRANSPORT_KINDS, type HeaderList, type TransportKind } from './events';
import type { AuthConfig, ConnectOptions } from './options';
import { base64ToBytes, hexToBytes } from './serialize';

/**
 * Saved connections and environments: a versioned JSON file a team can commit. Pure logic
 * (no file system, no vscode): the extension reads and writes the file and keeps secret
 * values in SecretStorage; the CLI takes them from --var and the process environment.
 *
 * Secret values are never in the file. A secret is either a variable marked
 * `{ "secret": true }` in an environment, or a reference `{ "secretRef": "env:NAME" }`
 * (an environment variable) / `{ "secretRef": "secret:KEY" }` (the secret store), and is
 * resolved through the `lookupSecret` callback at connect time.
 *
 * `{{name}}` is replaced by the environment's variable in the URL, headers, auth fields,
 * the send URL, subprotocols and saved messages. Every value that came from a secret is
 * added to `redactValues`, so the session masks it wherever it shows up.
 */

export const WORKSPACE_FILE_VERSION = 1;
/** Where the extension keeps the file by default (relative to the workspace folder). */
export const DEFAULT_WORKSPACE_FILE = '.vscode/realtime-inspector.json';

/** A reference to a secret kept outside the file: "env:NAME" or "secret:KEY". */
export interface SecretRef {
  secretRef: string;
}
/** A string (which may use {{variables}}) or a reference to a secret. */
export type SecretValue = string | SecretRef;

export type SavedHeaders = Array<[string, SecretValue]> | Record<string, SecretValue>;

/** AuthConfig as saved: every credential field may be a secret reference. */
export type SavedAuth =
  | { method: 'none' }
  | { method: 'query'; param: string; token: SecretValue }
  | { method: 'bearer'; token: SecretValue }
  | { method: 'cookie'; name: string; value: SecretValue }
  | { method: 'subprotocol'; token: SecretValue; marker?: string }
  /** `template` keeps its own `{{token}}` placeholder (filled with the token by the transport, not by the environment). */
  | { method: 'first-message'; token: SecretValue; template?: string }
  | { method: 'header'; name: string; value: SecretValue }
  | {
      method: 'token-url';
      url: string;
      httpMethod?: 'GET' | 'POST';
      body?: SecretValue;
      headers?: SavedHeaders;
      tokenPath?: string;
      ttlPath?: string;
      placement?: 'query' | 'bearer' | 'cookie' | 'subprotocol' | 'first-message';
      name?: string;
    };

/** Connect options that can be saved (everything but what the connection itself names, and showSecrets). */
export type SavedOptions = Omit<ConnectOptions, 'url' | 'transport' | 'headers' | 'auth' | 'showSecrets' | 'redactValues'>;

export interface SavedMessage {
  name: string;
  data: string;
  /** How `data` is written: text (default), or binary as base64 or hex. */
  encoding?: 'text' | 'base64' | 'hex';
}

export interface SavedConnection {
  name: string;
  url: string;
  transport: TransportKind;
  headers?: SavedHeaders;
  auth?: SavedAuth;
  options?: SavedOptions;
  savedMessages?: SavedMessage[];
  description?: string;
}

/** A variable value: plain text (may use other {{variables}}), or a secret kept outside the file. */
export type VariableValue = string | { secret: true; secretRef?: string; description?: string };

export interface Environment {
  name: string;
  variables: Record<string, VariableValue>;
}

export interface WorkspaceFile {
  version: number;
  connections: SavedConnection[];
  environments: Environment[];
}

/** What the caller is asked for: an environment variable, a secret-store key, or a secret variable of an environment. */
export type SecretRequest = { kind: 'env'; name: string } | { kind: 'secret'; key: string } | { kind: 'variable'; environment: string; variable: string };
export type LookupSecret = (req: SecretRequest) => Promise<string | undefined> | string | undefined;

export interface ResolveOverrides {
  /** Variable values that win over the environment's (CLI --var name=value). */
  variables?: Record<string, string>;
  /** Options applied last (CLI flags). */
  options?: Partial<ConnectOptions>;
}

/** A problem with the file or with resolving a connection; `problems` lists every one found. */
export class EnvironmentError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

export function emptyWorkspaceFile(): WorkspaceFile {
  return { version: WORKSPACE_FILE_VERSION, connections: [], environments: [] };
}

/** The file as the extension writes it: stable, 2-space JSON with a final newline (diff-friendly). */
export function serializeWorkspaceFile(file: WorkspaceFile): string {
  return JSON.stringify({ version: file.version, connections: file.connections, environments: file.environments }, null, 2) + '\n';
}

/** Parses and validates the file's text. Throws EnvironmentError listing every problem. */
export function parseWorkspaceFile(text: string): { file: WorkspaceFile; warnings: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new EnvironmentError(`The connections file is not valid JSON: ${(err as Error).message}.`);
  }
  const r = validateWorkspaceFile(json);
  if (!r.file) throw new EnvironmentError(r.errors.length === 1 ? r.errors[0] : `The connections file has ${r.errors.length} problems: ${r.errors.join('; ')}`, r.errors);
  return { file: r.file, warnings: r.warnings };
}

// ---------------------------------------------------------------------------------------
// Validation

type Obj = Record<string, unknown>;
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v));

const AUTH_METHODS = ['none', 'query', 'bearer', 'cookie', 'subprotocol', 'first-message', 'header', 'token-url'] as const;
const PLACEMENTS = ['query', 'bearer', 'cookie', 'subprotocol', 'first-message'];

type OptionCheck = (v: unknown) => string | undefined;
const numberAtLeast =
  (min: number, integer = false): OptionCheck =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && (!integer || Number.isInteger(v)) ? undefined : `must be a${integer ? ' whole' : ''} number ≥ ${min} (got ${show(v)})`;
const positive: OptionCheck = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : `must be a number > 0 (got ${show(v)})`);
const bool: OptionCheck = (v) => (typeof v === 'boolean' ? undefined : `must be true or false (got ${show(v)})`);
const string: OptionCheck = (v) => (typeof v === 'string' ? undefined : `must be a string (got ${show(v)})`);

const OPTION_CHECKS: Record<keyof SavedOptions, OptionCheck> = {
  subprotocols: (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'must be a list of strings'),
  intervalMs: numberAtLeast(0),
  holdTimeoutMs: positive,
  cursor: (v) =>
    isObj(v) && (v.from === 'json' || v.from === 'header') && typeof v.path === 'string' && v.path && typeof v.param === 'string' && v.param
      ? undefined
      : 'must be { "from": "json" | "header", "path": "...", "param": "..." }',
  timeoutMs: positive,
  idleTimeoutMs: numberAtLeast(0),
  maxPayload: positive,
  maxLineBytes: positive,
  retryClampMs: (v) => (isObj(v) && typeof v.min === 'number' && typeof v.max === 'number' && v.min >= 0 && v.max >= v.min ? undefined : 'must be { "min": ms, "max": ms } with 0 ≤ min ≤ max'),
  reconnect: (v) => {
    if (!isObj(v)) return 'must be an object';
    for (const [k, x] of Object.entries(v)) {
      if (k === 'enabled') {
        if (typeof x !== 'boolean') return '"enabled" must be true or false';
      } else if (k === 'initialDelayMs' || k === 'maxDelayMs' || k === 'maxAttempts') {
        if (typeof x !== 'number' || !(x >= 0)) return `"${k}" must be a number ≥ 0`;
      } else return `has an unknown field "${k}" (known: enabled, initialDelayMs, maxDelayMs, maxAttempts)`;
    }
    return undefined;
  },
  insecure: bool,
  redirects: (v) => (v === 'none' || v === 'same-origin' || v === 'all' ? undefined : `must be "none", "same-origin" or "all" (got ${show(v)})`),
  logCap: numberAtLeast(1, true),
  logMaxBytes: numberAtLeast(1024),
  sendUrl: string,
  perMessageDeflate: bool,
  ca: (v) => (typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string')) ? undefined : 'must be a PEM string or a list of them'),
  proxy: (v) =>
    isObj(v) && typeof v.url === 'string' && v.url && (v.noProxy === undefined || (Array.isArray(v.noProxy) && v.noProxy.every((s) => typeof s === 'string')))
      ? undefined
      : 'must be { "url": "http://proxy:3128", "noProxy": ["..."] }',
};

/** Checks a parsed file. `file` is set when there is no error; warnings never block loading. */
export function validateWorkspaceFile(json: unknown): { file?: WorkspaceFile; errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isObj(json)) return { errors: [`The connections file must hold a JSON object (got ${show(json)}).`], warnings };
  if (json.version === undefined) errors.push(`"version" is missing (this version of Realtime Inspector writes ${WORKSPACE_FILE_VERSION}).`);
  else if (typeof json.version !== 'number' || !Number.isInteger(json.version) || json.version < 1) errors.push(`"version" must be a whole number (got ${show(json.version)}).`);
  else if (json.version > WORKSPACE_FILE_VERSION) errors.push(`The file is version ${json.version}, written by a newer Realtime Inspector; this one reads version ${WORKSPACE_FILE_VERSION}. Update the extension.`);
  for (const k of Object.keys(json)) if (!['version', 'connections', 'environments', '$schema', 'comment'].includes(k)) warnings.push(`Unknown top-level field "${k}" ignored.`);
  const conns = json.connections ?? [];
  const envs = json.environments ?? [];
  if (!Array.isArray(conns)) errors.push(`"connections" must be a list (got ${show(conns)}).`);
  if (!Array.isArray(envs)) errors.push(`"environments" must be a list (got ${show(envs)}).`);
  const connections = Array.isArray(conns) ? conns : [];
  const environments = Array.isArray(envs) ? envs : [];

  const connNames = new Set<string>();
  connections.forEach((c, i) => checkConnection(c, i, connNames, errors, warnings));
  const envNames = new Set<string>();
  environments.forEach((e, i) => checkEnvironment(e, i, envNames, errors, warnings));

  if (errors.length === 0) {
    // Variables used by a connection but missing from an environment fail at connect time: say so now.
    for (const c of connections as SavedConnection[]) {
      const used = variablesUsed(c);
      for (const e of environments as Environment[]) {
        const missing = used.filter((v) => !hasOwn(e.variables, v));
        if (missing.length) warnings.push(`Connection "${c.name}" uses ${missing.map((m) => `{{${m}}}`).join(', ')}, which environment "${e.name}" does not define.`);
      }
    }
  }
  if (errors.length) return { errors, warnings };
  return { file: { version: json.version as number, connections: connections as SavedConnection[], environments: environments as Environment[] }, errors, warnings };
}

function checkConnection(c: unknown, i: number, names: Set<string>, errors: string[], warnings: string[]): void {
  if (!isObj(c)) {
    errors.push(`connections[${i}] must be an object (got ${show(c)}).`);
    return;
  }
  const name = typeof c.name === 'string' && c.name.trim() ? c.name : undefined;
  const at = name ? `Connection "${name}"` : `connections[${i}]`;
  if (!name) errors.push(`connections[${i}] needs a "name".`);
  else if (names.has(name)) errors.push(`Two connections are named "${name}": names must be unique.`);
  else names.add(name);
  if (typeof c.url !== 'string' || !c.url.trim()) errors.push(`${at}: "url" is missing.`);
  if (typeof c.transport !== 'string' || !(TRANSPORT_KINDS as readonly string[]).includes(c.transport)) {
    errors.push(`${at}: unknown transport ${show(c.transport)} (use one of ${TRANSPORT_KINDS.join(', ')}).`);
  }
  if (c.headers !== undefined) checkHeaders(c.headers, `${at}: "headers"`, errors, warnings);
  if (c.auth !== undefined) checkAuth(c.auth, at, c.transport, errors, warnings);
  if (c.options !== undefined) {
    if (!isObj(c.options)) errors.push(`${at}: "options" must be an object.`);
    else {
      for (const [k, v] of Object.entries(c.options)) {
        if (k === 'showSecrets' || k === 'redactValues') {
          errors.push(`${at}: "${k}" cannot be saved in a shared file (it decides who sees secrets); set it per session.`);
          continue;
        }
        const check = (OPTION_CHECKS as Record<string, OptionCheck | undefined>)[k];
        if (!check) {
          const near = Object.keys(OPTION_CHECKS).find((o) => o.toLowerCase() === k.toLowerCase());
          errors.push(`${at}: unknown option "${k}"${near ? ` (did you mean "${near}"?)` : ''}.`);
          continue;
        }
        const problem = check(v);
        if (problem) errors.push(`${at}: option "${k}" ${problem}.`);
        else if (k === 'proxy' && /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:(?!\{\{)[^/@]+@/i.test((v as { url: string }).url)) {
          warnings.push(`${at}: the proxy URL holds a password in plain text: use {{variable}} with a secret variable for it.`);
        }
      }
    }
  }
  if (c.savedMessages !== undefined) {
    if (!Array.isArray(c.savedMessages)) errors.push(`${at}: "savedMessages" must be a list.`);
    else
      c.savedMessages.forEach((m, j) => {
        if (!isObj(m) || typeof m.name !== 'string' || typeof m.data !== 'string') {
          errors.push(`${at}: savedMessages[${j}] must be { "name": "...", "data": "..." }.`);
          return;
        }
        if (m.encoding !== undefined && m.encoding !== 'text' && m.encoding !== 'base64' && m.encoding !== 'hex') errors.push(`${at}: saved message "${m.name}": "encoding" must be "text", "base64" or "hex" (got ${show(m.encoding)}).`);
        if (m.encoding === 'hex' && !/\{\{/.test(m.data)) {
          try {
            hexToBytes(m.data);
          } catch {
            errors.push(`${at}: saved message "${m.name}" is marked hex but is not a hex string.`);
          }
        }
      });
  }
  for (const k of Object.keys(c)) if (!['name', 'url', 'transport', 'headers', 'auth', 'options', 'savedMessages', 'description'].includes(k)) warnings.push(`${at}: unknown field "${k}" ignored.`);
}

function checkSecretValue(v: unknown, what: string, errors: string[], warnings: string[], credential: boolean): void {
  if (typeof v === 'string') {
    if (credential && v && !/\{\{\s*[\w.-]+\s*\}\}/.test(v)) {
      warnings.push(`${what} is written in the file in plain text, so everyone with the repository can read it: use {{variable}} with a secret variable, or { "secretRef": "env:NAME" }.`);
    }
    return;
  }
  if (isObj(v) && typeof v.secretRef === 'string') {
    if (!parseSecretRef(v.secretRef)) errors.push(`${what}: secretRef ${show(v.secretRef)} must be "env:NAME" or "secret:KEY".`);
    return;
  }
  errors.push(`${what} must be a string or { "secretRef": "env:NAME" | "secret:KEY" } (got ${show(v)}).`);
}

function checkHeaders(h: unknown, what: string, errors: string[], warnings: string[]): void {
  const pairs: Array<[unknown, unknown]> = Array.isArray(h) ? h.map((p) => (Array.isArray(p) && p.length === 2 ? [p[0], p[1]] : [undefined, undefined])) : isObj(h) ? Object.entries(h) : [];
  if (!Array.isArray(h) && !isObj(h)) {
    errors.push(`${what} must be a list of [name, value] pairs or an object (got ${show(h)}).`);
    return;
  }
  pairs.forEach(([k, v], j) => {
    if (typeof k !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(k)) {
      errors.push(`${what}[${j}]: ${show(k)} is not a valid header name.`);
      return;
    }
    checkSecretValue(v, `${what} "${k}"`, errors, warnings, isCredentialHeaderName(k));
  });
}

function isCredentialHeaderName(name: string): boolean {
  return /^(authorization|proxy-authorization|cookie|x-api-key|x-auth-token|x-access-token)$/i.test(name);
}

function checkAuth(a: unknown, at: string, transport: unknown, errors: string[], warnings: string[]): void {
  if (!isObj(a) || typeof a.method !== 'string') {
    errors.push(`${at}: "auth" must be an object with a "method" (${AUTH_METHODS.join(', ')}).`);
    return;
  }
  const m = a.method;
  if (!(AUTH_METHODS as readonly string[]).includes(m)) {
    errors.push(`${at}: unknown auth method ${show(m)} (use one of ${AUTH_METHODS.join(', ')}).`);
    return;
  }
  const need = (field: string): boolean => {
    if (typeof a[field] === 'string' && (a[field] as string).length) return true;
    errors.push(`${at}: auth method "${m}" needs "${field}".`);
    return false;
  };
  const secret = (field: string): void => {
    if (a[field] === undefined) errors.push(`${at}: auth method "${m}" needs "${field}".`);
    else checkSecretValue(a[field], `${at}: auth ${field}`, errors, warnings, true);
  };
  switch (m) {
    case 'query':
      need('param');
      secret('token');
      break;
    case 'bearer':
    case 'subprotocol':
    case 'first-message':
      secret('token');
      if (m === 'subprotocol' && transport !== 'ws') errors.push(`${at}: a token in Sec-WebSocket-Protocol only works with transport "ws".`);
      break;
    case 'cookie':
    case 'header':
      need('name');
      secret('value');
      break;
    case 'token-url':
      need('url');
      if (a.body !== undefined) checkSecretValue(a.body, `${at}: auth body`, errors, warnings, false);
      if (a.headers !== undefined) checkHeaders(a.headers, `${at}: auth headers`, errors, warnings);
      if (a.httpMethod !== undefined && a.httpMethod !== 'GET' && a.httpMethod !== 'POST') errors.push(`${at}: auth httpMethod must be "GET" or "POST".`);
      if (a.placement !== undefined && !PLACEMENTS.includes(a.placement as string)) errors.push(`${at}: auth placement must be one of ${PLACEMENTS.join(', ')} (got ${show(a.placement)}).`);
      break;
  }
}

function checkEnvironment(e: unknown, i: number, names: Set<string>, errors: string[], warnings: string[]): void {
  if (!isObj(e)) {
    errors.push(`environments[${i}] must be an object (got ${show(e)}).`);
    return;
  }
  const name = typeof e.name === 'string' && e.name.trim() ? e.name : undefined;
  const at = name ? `Environment "${name}"` : `environments[${i}]`;
  if (!name) errors.push(`environments[${i}] needs a "name".`);
  else if (names.has(name)) errors.push(`Two environments are named "${name}": names must be unique.`);
  else names.add(name);
  if (!isObj(e.variables)) {
    errors.push(`${at}: "variables" must be an object of name → value.`);
    return;
  }
  for (const [k, v] of Object.entries(e.variables)) {
    if (!/^[A-Za-z_][\w.-]*$/.test(k)) errors.push(`${at}: ${show(k)} is not a valid variable name (letters, digits, _ . -, not starting with a digit).`);
    if (typeof v === 'string') continue;
    if (isObj(v) && v.secret === true) {
      if ('value' in v) errors.push(`${at}: variable "${k}" is secret, so its value must not be in the file: remove "value" (it is kept in the editor's secret storage or given on the command line).`);
      if (v.secretRef !== undefined && (typeof v.secretRef !== 'string' || !parseSecretRef(v.secretRef))) errors.push(`${at}: variable "${k}": secretRef must be "env:NAME" or "secret:KEY".`);
      continue;
    }
    errors.push(`${at}: variable "${k}" must be a string or { "secret": true } (got ${show(v)}).`);
  }
  for (const k of Object.keys(e)) if (!['name', 'variables', 'description'].includes(k)) warnings.push(`${at}: unknown field "${k}" ignored.`);
}

export function parseSecretRef(ref: string): SecretRequest | undefined {
  const m = /^(env|secret):(.+)$/.exec(ref);
  if (!m) return undefined;
  return m[1] === 'env' ? { kind: 'env', name: m[2] } : { kind: 'secret', key: m[2] };
}

const VAR = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** Every {{variable}} a connection uses, in order of first use. */
export function variablesUsed(c: SavedConnection): string[] {
  const out = new Set<string>();
  const scan = (s: unknown, skipToken = false): void => {
    if (typeof s !== 'string') return;
    for (const m of s.matchAll(VAR)) if (!(skipToken && m[1] === 'token')) out.add(m[1]);
  };
  scan(c.url);
  for (const [, v] of headerPairs(c.headers)) scan(v);
  const a = c.auth as Record<string, unknown> | undefined;
  if (a) for (const [k, v] of Object.entries(a)) k === 'headers' ? headerPairs(v as SavedHeaders).forEach(([, hv]) => scan(hv)) : scan(v, k === 'template');
  scan(c.options?.sendUrl);
  scan(c.options?.proxy?.url);
  for (const p of c.options?.subprotocols ?? []) scan(p);
  for (const m of c.savedMessages ?? []) scan(m.data);
  return [...out];
}

function headerPairs(h: SavedHeaders | undefined): Array<[string, SecretValue]> {
  if (!h) return [];
  return Array.isArray(h) ? h : Object.entries(h);
}

// ---------------------------------------------------------------------------------------
// Resolution

/** Fills in variables and secrets; collects every problem so one error lists them all. */
class Resolver {
  readonly problems: string[] = [];
  readonly secrets = new Set<string>();
  private readonly cache = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly env: Environment | undefined,
    private readonly lookup: LookupSecret,
    private readonly overrides: Record<string, string>,
  ) {}

  private where(): string {
    return this.env ? `in environment "${this.env.name}"` : '(no environment selected)';
  }

  /** Replaces {{name}} in `s`. `keepToken` leaves {{token}} for the transport (first-message template). */
  async text(s: string, used: string, keepToken = false, depth = 0): Promise<string> {
    const names = [...s.matchAll(VAR)].map((m) => m[1]).filter((n) => !(keepToken && n === 'token'));
    if (names.length === 0) return s;
    const values = new Map<string, string>();
    for (const n of new Set(names)) {
      const v = await this.variable(n, used, depth);
      if (v !== undefined) values.set(n, v);
    }
    return s.replace(VAR, (whole, n: string) => (keepToken && n === 'token' ? whole : (values.get(n) ?? whole)));
  }

  async value(v: SecretValue | undefined, used: string): Promise<string | undefined> {
    if (v === undefined) return undefined;
    if (typeof v === 'string') return this.text(v, used);
    return this.secretRef(v.secretRef, used);
  }

  private async variable(name: string, used: string, depth: number): Promise<string | undefined> {
    const env = this.env;
    const def = env && hasOwn(env.variables, name) ? env.variables[name] : undefined;
    if (hasOwn(this.overrides, name)) {
      const v = this.overrides[name];
      if (def !== undefined && typeof def !== 'string') this.secrets.add(v);
      return v;
    }
    if (def === undefined) {
      this.problems.push(`{{${name}}} is not defined ${this.where()} (used in ${used}).`);
      return undefined;
    }
    if (typeof def === 'string') {
      if (depth >= 5) {
        this.problems.push(`{{${name}}} ${this.where()} refers to other variables too deeply (a loop?) (used in ${used}).`);
        return undefined;
      }
      return this.text(def, used, false, depth + 1);
    }
    const req: SecretRequest = def.secretRef ? (parseSecretRef(def.secretRef) ?? { kind: 'variable', environment: env!.name, variable: name }) : { kind: 'variable', environment: env!.name, variable: name };
    const key = JSON.stringify(req);
    let p = this.cache.get(key);
    if (!p) {
      p = Promise.resolve(this.lookup(req));
      this.cache.set(key, p);
    }
    let v: string | undefined;
    try {
      v = await p;
    } catch (err) {
      this.problems.push(`Could not read secret variable "${name}" ${this.where()}: ${(err as Error).message}`);
      return undefined;
    }
    if (v === undefined || v === '') {
      this.problems.push(`Secret variable "${name}" ${this.where()} has no value: it is kept outside the file (${describeRequest(req)}) (used in ${used}).`);
      return undefined;
    }
    this.secrets.add(v);
    return v;
  }

  private async secretRef(ref: string, used: string): Promise<string | undefined> {
    const req = parseSecretRef(ref);
    if (!req) {
      this.problems.push(`secretRef ${JSON.stringify(ref)} must be "env:NAME" or "secret:KEY" (used in ${used}).`);
      return undefined;
    }
    let v: string | undefined;
    try {
      v = await this.lookup(req);
    } catch (err) {
      this.problems.push(`Could not read ${describeRequest(req)}: ${(err as Error).message}`);
      return undefined;
    }
    if (v === undefined || v === '') {
      this.problems.push(`${describeRequest(req)[0].toUpperCase()}${describeRequest(req).slice(1)} has no value (used in ${used}).`);
      return undefined;
    }
    this.secrets.add(v);
    return v;
  }
}

function describeRequest(r: SecretRequest): string {
  return r.kind === 'env' ? `environment variable ${r.name}` : r.kind === 'secret' ? `secret "${r.key}" in the secret store` : `set it in the secret store or pass it as a variable`;
}

function findConnection(file: WorkspaceFile, name: string): SavedConnection {
  const c = file.connections.find((x) => x.name === name);
  if (!c) {
    const names = file.connections.map((x) => `"${x.name}"`);
    throw new EnvironmentError(`No connection named "${name}" in the file${names.length ? ` (there are ${names.join(', ')})` : ' (it has no connections)'}.`);
  }
  return c;
}

function findEnvironment(file: WorkspaceFile, name: string | undefined): Environment | undefined {
  if (name === undefined) return undefined;
  const e = file.environments.find((x) => x.name === name);
  if (!e) {
    const names = file.environments.map((x) => `"${x.name}"`);
    throw new EnvironmentError(`No environment named "${name}" in the file${names.length ? ` (there are ${names.join(', ')})` : ' (it has no environments)'}.`);
  }
  return e;
}

function fail(r: Resolver, what: string): never {
  const p = r.problems;
  throw new EnvironmentError(p.length === 1 ? p[0] : `${p.length} problems resolving ${what}: ${p.join(' ')}`, p);
}

/**
 * Turns a saved connection into ConnectOptions for one environment: variables substituted,
 * secrets looked up (never read from the file), secret values listed in `redactValues`.
 * Throws EnvironmentError naming every missing variable or secret.
 */
export async function resolveConnection(file: WorkspaceFile, connectionName: string, envName: string | undefined, lookupSecret: LookupSecret, overrides: ResolveOverrides = {}): Promise<ConnectOptions> {
  const c = findConnection(file, connectionName);
  const r = new Resolver(findEnvironment(file, envName), lookupSecret, overrides.variables ?? {});
  const label = `connection "${c.name}"`;
  const url = await r.text(c.url, `the URL of ${label}`);
  const headers = await resolveHeaders(r, c.headers, `the headers of ${label}`);
  const auth = c.auth ? await resolveAuth(r, c.auth, `the auth of ${label}`) : undefined;
  const options: Partial<ConnectOptions> = { ...(c.options ?? {}) };
  if (c.options?.sendUrl !== undefined) options.sendUrl = await r.text(c.options.sendUrl, `the send URL of ${label}`);
  if (c.options?.proxy) options.proxy = { ...c.options.proxy, url: await r.text(c.options.proxy.url, `the proxy URL of ${label}`) };
  if (c.options?.subprotocols) {
    const out: string[] = [];
    for (const p of c.options.subprotocols) out.push(await r.text(p, `the subprotocols of ${label}`));
    options.subprotocols = out;
  }
  if (r.problems.length) fail(r, label);
  const resolved: ConnectOptions = { ...options, url, transport: c.transport };
  if (headers.length) resolved.headers = headers;
  if (auth) resolved.auth = auth;
  // Flags given for this run win over the file.
  const o = overrides.options ?? {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (resolved as unknown as Record<string, unknown>)[k] = v;
  const secrets = [...r.secrets, ...(o.redactValues ?? [])];
  if (secrets.length) resolved.redactValues = [...new Set(secrets)];
  return resolved;
}

/** The saved messages of a connection with variables substituted (binary ones decoded). Secrets they use are added to `redactValues` by resolveConnection only if the URL/headers/auth use them too, so pass the result's secrets along. */
export async function resolveSavedMessages(
  file: WorkspaceFile,
  connectionName: string,
  envName: string | undefined,
  lookupSecret: LookupSecret,
  overrides: ResolveOverrides = {},
): Promise<{ messages: Array<{ name: string; data: string | Uint8Array }>; redactValues: string[] }> {
  const c = findConnection(file, connectionName);
  const r = new Resolver(findEnvironment(file, envName), lookupSecret, overrides.variables ?? {});
  const messages: Array<{ name: string; data: string | Uint8Array }> = [];
  for (const m of c.savedMessages ?? []) {
    const text = await r.text(m.data, `saved message "${m.name}" of connection "${c.name}"`);
    if (m.encoding === 'hex' || m.encoding === 'base64') {
      try {
        messages.push({ name: m.name, data: m.encoding === 'hex' ? hexToBytes(text) : base64ToBytes(text) });
      } catch (err) {
        r.problems.push(`Saved message "${m.name}" is not valid ${m.encoding}: ${(err as Error).message}.`);
      }
    } else messages.push({ name: m.name, data: text });
  }
  if (r.problems.length) fail(r, `the saved messages of connection "${c.name}"`);
  return { messages, redactValues: [...r.secrets] };
}

/** The secrets a connection needs in an environment (to ask the user before connecting). */
export function secretsNeeded(file: WorkspaceFile, connectionName: string, envName: string | undefined): SecretRequest[] {
  const c = findConnection(file, connectionName);
  const env = findEnvironment(file, envName);
  const out = new Map<string, SecretRequest>();
  const addRef = (v: SecretValue | undefined): void => {
    if (v && typeof v !== 'string') {
      const req = parseSecretRef(v.secretRef);
      if (req) out.set(JSON.stringify(req), req);
    }
  };
  for (const [, v] of headerPairs(c.headers)) addRef(v);
  if (c.auth) {
    for (const [k, v] of Object.entries(c.auth)) {
      if (k === 'headers') headerPairs(v as SavedHeaders).forEach(([, hv]) => addRef(hv));
      else if (isObj(v)) addRef(v as unknown as SecretRef);
    }
  }
  const seen = new Set<string>();
  const visit = (name: string, depth: number): void => {
    if (seen.has(name) || depth > 5 || !env) return;
    seen.add(name);
    if (!hasOwn(env.variables, name)) return;
    const def = env.variables[name];
    if (typeof def === 'string') {
      for (const m of def.matchAll(VAR)) visit(m[1], depth + 1);
      return;
    }
    const req: SecretRequest = (def.secretRef && parseSecretRef(def.secretRef)) || { kind: 'variable', environment: env.name, variable: name };
    out.set(JSON.stringify(req), req);
  };
  for (const v of variablesUsed(c)) visit(v, 0);
  return [...out.values()];
}

async function resolveHeaders(r: Resolver, h: SavedHeaders | undefined, used: string): Promise<HeaderList> {
  const out: HeaderList = [];
  for (const [k, v] of headerPairs(h)) {
    const value = await r.value(v, `${used} ("${k}")`);
    if (value !== undefined) out.push([k, value]);
  }
  return out;
}

async function resolveAuth(r: Resolver, a: SavedAuth, used: string): Promise<AuthConfig> {
  const v = async (x: SecretValue | undefined, field: string): Promise<string> => (await r.value(x, `${used} (${field})`)) ?? '';
  const t = async (x: string | undefined, field: string): Promise<string | undefined> => (x === undefined ? undefined : r.text(x, `${used} (${field})`));
  switch (a.method) {
    case 'none':
      return { method: 'none' };
    case 'query':
      return { method: 'query', param: (await t(a.param, 'param'))!, token: await v(a.token, 'token') };
    case 'bearer':
      return { method: 'bearer', token: await v(a.token, 'token') };
    case 'cookie':
      return { method: 'cookie', name: (await t(a.name, 'name'))!, value: await v(a.value, 'value') };
    case 'subprotocol': {
      const out: AuthConfig = { method: 'subprotocol', token: await v(a.token, 'token') };
      if (a.marker !== undefined) out.marker = await t(a.marker, 'marker');
      return out;
    }
    case 'first-message': {
      const out: AuthConfig = { method: 'first-message', token: await v(a.token, 'token') };
      if (a.template !== undefined) out.template = await r.text(a.template, `${used} (template)`, true);
      return out;
    }
    case 'header':
      return { method: 'header', name: (await t(a.name, 'name'))!, value: await v(a.value, 'value') };
    case 'token-url': {
      const out: Extract<AuthConfig, { method: 'token-url' }> = { method: 'token-url', url: (await t(a.url, 'url'))! };
      if (a.httpMethod) out.httpMethod = a.httpMethod;
      if (a.body !== undefined) out.body = await v(a.body, 'body');
      if (a.headers !== undefined) out.headers = await resolveHeaders(r, a.headers, `${used} (token request headers)`);
      if (a.tokenPath !== undefined) out.tokenPath = a.tokenPath;
      if (a.ttlPath !== undefined) out.ttlPath = a.ttlPath;
      if (a.placement !== undefined) out.placement = a.placement;
      if (a.name !== undefined) out.name = await t(a.name, 'name');
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Saving a live connection

/**
 * A saved connection from live ConnectOptions, with every credential replaced by a
 * `secret:` reference. The caller stores `secrets` (key → value) in its secret store; the
 * connection itself holds no secret and can be written to the shared file.
 */
export function toSavedConnection(name: string, o: ConnectOptions, savedMessages: SavedMessage[] = []): { connection: SavedConnection; secrets: Array<{ key: string; value: string }> } {
  const secrets: Array<{ key: string; value: string }> = [];
  const ref = (field: string, value: string): SecretRef => {
    const key = `connection/${name}/${field}`;
    secrets.push({ key, value });
    return { secretRef: `secret:${key}` };
  };
  const headers = (h: HeaderList | undefined, field: string): SavedHeaders | undefined =>
    h && h.length ? h.map(([k, v]): [string, SecretValue] => [k, isCredentialHeaderName(k) ? ref(`${field}/${k.toLowerCase()}`, v) : v]) : undefined;
  const a = o.auth;
  let auth: SavedAuth | undefined;
  if (a) {
    switch (a.method) {
      case 'none':
        auth = a;
        break;
      case 'query':
        auth = { method: 'query', param: a.param, token: ref('token', a.token) };
        break;
      case 'bearer':
        auth = { method: 'bearer', token: ref('token', a.token) };
        break;
      case 'cookie':
        auth = { method: 'cookie', name: a.name, value: ref('token', a.value) };
        break;
      case 'subprotocol':
        auth = { method: 'subprotocol', token: ref('token', a.token), ...(a.marker ? { marker: a.marker } : {}) };
        break;
      case 'first-message':
        auth = { method: 'first-message', token: ref('token', a.token), ...(a.template ? { template: a.template } : {}) };
        break;
      case 'header':
        auth = { method: 'header', name: a.name, value: ref('token', a.value) };
        break;
      case 'token-url': {
        const { headers: h, body, ...rest } = a;
        auth = { ...rest, ...(body !== undefined ? { body: ref('token-request-body', body) } : {}), ...(h ? { headers: headers(h, 'token-request-headers') } : {}) };
        break;
      }
    }
  }
  const { url, transport, headers: h, auth: _a, showSecrets: _s, redactValues: _r, ...options } = o;
  const connection: SavedConnection = { name, url, transport };
  const sh = headers(h, 'headers');
  if (sh) connection.headers = sh;
  if (auth) connection.auth = auth;
  if (Object.keys(options).length) connection.options = options;
  if (savedMessages.length) connection.savedMessages = savedMessages;
  return { connection, secrets };
}

/** The file with `c` added, or replacing the connection of the same name. */
export function upsertConnection(file: WorkspaceFile, c: SavedConnection): WorkspaceFile {
  const i = file.connections.findIndex((x) => x.name === c.name);
  const connections = i < 0 ? [...file.connections, c] : file.connections.map((x, j) => (j === i ? c : x));
  return { ...file, connections };
}

export function removeConnection(file: WorkspaceFile, name: string): WorkspaceFile {
  return { ...file, connections: file.connections.filter((x) => x.name !== name) };
}

/** The file with `e` added, or replacing the environment of the same name. Refuses secret values in the file. */
export function upsertEnvironment(file: WorkspaceFile, e: Environment): WorkspaceFile {
  for (const [k, v] of Object.entries(e.variables)) {
    if (typeof v !== 'string' && 'value' in (v as object)) throw new EnvironmentError(`Variable "${k}" is secret: its value belongs in the secret store, not in the file.`);
  }
  const i = file.environments.findIndex((x) => x.name === e.name);
  const environments = i < 0 ? [...file.environments, e] : file.environments.map((x, j) => (j === i ? e : x));
  return { ...file, environments };
}
