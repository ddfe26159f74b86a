/**
 * The extension's settings (contributes.configuration), read through a getter and
 * sanitized so a hand-edited settings.json cannot break a session. No secrets live here.
 * No `vscode` import: the caller passes `workspace.getConfiguration('realtimeInspector').get`.
 */
import { DEFAULTS } from '../shared/options';

export type RedirectPolicy = 'same-origin' | 'none' | 'all';

/** What to open once VS Code has started: nothing, or the inspector on the demo server (`npm start`). */
export type StartupAction = 'none' | 'demo';

export interface InspectorSettings {
  logCap: number;
  timeoutMs: number;
  pollIntervalMs: number;
  longPollHoldTimeoutMs: number;
  followRedirects: RedirectPolicy;
  reconnect: { enabled: boolean; maxDelayMs: number };
  demoServer: { rate: number; payloadSize: number };
  openOnStartup: StartupAction;
}

export const SETTING_DEFAULTS: InspectorSettings = {
  logCap: DEFAULTS.logCap,
  timeoutMs: DEFAULTS.timeoutMs,
  pollIntervalMs: DEFAULTS.intervalMs,
  longPollHoldTimeoutMs: DEFAULTS.holdTimeoutMs,
  followRedirects: 'same-origin',
  reconnect: { enabled: DEFAULTS.reconnect.enabled, maxDelayMs: DEFAULTS.reconnect.maxDelayMs },
  demoServer: { rate: 2, payloadSize: 64 },
  openOnStartup: 'none',
};

/** Upper bound on the log cap: 10 million events is already gigabytes of payloads. */
export const MAX_LOG_CAP = 10_000_000;

type Getter = (key: string) => unknown;

function int(get: Getter, key: string, fallback: number, min: number, max: number): number {
  const v = get(key);
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : fallback;
}

function num(get: Getter, key: string, fallback: number, min: number, max: number): number {
  const v = get(key);
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

export function readSettings(get: Getter): InspectorSettings {
  const d = SETTING_DEFAULTS;
  const redirects = get('followRedirects');
  return {
    logCap: int(get, 'logCap', d.logCap, 1, MAX_LOG_CAP),
    timeoutMs: int(get, 'timeoutMs', d.timeoutMs, 1, 600_000),
    pollIntervalMs: int(get, 'pollIntervalMs', d.pollIntervalMs, 0, 3_600_000),
    longPollHoldTimeoutMs: int(get, 'longPollHoldTimeoutMs', d.longPollHoldTimeoutMs, 1, 3_600_000),
    followRedirects: redirects === 'none' || redirects === 'all' || redirects === 'same-origin' ? redirects : d.followRedirects,
    reconnect: {
      enabled: typeof get('reconnect.enabled') === 'boolean' ? (get('reconnect.enabled') as boolean) : d.reconnect.enabled,
      maxDelayMs: int(get, 'reconnect.maxDelayMs', d.reconnect.maxDelayMs, 1, 3_600_000),
    },
    demoServer: {
      rate: num(get, 'demoServer.rate', d.demoServer.rate, 0, 100_000),
      payloadSize: int(get, 'demoServer.payloadSize', d.demoServer.payloadSize, 0, 64 * 1024 * 1024),
    },
    openOnStartup: readOpenOnStartup(get),
  };
}

/** Read on its own at activation (onStartupFinished): one key, nothing else loaded. */
export function readOpenOnStartup(get: Getter): StartupAction {
  return get('openOnStartup') === 'demo' ? 'demo' : 'none';
}

/** VS Code's own proxy settings (section `http`), which every connection of the extension honours. */
export interface ProxySettings {
  /** `http.proxy`: empty means "use HTTPS_PROXY / HTTP_PROXY from the environment", as VS Code does. */
  proxy: string;
  /** `http.proxyStrictSSL`: false means certificates are not verified for connections through the proxy. */
  strictSSL: boolean;
  /** `http.proxySupport`: 'off' turns proxying off for extensions. */
  support: 'off' | 'on' | 'fallback' | 'override';
  /** `http.noProxy`: hosts that bypass the proxy. */
  noProxy: string[];
}

export function readProxySettings(get: Getter): ProxySettings {
  const support = get('proxySupport');
  const noProxy = get('noProxy');
  return {
    proxy: typeof get('proxy') === 'string' ? (get('proxy') as string).trim() : '',
    strictSSL: get('proxyStrictSSL') !== false,
    support: support === 'off' || support === 'on' || support === 'fallback' ? support : 'override',
    noProxy: Array.isArray(noProxy) ? noProxy.filter((v): v is string => typeof v === 'string') : [],
  };
}
