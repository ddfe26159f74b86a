import type { HeaderList, TransportKind } from '../shared/events';
import type { AuthConfig } from '../shared/options';

/** A command-line mistake: printed as one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

const TRANSPORT_ALIASES: Record<string, TransportKind> = {
  poll: 'poll',
  'short-poll': 'poll',
  polling: 'poll',
  'long-poll': 'long-poll',
  longpoll: 'long-poll',
  'long-polling': 'long-poll',
  sse: 'sse',
  eventsource: 'sse',
  ws: 'ws',
  websocket: 'ws',
};

export function parseTransport(s: string): TransportKind {
  const t = TRANSPORT_ALIASES[s.toLowerCase()];
  if (!t) throw new UsageError(`unknown transport "${s}": use poll, long-poll, sse or ws`);
  return t;
}

export function parseHeader(s: string): [string, string] {
  const i = s.indexOf(':');
  // The value is not echoed: a header given wrongly may well be a credential.
  if (i <= 0) throw new UsageError(`--header needs "Name: value" (a colon after the name)`);
  const name = s.slice(0, i).trim();
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new UsageError(`invalid header name ${JSON.stringify(name)}`);
  return [name, s.slice(i + 1).trim()];
}

/** `env:NAME` reads the value from the environment, so tokens need not sit in shell history. */
export function resolveSecret(v: string, env: NodeJS.ProcessEnv = process.env): string {
  if (v.startsWith('env:')) {
    const name = v.slice(4);
    const val = env[name];
    if (val === undefined || val === '') throw new UsageError(`environment variable ${name} is not set`);
    return val;
  }
  return v;
}

function splitNameValue(spec: string, what: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0) throw new UsageError(`${what} needs NAME=VALUE (an = after the name)`);
  return [spec.slice(0, i), spec.slice(i + 1)];
}

/**
 * --auth query:NAME=TOKEN | bearer:TOKEN | cookie:NAME=VALUE | header:NAME=VALUE |
 *        subprotocol:TOKEN | first-message:TEXT | token-url:URL
 * Any TOKEN/VALUE may be env:VAR. For first-message, {{token}} in TEXT is replaced by --token.
 */
export function parseAuth(spec: string, extra: { token?: string; tokenPlacement?: string; env?: NodeJS.ProcessEnv } = {}): AuthConfig {
  const i = spec.indexOf(':');
  if (i <= 0) throw new UsageError(`--auth needs METHOD:VALUE (query, bearer, cookie, header, subprotocol, first-message, token-url)`);
  const method = spec.slice(0, i);
  const rest = spec.slice(i + 1);
  const env = extra.env ?? process.env;
  if (!rest) throw new UsageError(`--auth ${method}: needs a value`);
  switch (method) {
    case 'query': {
      const [param, token] = splitNameValue(rest, '--auth query:');
      return { method: 'query', param, token: resolveSecret(token, env) };
    }
    case 'bearer':
      return { method: 'bearer', token: resolveSecret(rest, env) };
    case 'cookie': {
      const [name, value] = splitNameValue(rest, '--auth cookie:');
      return { method: 'cookie', name, value: resolveSecret(value, env) };
    }
    case 'header': {
      const [name, value] = splitNameValue(rest, '--auth header:');
      return { method: 'header', name, value: resolveSecret(value, env) };
    }
    case 'subprotocol':
      return { method: 'subprotocol', token: resolveSecret(rest, env), marker: extra.tokenPlacement === 'subprotocol-bare' ? undefined : 'access_token' };
    case 'first-message': {
      const text = resolveSecret(rest, env);
      if (extra.token !== undefined) return { method: 'first-message', token: resolveSecret(extra.token, env), template: text };
      // Without --token the whole first message is treated as the secret.
      return { method: 'first-message', token: text, template: '{{token}}' };
    }
    case 'token-url': {
      const placement = (extra.tokenPlacement ?? 'bearer') as NonNullable<Extract<AuthConfig, { method: 'token-url' }>['placement']>;
      if (!['bearer', 'query', 'cookie', 'subprotocol', 'first-message'].includes(placement)) throw new UsageError(`--token-placement must be bearer, query, cookie, subprotocol or first-message`);
      return { method: 'token-url', url: rest, placement };
    }
    default:
      throw new UsageError(`unknown auth method "${method}": use query, bearer, cookie, header, subprotocol, first-message or token-url`);
  }
}

export function parseIntOption(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} needs a number ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export function headersFrom(list: string[] | undefined): HeaderList {
  return (list ?? []).map(parseHeader);
}

export function transportFromScheme(url: URL): TransportKind | undefined {
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return 'ws';
  return undefined;
}
