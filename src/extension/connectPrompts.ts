import * as vscode from 'vscode';
import type { TransportKind } from '../shared/events';
import { probeTransport, type ProbeOptions } from '../transports/probe';
import { Redactor, redactUrl } from '../transports/redact';
import type { AuthConfig, ConnectOptions } from '../shared/options';
import { defaultName, rememberedKey } from './connectOptions';
import { errorMessage } from './errors';
import { transportName } from './labels';
import type { SecretStore } from './secretStore';

export interface PromptedConnection {
  name: string;
  options: ConnectOptions;
  /** Credentials typed now, by remembered-key: kept in SecretStorage for the next connection to the endpoint. */
  typed: Map<string, string>;
}

type Placement = 'bearer' | 'query' | 'cookie' | 'subprotocol' | 'first-message';

/** "New Connection": URL → transport (from the scheme, or probed for http(s)) → auth. Undefined when cancelled. */
export async function promptNewConnection(secrets: SecretStore, log: (line: string) => void, network: (url: string) => Pick<ProbeOptions, 'proxy' | 'insecure'>): Promise<PromptedConnection | undefined> {
  const url = await vscode.window.showInputBox({
    title: 'New Connection: URL',
    prompt: 'ws:// or wss:// is WebSocket; for http(s):// the endpoint is probed to suggest a transport.',
    placeHolder: 'wss://example.com/socket · https://example.com/events',
    ignoreFocusOut: true,
    validateInput: validateUrl,
  });
  if (url === undefined) return undefined;
  const chosen = await pickTransport(url.trim(), log, network);
  if (!chosen) return undefined;
  const { transport, url: target } = chosen;
  const picked = await pickAuth(target, transport, secrets);
  if (!picked) return undefined;
  const options: ConnectOptions = { url: target, transport };
  if (picked.auth) options.auth = picked.auth;
  return { name: defaultName(target, transport), options, typed: picked.typed };
}

export function validateUrl(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Type the endpoint URL, e.g. wss://example.com/socket.';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'Not a URL: it needs a scheme and a host, e.g. https://example.com/events.';
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) return `${u.protocol}// is not supported: use http://, https://, ws:// or wss://.`;
  return undefined;
}

const TRANSPORT_ITEMS: Array<{ transport: TransportKind; detail: string }> = [
  { transport: 'ws', detail: 'One socket both ways; frames, ping/pong, close codes.' },
  { transport: 'sse', detail: 'One long response of events (text/event-stream); reconnects with Last-Event-ID.' },
  { transport: 'long-poll', detail: 'The server holds each request until it has data.' },
  { transport: 'poll', detail: 'A request per interval, answered at once.' },
];

