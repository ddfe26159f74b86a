import type { ConnectionConfig } from '../shared/protocol';
import type { FormSecrets, FormState } from './state';

/** Pure: the connection form to a ConnectionConfig (or the problems that stop it). Unit-tested. */

export interface BuiltConfig {
  config?: ConnectionConfig;
  /** One sentence per problem, naming the field. */
  errors: string[];
}

const SCHEMES = ['http:', 'https:', 'ws:', 'wss:'];

function optionalMs(raw: string, label: string, errors: string[]): number | undefined {
  const s = raw.trim();
  if (!s) return undefined;
  if (!/^\d+$/.test(s)) {
    errors.push(`${label} must be a whole number of milliseconds (got ${JSON.stringify(s.slice(0, 20))}).`);
    return undefined;
  }
  return Number(s);
}

function checkUrl(raw: string, label: string, errors: string[], required: boolean): string | undefined {
  const s = raw.trim();
  if (!s) {
    if (required) errors.push(`${label} is empty.`);
    return undefined;
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    errors.push(`${label} is not a valid URL (it needs a scheme, e.g. https://example.com/stream).`);
    return undefined;
  }
  if (!SCHEMES.includes(u.protocol)) {
    errors.push(`${label} must start with http://, https://, ws:// or wss:// (got ${u.protocol}//).`);
    return undefined;
  }
  return s;
}

function needToken(secrets: FormSecrets, errors: string[]): string {
  if (!secrets.token) errors.push('The token is empty: type it, or choose "No authentication".');
  return secrets.token;
}

function needName(value: string, label: string, errors: string[]): string {
  const v = value.trim();
  if (!v) errors.push(`${label} is empty.`);
  else if (/[\s;=,:]/.test(v)) errors.push(`${label} must not contain spaces or ; = , : characters.`);
  return v;
}

export function buildConfig(form: FormState, secrets: FormSecrets): BuiltConfig {
  const errors: string[] = [];
  const url = checkUrl(form.url, 'The URL', errors, true);
  const headers: Array<[string, string]> = [];
  for (const [n, v] of form.headers) {
    const name = n.trim();
    if (!name && !v) continue;
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      errors.push(`Header name ${JSON.stringify(name.slice(0, 40))} is not a valid HTTP header name.`);
      continue;
    }
    if (/[\r\n\0]/.test(v)) {
      errors.push(`The value of header ${name} contains a line break.`);
      continue;
    }
    headers.push([name, v]);
  }
  let auth: ConnectionConfig['auth'];
  switch (form.authMethod) {
    case 'none':
      auth = { method: 'none' };
      break;
    case 'query':
      auth = { method: 'query', param: needName(form.queryParam, 'The query parameter name', errors), token: needToken(secrets, errors) };
      break;
    case 'bearer':
      auth = { method: 'bearer', token: needToken(secrets, errors) };
      break;
    case 'cookie':
      auth = { method: 'cookie', name: needName(form.cookieName, 'The cookie name', errors), token: needToken(secrets, errors) };
      break;
    case 'header':
      auth = { method: 'header', name: needName(form.headerName, 'The header name', errors), token: needToken(secrets, errors) };
      break;
    case 'subprotocol': {
      const marker = form.marker.trim();
      auth = { method: 'subprotocol', token: needToken(secrets, errors), ...(marker ? { marker } : {}) };
      break;
    }
    case 'first-message': {
      const template = form.template;
      if (template && !template.includes('{{token}}')) errors.push('The first-message template must contain {{token}} where the token goes.');
      auth = { method: 'first-message', token: needToken(secrets, errors), ...(template ? { template } : {}) };
      break;
    }
    case 'token-url': {
      const tokenUrl = checkUrl(form.tokenUrl, 'The token endpoint URL', errors, true) ?? '';
      const body = secrets.tokenBody;
      const tokenPath = form.tokenPath.trim();
      auth = {
        method: 'token-url',
        tokenUrl,
        httpMethod: form.tokenHttpMethod,
        placement: form.placement,
        ...(body && form.tokenHttpMethod === 'POST' ? { body } : {}),
        ...(tokenPath ? { tokenPath } : {}),
      };
      break;
    }
  }
  const intervalMs = optionalMs(form.intervalMs, 'The poll interval', errors);
  const holdTimeoutMs = optionalMs(form.holdTimeoutMs, 'The hold timeout', errors);
  const timeoutMs = optionalMs(form.timeoutMs, 'The timeout', errors);
  const sendUrl = checkUrl(form.sendUrl, 'The send URL', errors, false);
  const subprotocols = form.subprotocols
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of subprotocols) if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(p)) errors.push(`Subprotocol ${JSON.stringify(p.slice(0, 40))} contains characters a subprotocol cannot have.`);
  if (errors.length || url === undefined) return { errors };
  const config: ConnectionConfig = {
    url,
    transport: form.transport,
    headers,
    auth,
    subprotocols,
    reconnect: form.reconnect,
    insecure: form.insecure,
  };
  if (intervalMs !== undefined) config.intervalMs = intervalMs;
  if (holdTimeoutMs !== undefined) config.holdTimeoutMs = holdTimeoutMs;
  if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
  if (sendUrl !== undefined) config.sendUrl = sendUrl;
  return { config, errors };
}

/** Fills the form from host-provided defaults (demo server, saved connection). Tokens go to secrets only. */
export function applyDefaults(form: FormState, secrets: FormSecrets, d: Partial<ConnectionConfig>): void {
  if (d.url !== undefined) form.url = d.url;
  if (d.transport !== undefined) form.transport = d.transport;
  if (d.headers !== undefined) form.headers = d.headers.map(([n, v]) => [n, v]);
  if (d.subprotocols !== undefined) form.subprotocols = d.subprotocols.join(', ');
  if (d.intervalMs !== undefined) form.intervalMs = String(d.intervalMs);
  if (d.holdTimeoutMs !== undefined) form.holdTimeoutMs = String(d.holdTimeoutMs);
  if (d.timeoutMs !== undefined) form.timeoutMs = String(d.timeoutMs);
  if (d.reconnect !== undefined) form.reconnect = d.reconnect;
  if (d.insecure !== undefined) form.insecure = d.insecure;
  if (d.sendUrl !== undefined) form.sendUrl = d.sendUrl;
  const a = d.auth;
  if (!a) return;
  form.authMethod = a.method;
  switch (a.method) {
    case 'none':
      break;
    case 'query':
      form.queryParam = a.param;
      secrets.token = a.token;
      break;
    case 'bearer':
      secrets.token = a.token;
      break;
    case 'cookie':
      form.cookieName = a.name;
      secrets.token = a.token;
      break;
    case 'header':
      form.headerName = a.name;
      secrets.token = a.token;
      break;
    case 'subprotocol':
      form.marker = a.marker ?? '';
      secrets.token = a.token;
      break;
    case 'first-message':
      if (a.template !== undefined) form.template = a.template;
      secrets.token = a.token;
      break;
    case 'token-url':
      form.tokenUrl = a.tokenUrl;
      form.tokenHttpMethod = a.httpMethod;
      form.tokenPath = a.tokenPath ?? '';
      form.placement = a.placement;
      secrets.tokenBody = a.body ?? '';
      break;
  }
}
