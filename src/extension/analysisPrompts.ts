/**
 * The quick picks of "Run Auth Matrix…" and "Compare Transports…". Each resolves with
 * parameters the panel controller runs, or undefined when the person cancels a step.
 */
import * as vscode from 'vscode';
import type { TransportKind } from '../shared/events';
import { TRANSPORT_KINDS } from '../shared/events';
import type { AuthMatrixParams, CompareParams } from '../shared/protocol';
import { Redactor } from '../transports/redact';
import { endpointLabel, rememberedToken } from './analysisRunner';
import { validateUrl } from './connectPrompts';
import type { Host } from './host';
import { transportName } from './labels';

type Item<T> = vscode.QuickPickItem & { value: T };

async function pick<T>(title: string, placeHolder: string, items: Array<Item<T>>): Promise<T | undefined> {
  return (await vscode.window.showQuickPick(items, { title, placeHolder, ignoreFocusOut: true, matchOnDetail: true }))?.value;
}

/** A URL check for input boxes: `{method}` allowed (the auth matrix replaces it), schemes limited. */
function urlCheck(schemes: readonly string[], what: string): (v: string) => string | undefined {
  return (v) => {
    const plain = v.trim().split('{method}').join('bearer');
    const problem = validateUrl(plain);
    if (problem) return problem;
    return schemes.includes(new URL(plain).protocol) ? undefined : `${what} needs a ${schemes.map((s) => `${s}//`).join(' or ')} URL.`;
  };
}

const AUTH_TITLE = 'Run Auth Matrix';

/** Endpoint → transport → token → token endpoint. */
export async function promptAuthMatrix(host: Host): Promise<AuthMatrixParams | undefined> {
  const target = await pick(AUTH_TITLE, 'Which endpoint? Every placement of the token is tried, plus a no-credential control row.', [
    { label: '$(beaker) Demo server', detail: "Its /auth/{method}/… routes with the demo token (the demo server starts on 127.0.0.1 if it is not running).", value: 'demo' as const },
    { label: '$(globe) Another endpoint…', detail: 'Type its URL; {method} in it is replaced by each placement name (query, bearer, cookie, …).', value: 'url' as const },
  ]);
  if (!target) return undefined;

  if (target === 'demo') {
    const demo = await host.demo.ensure();
    const transport = await pickTransport(TRANSPORT_KINDS);
    if (!transport) return undefined;
    const token = await pick<string | null>(AUTH_TITLE, 'Which token?', [
      { label: '$(key) The demo token', description: Redactor.mask(demo.demoToken), detail: 'Accepted by every demo placement except the short-lived-token route.', value: null },
      { label: '$(edit) Type a token…', detail: 'A wrong one shows how each placement is refused.', value: '' },
    ]);
    if (token === undefined) return undefined;
    const typed = token === null ? null : await askToken('the demo server');
    if (typed === undefined) return undefined;
    const tokenUrl = await askTokenUrl(demo.urls.token, 'Leave as is for the demo token endpoint.');
    if (tokenUrl === undefined) return undefined;
    return { transport, ...(typed ? { token: typed } : {}), ...(tokenUrl ? { tokenUrl } : {}) };
  }

  const url = (
    await vscode.window.showInputBox({
      title: `${AUTH_TITLE}: endpoint URL`,
      prompt: 'ws:// or wss:// runs WebSocket; http(s):// runs SSE or polling. {method} is replaced by each placement name.',
      placeHolder: 'wss://example.com/socket · https://example.com/auth/{method}/events',
      ignoreFocusOut: true,
      validateInput: urlCheck(['http:', 'https:', 'ws:', 'wss:'], 'The auth matrix'),
    })
  )?.trim();
  if (!url) return undefined;
  const isWs = /^wss?:/i.test(url);
  const transport = isWs ? 'ws' : await pickTransport(['sse', 'long-poll', 'poll']);
  if (!transport) return undefined;
  const remembered = await rememberedToken(url, (key) => host.secrets.get(key));
  // Without a remembered token there is nothing to choose: ask for one.
  const choice = remembered
    ? await pick<'remembered' | 'type'>(AUTH_TITLE, 'Which token?', [
        { label: '$(key) The token remembered for this endpoint', description: Redactor.mask(remembered), detail: `Typed for an earlier connection to ${endpointLabel(url)}; kept in VS Code secret storage.`, value: 'remembered' },
        { label: '$(edit) Type a token…', detail: 'Used for this run only.', value: 'type' },
      ])
    : 'type';
  if (!choice) return undefined;
  const token = choice === 'remembered' ? remembered : await askToken(endpointLabel(url));
  if (token === undefined) return undefined;
  const tokenUrl = await askTokenUrl('', 'Leave empty to skip the short-lived token row.');
  if (tokenUrl === undefined) return undefined;
  return { transport, url, token, ...(tokenUrl ? { tokenUrl } : {}) };
}