async function pickTransport(url: string, log: (line: string) => void, network: (url: string) => Pick<ProbeOptions, 'proxy' | 'insecure'>): Promise<{ transport: TransportKind; url: string } | undefined> {
  const scheme = new URL(url).protocol;
  if (scheme === 'ws:' || scheme === 'wss:') return { transport: 'ws', url };
  let detected: { transport: TransportKind; reason: string } | undefined;
  let probeError: string | undefined;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Probing ${new URL(url).host}…`, cancellable: true }, async (_p, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      detected = await probeTransport(url, { signal: abort.signal, ...network(url) });
      log(`Probe of ${redactUrl(url, new Redactor(false))}: ${detected.transport} — ${detected.reason}`);
    } catch (err) {
      probeError = errorMessage(err);
    } finally {
      sub.dispose();
    }
  });
  // WebSocket is offered for an http(s) URL only when the probe found one there.
  const items = TRANSPORT_ITEMS.filter((i) => i.transport !== 'ws' || detected?.transport === 'ws').map((i) => ({
    label: transportName(i.transport),
    description: detected?.transport === i.transport ? '$(check) detected' : undefined,
    detail: detected?.transport === i.transport ? detected.reason : i.detail,
    transport: i.transport,
  }));
  items.sort((a, b) => Number(b.transport === detected?.transport) - Number(a.transport === detected?.transport));
  const pick = await vscode.window.showQuickPick(items, {
    title: 'New Connection: transport',
    placeHolder: detected ? `The probe suggests ${transportName(detected.transport)}; confirm or pick another` : `The probe failed (${probeError ?? 'cancelled'}); pick a transport`,
    ignoreFocusOut: true,
    matchOnDetail: true,
  });
  if (!pick) return undefined;
  // The probe found a WebSocket endpoint behind an http(s) URL: the same address as ws(s).
  return { transport: pick.transport, url: pick.transport === 'ws' ? url.replace(/^http/i, 'ws') : url };
}

type AuthKind = AuthConfig['method'];

const AUTH_ITEMS: Array<{ method: AuthKind; label: string; detail: string; wsOnly?: boolean }> = [
  { method: 'none', label: '$(circle-slash) No authentication', detail: 'Connect as is.' },
  { method: 'bearer', label: '$(key) Bearer token', detail: 'Authorization: Bearer <token>.' },
  { method: 'query', label: '$(link) Token in a query parameter', detail: '?access_token=<token> (visible in server and proxy logs).' },
  { method: 'cookie', label: '$(symbol-field) Cookie', detail: 'Cookie: <name>=<value>.' },
  { method: 'header', label: '$(symbol-key) Custom header', detail: 'e.g. X-API-Key: <value>.' },
  { method: 'subprotocol', label: '$(plug) Token in Sec-WebSocket-Protocol', detail: 'Offered as a subprotocol, optionally after a marker such as "access_token".', wsOnly: true },
  { method: 'first-message', label: '$(comment) Token in the first message', detail: 'Sent right after open from a template ({{token}} is replaced).' },
  { method: 'token-url', label: '$(cloud-download) Short-lived token from a token endpoint', detail: 'Fetch a token first, then send it as bearer, query, cookie, subprotocol or first message.' },
];

type SecretAsk = (key: string, what: string) => Promise<string | undefined>;

async function pickAuth(url: string, transport: TransportKind, secrets: SecretStore): Promise<{ auth?: AuthConfig; typed: Map<string, string> } | undefined> {
  const pick = await vscode.window.showQuickPick(
    AUTH_ITEMS.filter((i) => !i.wsOnly || transport === 'ws'),
    { title: 'New Connection: authentication', placeHolder: 'How does the endpoint expect the credential? Tokens are kept in VS Code secret storage.', ignoreFocusOut: true, matchOnDetail: true },
  );
  if (!pick) return undefined;
  const typed = new Map<string, string>();
  /** The value typed now, or (left empty) the one remembered for this endpoint. */
  const secret: SecretAsk = async (key, what) => {
    const stored = await secrets.get(key);
    const v = await vscode.window.showInputBox({
      title: `New Connection: ${what}`,
      prompt: 'Kept in VS Code secret storage, shown redacted in the log.',
      placeHolder: stored ? `Leave empty to use the remembered value (${Redactor.mask(stored)})` : `Paste the ${what}`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (x) => (x || stored ? undefined : `The ${what} is empty.`),
    });
    if (v === undefined) return undefined;
    if (v) typed.set(key, v);
    return v || stored;
  };
  const name = async (what: string, value: string): Promise<string | undefined> =>
    (
      await vscode.window.showInputBox({
        title: `New Connection: ${what}`,
        value,
        ignoreFocusOut: true,
        validateInput: (x) => (!x.trim() ? `The ${what} is empty.` : /[\s;=,:]/.test(x.trim()) ? `The ${what} must not contain spaces or ; = , : characters.` : undefined),
      })
    )?.trim();
  let auth: AuthConfig | undefined;
  switch (pick.method) {
    case 'none':
      return { typed };
    case 'bearer': {
      const token = await secret(rememberedKey('bearer', url), 'bearer token');
      auth = token ? { method: 'bearer', token } : undefined;
      break;
    }
    case 'query': {
      const param = await name('query parameter name', 'access_token');
      const token = param && (await secret(rememberedKey('query', url, param), 'token'));
      auth = param && token ? { method: 'query', param, token } : undefined;
      break;
    }
    case 'cookie': {
      const cookie = await name('cookie name', 'session');
      const value = cookie && (await secret(rememberedKey('cookie', url, cookie), 'cookie value'));
      auth = cookie && value ? { method: 'cookie', name: cookie, value } : undefined;
      break;
    }
    case 'header': {
      const header = await name('header name', 'X-API-Key');
      const value = header && (await secret(rememberedKey('header', url, header.toLowerCase()), `${header} value`));
      auth = header && value ? { method: 'header', name: header, value } : undefined;
      break;
    }
    case 'subprotocol': {
      const marker = await vscode.window.showInputBox({ title: 'New Connection: marker subprotocol (optional)', value: 'access_token', prompt: 'Offered before the token; leave empty to offer the token alone.', ignoreFocusOut: true });
      if (marker === undefined) return undefined;
      const token = await secret(rememberedKey('subprotocol', url), 'token');
      auth = token ? { method: 'subprotocol', token, ...(marker.trim() ? { marker: marker.trim() } : {}) } : undefined;
      break;
    }
    case 'first-message': {
      const template = await vscode.window.showInputBox({
        title: 'New Connection: first message template',
        value: '{"type":"auth","token":"{{token}}"}',
        prompt: '{{token}} is replaced by the token.',
        ignoreFocusOut: true,
        validateInput: (x) => (x.includes('{{token}}') ? undefined : 'The template needs {{token}} where the token goes.'),
      });
      if (template === undefined) return undefined;
      const token = await secret(rememberedKey('first-message', url), 'token');
      auth = token ? { method: 'first-message', token, template } : undefined;
      break;
    }
    case 'token-url':
      auth = await pickTokenUrl(url, transport, secret);
      break;
  }
  return auth ? { auth, typed } : undefined;
}

async function pickTokenUrl(url: string, transport: TransportKind, secret: SecretAsk): Promise<AuthConfig | undefined> {
  const origin = new URL(url);
  const tokenUrl = (
    await vscode.window.showInputBox({
      title: 'New Connection: token endpoint URL',
      value: `${origin.protocol.replace(/^ws/, 'http')}//${origin.host}/token`,
      ignoreFocusOut: true,
      validateInput: (v) => validateUrl(v) ?? (/^wss?:/i.test(v.trim()) ? 'The token endpoint is an HTTP URL.' : undefined),
    })
  )?.trim();
  if (!tokenUrl) return undefined;
  const methods: Array<'POST' | 'GET'> = ['POST', 'GET'];
  const method = (await vscode.window.showQuickPick(methods, { title: 'New Connection: token request method', ignoreFocusOut: true })) as 'POST' | 'GET' | undefined;
  if (!method) return undefined;
  let body: string | undefined;
  if (method === 'POST') {
    const wantsBody = await vscode.window.showQuickPick(['Send a JSON body (e.g. client credentials)', 'No body'], { title: 'New Connection: token request body', ignoreFocusOut: true });
    if (!wantsBody) return undefined;
    if (wantsBody.startsWith('Send')) {
      body = await secret(rememberedKey('token-body', tokenUrl), 'token request body (JSON)');
      if (!body) return undefined;
    }
  }
  const placements: Placement[] = ['bearer', 'query', 'cookie', ...(transport === 'ws' ? (['subprotocol'] as const) : []), 'first-message'];
  const placement = (await vscode.window.showQuickPick(placements, { title: 'New Connection: where the fetched token goes', ignoreFocusOut: true })) as Placement | undefined;
  if (!placement) return undefined;
  const tokenPath = await vscode.window.showInputBox({ title: 'New Connection: where the token is in the answer', value: 'access_token', prompt: 'A dot path into the JSON answer, e.g. access_token or data.token.', ignoreFocusOut: true });
  if (tokenPath === undefined) return undefined;
  return { method: 'token-url', url: tokenUrl, httpMethod: method, placement, ...(body ? { body } : {}), ...(tokenPath.trim() ? { tokenPath: tokenPath.trim() } : {}) };
}
