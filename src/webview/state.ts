import { TRANSPORT_KINDS, type TransportKind } from '../shared/events';
import type { FromWebview } from '../shared/protocol';
import { KINDS, type FilterSpec, type KindFilter } from './filter';

/**
 * View state kept by VS Code across reloads (vscode.setState). Never holds tokens or the
 * token endpoint body; header values whose name looks like a credential are not kept either.
 */
export type AuthMethodName = 'none' | 'query' | 'bearer' | 'cookie' | 'header' | 'subprotocol' | 'first-message' | 'token-url';
export const AUTH_METHODS: readonly AuthMethodName[] = ['none', 'query', 'bearer', 'cookie', 'header', 'subprotocol', 'first-message', 'token-url'];
export type Placement = 'bearer' | 'query' | 'cookie' | 'subprotocol' | 'first-message';
export const PLACEMENTS: readonly Placement[] = ['bearer', 'query', 'cookie', 'subprotocol', 'first-message'];
export type SendFormat = 'text' | 'json' | 'hex' | 'base64';
export const SEND_FORMATS: readonly SendFormat[] = ['text', 'json', 'hex', 'base64'];
export type DetailTab = 'text' | 'json' | 'hex' | 'headers' | 'timing';
export const DETAIL_TABS: readonly DetailTab[] = ['text', 'json', 'hex', 'headers', 'timing'];

export interface FormState {
  url: string;
  transport: TransportKind | 'auto';
  headers: Array<[string, string]>;
  authMethod: AuthMethodName;
  queryParam: string;
  cookieName: string;
  headerName: string;
  marker: string;
  template: string;
  tokenUrl: string;
  tokenHttpMethod: 'GET' | 'POST';
  tokenPath: string;
  placement: Placement;
  intervalMs: string;
  holdTimeoutMs: string;
  timeoutMs: string;
  subprotocols: string;
  sendUrl: string;
  reconnect: boolean;
  insecure: boolean;
}

/** Typed only, never persisted. */
export interface FormSecrets {
  token: string;
  tokenBody: string;
}

export interface SavedMessage {
  name: string;
  format: SendFormat;
  data: string;
}

export type SideTab = 'hints' | 'analysis';
export const SIDE_TABS: readonly SideTab[] = ['hints', 'analysis'];
export type CompareSeconds = 3 | 5 | 10;
export const COMPARE_SECONDS: readonly CompareSeconds[] = [3, 5, 10];

/** The Analysis view's choices (never a token). */
export interface AnalysisPrefs {
  /** Auth matrix against the demo server or the connection bar's URL. */
  target: 'demo' | 'form';
  transport: TransportKind;
  seconds: CompareSeconds;
}

export interface PersistedState {
  v: 1;
  form: FormState;
  setupOpen: boolean;
  filter: FilterSpec;
  composer: { format: SendFormat; draft: string; saved: SavedMessage[] };
  detailTab: DetailTab;
  sideTab: SideTab;
  analysis: AnalysisPrefs;
}

export function defaultForm(): FormState {
  return {
    url: '',
    transport: 'auto',
    headers: [],
    authMethod: 'none',
    queryParam: 'access_token',
    cookieName: 'session',
    headerName: 'X-API-Key',
    marker: '',
    template: '{"type":"auth","token":"{{token}}"}',
    tokenUrl: '',
    tokenHttpMethod: 'POST',
    tokenPath: 'access_token',
    placement: 'bearer',
    intervalMs: '',
    holdTimeoutMs: '',
    timeoutMs: '',
    subprotocols: '',
    sendUrl: '',
    reconnect: false,
    insecure: false,
  };
}

export function defaultState(): PersistedState {
  return {
    v: 1,
    form: defaultForm(),
    setupOpen: false,
    filter: { dir: 'all', kinds: [], text: '' },
    composer: { format: 'text', draft: '', saved: [] },
    detailTab: 'text',
    sideTab: 'hints',
    analysis: { target: 'demo', transport: 'ws', seconds: 5 },
  };
}

/** Header names whose values are credentials: typed values are used but not persisted. */
export const SECRET_HEADER = /auth|token|key|secret|cookie|session|passw|credential/i;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback: string, max = 65536): string => (typeof v === 'string' && v.length <= max ? v : fallback);
const oneOf = <T extends string | number>(v: unknown, all: readonly T[], fallback: T): T => (all.includes(v as T) ? (v as T) : fallback);

