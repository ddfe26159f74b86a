import type { HeaderList, TransportKind } from '../shared/events';
import { getPath, getPathString } from '../shared/jsonPath';
import type { AuthConfig } from '../shared/options';
import { httpRequest, readBody } from './http';
import { Redactor } from './redact';
import { ConnectError, type Session } from './session';

/** Where the credential ended up for one connection attempt. */
export interface AuthPlacement {
  url: URL;
  headers: HeaderList;
  subprotocols: string[];
  /** Sent right after the connection opens (first-message auth). */
  firstMessage?: string;
  /** Subprotocol auth: the token-carrying protocol offered; the server must echo one of the offered protocols. */
  tokenProtocol?: string;
}

export const DEFAULT_FIRST_MESSAGE = '{"type":"auth","token":"{{token}}"}';

/**
 * Applies the auth configuration to the URL, headers and subprotocols of a connection
 * attempt, fetching a short-lived token first when asked, and logs an `auth` event saying
 * where the credential went (value redacted unless the session reveals secrets).
 */
export async function applyAuth(session: Session, transport: TransportKind, auth: AuthConfig | undefined, base: { url: URL; headers: HeaderList; subprotocols: string[] }): Promise<AuthPlacement> {
  const placement: AuthPlacement = { url: new URL(base.url), headers: [...base.headers], subprotocols: [...base.subprotocols] };
  if (!auth || auth.method === 'none') return placement;
  if (auth.method === 'token-url') {
    const { token, ttl } = await fetchToken(session, auth);
    const how = auth.placement ?? 'bearer';
    const name = auth.name ?? (how === 'cookie' ? 'token' : 'access_token');
    session.emit({ type: 'auth', method: 'token-url', carrier: `short-lived token from ${session.redactUrl(auth.url)}, placed as ${how}`, value: shown(session, token), ttlSeconds: ttl });
    const placed: AuthConfig =
      how === 'query'
        ? { method: 'query', param: name, token }
        : how === 'cookie'
          ? { method: 'cookie', name, value: token }
          : how === 'subprotocol'
            ? { method: 'subprotocol', token }
            : how === 'first-message'
              ? { method: 'first-message', token }
              : { method: 'bearer', token };
    return place(session, transport, placed, placement);
  }
  return place(session, transport, auth, placement);
}

function shown(session: Session, secret: string): string {
  return session.redactor.reveal ? secret : Redactor.mask(secret);
}

function place(session: Session, transport: TransportKind, auth: Exclude<AuthConfig, { method: 'token-url' } | { method: 'none' }>, p: AuthPlacement): AuthPlacement {
  switch (auth.method) {
    case 'query':
      p.url.searchParams.set(auth.param, auth.token);
      session.emit({ type: 'auth', method: 'query', carrier: `query parameter "${auth.param}" of the URL`, value: shown(session, auth.token) });
      break;
    case 'bearer':
      p.headers = p.headers.filter(([k]) => k.toLowerCase() !== 'authorization');
      p.headers.push(['Authorization', `Bearer ${auth.token}`]);
      session.emit({ type: 'auth', method: 'bearer', carrier: 'Authorization: Bearer header', value: shown(session, auth.token) });
      break;
    case 'cookie': {
      const i = p.headers.findIndex(([k]) => k.toLowerCase() === 'cookie');
      const pair = `${auth.name}=${auth.value}`;
      if (i >= 0) p.headers[i] = [p.headers[i][0], `${p.headers[i][1]}; ${pair}`];
      else p.headers.push(['Cookie', pair]);
      session.emit({ type: 'auth', method: 'cookie', carrier: `cookie "${auth.name}"`, value: shown(session, auth.value) });
      break;
    }
    case 'header':
      p.headers.push([auth.name, auth.value]);
      session.emit({ type: 'auth', method: 'header', carrier: `header "${auth.name}"`, value: shown(session, auth.value) });
      break;
    case 'subprotocol':
      if (transport !== 'ws') throw new ConnectError('Token in Sec-WebSocket-Protocol only works with WebSocket; pick another auth method for this transport.', 'AUTH_NOT_APPLICABLE');
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(auth.token)) {
        throw new ConnectError('This token cannot travel in Sec-WebSocket-Protocol: a subprotocol may only hold token characters (no spaces, commas, "/", "=", ...). Encode it (e.g. base64url) or use another method.', 'AUTH_INVALID_SUBPROTOCOL');
      }
      p.subprotocols = [...(auth.marker ? [auth.marker] : []), auth.token, ...p.subprotocols.filter((s) => s !== auth.token && s !== auth.marker)];
      p.tokenProtocol = auth.token;
      session.emit({ type: 'auth', method: 'subprotocol', carrier: `Sec-WebSocket-Protocol header${auth.marker ? ` (after "${auth.marker}")` : ''}`, value: shown(session, auth.token) });
      break;
    case 'first-message': {
      const template = auth.template ?? DEFAULT_FIRST_MESSAGE;
      p.firstMessage = template.split('{{token}}').join(auth.token);
      session.emit({ type: 'auth', method: 'first-message', carrier: transport === 'ws' ? 'first message after open' : 'first message, sent as an HTTP request to the send URL', value: shown(session, auth.token) });
      break;
    }
  }
  return p;
}

async function fetchToken(session: Session, auth: Extract<AuthConfig, { method: 'token-url' }>): Promise<{ token: string; ttl?: number }> {
  let url: URL;
  try {
    url = new URL(auth.url);
  } catch {
    throw new ConnectError(`The token endpoint URL is not valid: ${JSON.stringify(session.redact(auth.url))}.`, 'BAD_URL');
  }
  const method = auth.httpMethod ?? (auth.body ? 'POST' : 'GET');
  const headers: HeaderList = [...(auth.headers ?? [])];
  headers.push(['Accept', 'application/json']);
  if (auth.body && !headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/json']);
  let body: Buffer;
  let status: number;
  try {
    const ex = await httpRequest(session, { url, method, headers, body: auth.body, purpose: 'token', insecure: session.options.insecure, headersTimeoutMs: session.options.timeoutMs ?? 10_000, signal: session.signal, redirects: 'same-origin' });
    status = ex.res.statusCode ?? 0;
    body = await readBody(ex.res, 1024 * 1024);
    ex.finish();
  } catch (err) {
    if (err instanceof ConnectError) throw err;
    throw new ConnectError(`Could not fetch a token from ${session.redactUrl(auth.url)}: ${session.redact((err as Error).message)}`, 'TOKEN_FETCH');
  }
  const text = body.toString('utf8');
  if (status < 200 || status > 299) {
    throw new ConnectError(`The token endpoint answered ${status}: ${session.redact(text.slice(0, 200))}`, 'TOKEN_STATUS');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConnectError(`The token endpoint did not answer JSON: ${session.redact(text.slice(0, 200))}`, 'TOKEN_NOT_JSON');
  }
  const token = auth.tokenPath ? getPathString(json, auth.tokenPath) : (getPathString(json, 'access_token') ?? getPathString(json, 'token'));
  if (!token) throw new ConnectError(`No token at "${auth.tokenPath ?? 'access_token'}" in the token endpoint's answer.`, 'TOKEN_MISSING');
  session.redactor.add(token);
  const ttlRaw = getPath(json, auth.ttlPath ?? 'expires_in');
  const ttl = typeof ttlRaw === 'number' ? ttlRaw : typeof ttlRaw === 'string' && /^\d+$/.test(ttlRaw) ? Number(ttlRaw) : undefined;
  return { token, ttl };
}
