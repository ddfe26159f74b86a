/**
 * What "Connect to Demo Server" offers: each transport plainly, and a few auth carriers
 * on the transports they suit. Pure (no `vscode`): unit-tested against the real demo server.
 */
import type { DemoAuthMethod, DemoServer } from '../demo/server';
import type { TransportKind } from '../shared/events';
import type { AuthConfig, ConnectOptions } from '../shared/options';
import type { ConnectionConfig } from '../shared/protocol';

export interface DemoChoice {
  id: string;
  label: string;
  detail: string;
  transport: TransportKind;
  auth?: Exclude<DemoAuthMethod, 'subprotocol-noecho'>;
}

export const DEMO_CHOICES: readonly DemoChoice[] = [
  { id: 'ws', label: 'WebSocket', detail: 'Ticks pushed over one socket; what you send is echoed back.', transport: 'ws' },
  { id: 'sse', label: 'Server-Sent Events', detail: 'One long HTTP response carrying id/event/data, heartbeat comments, retry.', transport: 'sse' },
  { id: 'long-poll', label: 'Long polling (with a cursor)', detail: 'The server holds each request until a tick arrives; the cursor means nothing is lost.', transport: 'long-poll' },
  { id: 'poll', label: 'Short polling', detail: 'A request per interval; ETag/304 when nothing changed.', transport: 'poll' },
  { id: 'ws-query', label: 'WebSocket · token in the query string', detail: 'access_token=… on the URL (it ends up in server and proxy logs).', transport: 'ws', auth: 'query' },
  { id: 'ws-subprotocol', label: 'WebSocket · token in Sec-WebSocket-Protocol', detail: 'Offers ["access_token", token]; the server echoes "access_token".', transport: 'ws', auth: 'subprotocol' },
  { id: 'ws-first-message', label: 'WebSocket · token in the first message', detail: 'Sends {"type":"auth","token":…} right after open.', transport: 'ws', auth: 'first-message' },
  { id: 'sse-bearer', label: 'Server-Sent Events · bearer token', detail: 'Authorization: Bearer … (a browser EventSource cannot send this header).', transport: 'sse', auth: 'bearer' },
  { id: 'long-poll-cookie', label: 'Long polling · session cookie', detail: 'Cookie: session=… on every request.', transport: 'long-poll', auth: 'cookie' },
  { id: 'poll-token-url', label: 'Short polling · short-lived token from /token', detail: 'Fetches a token with client credentials first, then sends it as a bearer token.', transport: 'poll', auth: 'token-url' },
];

export type DemoEndpoints = Pick<DemoServer, 'urls' | 'authUrl' | 'demoToken'>;

/** The demo's client credentials for /token (public: they are on the demo's index page). */
const DEMO_TOKEN_BODY = JSON.stringify({ client_id: 'demo', client_secret: 'demo-secret' });

function plainUrl(demo: DemoEndpoints, transport: TransportKind): string {
  return transport === 'long-poll' ? demo.urls['long-poll'] : demo.urls[transport];
}

function demoAuth(demo: DemoEndpoints, auth: DemoChoice['auth']): AuthConfig | undefined {
  const token = demo.demoToken;
  switch (auth) {
    case undefined:
      return undefined;
    case 'query':
      return { method: 'query', param: 'access_token', token };
    case 'bearer':
      return { method: 'bearer', token };
    case 'cookie':
      return { method: 'cookie', name: 'session', value: token };
    case 'subprotocol':
      return { method: 'subprotocol', marker: 'access_token', token };
    case 'first-message':
      return { method: 'first-message', token };
    case 'token-url':
      return { method: 'token-url', url: demo.urls.token, httpMethod: 'POST', body: DEMO_TOKEN_BODY, placement: 'bearer' };
  }
}

/** The connection for a demo choice (its options as the person would have chosen them; settings fill the rest). */
export function demoConnection(demo: DemoEndpoints, choice: DemoChoice): { name: string; options: ConnectOptions } {
  const t = choice.transport;
  const options: ConnectOptions = { url: choice.auth ? demo.authUrl(t, choice.auth) : plainUrl(demo, t), transport: t };
  const auth = demoAuth(demo, choice.auth);
  if (auth) options.auth = auth;
  if (t === 'long-poll') options.cursor = { from: 'json', path: 'cursor', param: 'cursor' };
  // The other half of a two-way channel over HTTP: POST /send publishes to every transport.
  if (t !== 'ws') options.sendUrl = demo.urls.send;
  return { name: `Demo: ${choice.label}`, options };
}

/** Form defaults for the panel's "use the demo server" buttons. */
export function demoFormDefaults(demo: DemoEndpoints, transport: TransportKind): Partial<ConnectionConfig> {
  return { url: plainUrl(demo, transport), transport, auth: { method: 'none' }, sendUrl: transport === 'ws' ? undefined : demo.urls.send };
}