/** Whatever getState() returns (older versions, hand edits) becomes a valid state. */
export function restoreState(raw: unknown): PersistedState {
  const d = defaultState();
  if (!isObj(raw) || raw.v !== 1) return d;
  const f = isObj(raw.form) ? raw.form : {};
  const df = d.form;
  const form: FormState = {
    url: str(f.url, df.url, 8192),
    transport: oneOf<FormState['transport']>(f.transport, ['auto', ...TRANSPORT_KINDS], df.transport),
    headers: Array.isArray(f.headers) ? f.headers.filter((x): x is [string, string] => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string').slice(0, 200) : [],
    authMethod: oneOf(f.authMethod, AUTH_METHODS, df.authMethod),
    queryParam: str(f.queryParam, df.queryParam, 256),
    cookieName: str(f.cookieName, df.cookieName, 256),
    headerName: str(f.headerName, df.headerName, 256),
    marker: str(f.marker, df.marker, 256),
    template: str(f.template, df.template),
    tokenUrl: str(f.tokenUrl, df.tokenUrl, 8192),
    tokenHttpMethod: oneOf(f.tokenHttpMethod, ['GET', 'POST'] as const, df.tokenHttpMethod),
    tokenPath: str(f.tokenPath, df.tokenPath, 256),
    placement: oneOf(f.placement, PLACEMENTS, df.placement),
    intervalMs: str(f.intervalMs, '', 32),
    holdTimeoutMs: str(f.holdTimeoutMs, '', 32),
    timeoutMs: str(f.timeoutMs, '', 32),
    subprotocols: str(f.subprotocols, '', 8192),
    sendUrl: str(f.sendUrl, '', 8192),
    reconnect: f.reconnect === true,
    insecure: f.insecure === true,
  };
  const fl = isObj(raw.filter) ? raw.filter : {};
  const c = isObj(raw.composer) ? raw.composer : {};
  const an = isObj(raw.analysis) ? raw.analysis : {};
  const saved = Array.isArray(c.saved)
    ? c.saved
        .filter((s): s is Obj => isObj(s) && typeof s.data === 'string' && typeof s.name === 'string')
        .map((s) => ({ name: str(s.name, 'message', 200), format: oneOf(s.format, SEND_FORMATS, 'text'), data: str(s.data, '', 1024 * 1024) }))
        .slice(0, 100)
    : [];
  return {
    v: 1,
    form,
    setupOpen: raw.setupOpen === true,
    filter: {
      dir: oneOf(fl.dir, ['all', 'in', 'out'] as const, 'all'),
      kinds: Array.isArray(fl.kinds) ? fl.kinds.filter((k): k is KindFilter => KINDS.includes(k as KindFilter)) : [],
      text: str(fl.text, '', 4096),
    },
    composer: { format: oneOf(c.format, SEND_FORMATS, 'text'), draft: str(c.draft, '', 1024 * 1024), saved },
    detailTab: oneOf(raw.detailTab, DETAIL_TABS, 'text'),
    sideTab: oneOf(raw.sideTab, SIDE_TABS, 'hints'),
    analysis: {
      target: oneOf(an.target, ['demo', 'form'] as const, d.analysis.target),
      transport: oneOf(an.transport, TRANSPORT_KINDS, d.analysis.transport),
      seconds: oneOf(an.seconds, COMPARE_SECONDS, d.analysis.seconds),
    },
  };
}

/** The form as persisted: credential-looking header values blanked. */
export function persistableForm(form: FormState): FormState {
  return { ...form, headers: form.headers.map(([n, v]): [string, string] => [n, SECRET_HEADER.test(n) ? '' : v]) };
}

export interface VsCodeApi {
  post(message: FromWebview): void;
  load(): PersistedState;
  /** Saves soon (coalesced): typing must not call setState per keystroke. */
  save(state: PersistedState): void;
}

export function createVsCodeApi(): VsCodeApi {
  const api = acquireVsCodeApi();
  let timer: number | undefined;
  let pending: PersistedState | undefined;
  const flush = (): void => {
    timer = undefined;
    if (pending) api.setState({ ...pending, form: persistableForm(pending.form) });
    pending = undefined;
  };
  // Saving on hide keeps the last keystrokes when VS Code discards the webview.
  window.addEventListener('pagehide', flush);
  return {
    post: (m) => api.postMessage(m),
    load: () => restoreState(api.getState()),
    save: (s) => {
      pending = s;
      if (timer === undefined) timer = window.setTimeout(flush, 250);
    },
  };
}