async function pickTransport(kinds: readonly TransportKind[]): Promise<TransportKind | undefined> {
  return pick(
    AUTH_TITLE,
    'Which transport?',
    [...kinds].sort((a, b) => Number(b === 'ws') - Number(a === 'ws')).map((k) => ({ label: transportName(k), value: k })),
  );
}

async function askToken(where: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: `${AUTH_TITLE}: token`,
    prompt: `The credential to try at ${where}. Shown redacted in the results.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (!v ? 'The token is empty.' : /[\r\n]/.test(v) ? 'The token must be one line.' : undefined),
  });
}

/** '' when skipped, undefined when cancelled. */
async function askTokenUrl(value: string, prompt: string): Promise<string | undefined> {
  const check = urlCheck(['http:', 'https:'], 'The token endpoint');
  const v = await vscode.window.showInputBox({
    title: `${AUTH_TITLE}: token endpoint (optional)`,
    prompt: `${prompt} A short-lived token is fetched from it (GET) for the last row.`,
    value,
    ignoreFocusOut: true,
    validateInput: (x) => (x.trim() ? check(x) : undefined),
  });
  return v === undefined ? undefined : v.trim();
}

const COMPARE_TITLE = 'Compare Transports';

/** Demo or URLs per transport → seconds. */
export async function promptCompare(): Promise<CompareParams | undefined> {
  const target = await pick(COMPARE_TITLE, 'Compare which endpoints? Every transport runs for the same time against the same message source.', [
    { label: '$(beaker) All four transports on the demo server', detail: 'Short polling, long polling, SSE and WebSocket on the same ticker (started on 127.0.0.1 if it is not running).', value: 'demo' as const },
    { label: '$(globe) My endpoints…', detail: 'A URL per transport; leave a transport empty to leave it out. Latency and missed messages need messages with "seq" and "ts" fields.', value: 'urls' as const },
  ]);
  if (!target) return undefined;
  let urls: Partial<Record<TransportKind, string>> | undefined;
  if (target === 'urls') {
    urls = {};
    for (const k of TRANSPORT_KINDS) {
      const schemes = k === 'ws' ? ['ws:', 'wss:'] : ['http:', 'https:'];
      const check = urlCheck(schemes, transportName(k));
      const v = await vscode.window.showInputBox({
        title: `${COMPARE_TITLE}: ${transportName(k)} URL (optional)`,
        prompt: `Leave empty to leave ${transportName(k)} out.`,
        placeHolder: k === 'ws' ? 'wss://example.com/socket' : 'https://example.com/…',
        ignoreFocusOut: true,
        validateInput: (x) => (x.trim() ? check(x) : undefined),
      });
      if (v === undefined) return undefined;
      if (v.trim()) urls[k] = v.trim();
    }
    if (Object.keys(urls).length === 0) {
      void vscode.window.showWarningMessage('No URL given: nothing to compare.');
      return undefined;
    }
  }
  const seconds = await pick(COMPARE_TITLE, 'How long does each transport run?', [
    { label: '3 seconds', value: 3 },
    { label: '5 seconds', value: 5 },
    { label: '10 seconds', value: 10 },
  ]);
  if (!seconds) return undefined;
  return { seconds, ...(urls ? { urls } : {}) };
}
