/**
 * Redaction at the edges of the extension host.
 *
 * Why not let the transports redact (showSecrets: false) as the CLI does: the user may ask,
 * per export and per panel, to include secrets. So the host records sessions with
 * showSecrets: true, keeps the raw events in memory only, and every way out — log rows,
 * the detail pane, exports, copied URLs, the OutputChannel, error messages — goes through
 * an EdgeRedactor that applies the same rules the transports apply (known secret values
 * anywhere, token-like query parameters, credential headers) unless the user chose
 * otherwise for that one action.
 *
 * Off the receive path: `observe()` is the only per-event call and compares one string.
 * No `vscode` import.
 */
import type { HeaderList, InspectorEvent } from '../shared/events';
import type { AuthConfig, ConnectOptions } from '../shared/options';
import { secretsOf } from '../shared/exportRedact';
import { Redactor, isCredentialHeader, redactUrl } from '../transports/redact';

const URL_IN_TEXT = /\b(?:https?|wss?):\/\/[^\s"'<>`]+/gi;

export class EdgeRedactor {
  private readonly r = new Redactor(false);
  private readonly customHeaders = new Set<string>();

  /** Registers one secret value (values under 4 characters are ignored, as the transports do). */
  addSecret(value: string | undefined): void {
    this.r.add(value);
  }

  /** Registers the secrets an auth configuration carries (the same list the session and the export use). */
  addAuth(auth: AuthConfig | undefined): void {
    for (const secret of secretsOf({ auth })) this.addSecret(secret);
    if (auth?.method === 'header') this.customHeaders.add(auth.name.toLowerCase());
  }

  /** Registers the values of credential headers the user typed (Authorization, Cookie, X-API-Key, ...). */
  addHeaders(headers: HeaderList | undefined): void {
    for (const [k, v] of headers ?? []) {
      if (!this.isCredentialHeader(k)) continue;
      this.addSecret(v);
      const scheme = /^\w+\s+(.+)$/.exec(v);
      if (scheme) this.addSecret(scheme[1]);
      if (k.toLowerCase() === 'cookie') for (const pair of v.split(/;\s*/)) this.addSecret(pair.slice(pair.indexOf('=') + 1));
    }
  }

  /** Learns secrets that appear only while the session runs (short-lived tokens from a token endpoint). */
  observe(ev: InspectorEvent): void {
    if (ev.type === 'auth' && !ev.value.startsWith('«redacted')) this.addSecret(ev.value);
  }

  get secretCount(): number {
    return this.r.size;
  }

  isCredentialHeader(name: string): boolean {
    return isCredentialHeader(name) || this.customHeaders.has(name.toLowerCase());
  }

  url(url: string): string {
    return redactUrl(url, this.r);
  }

  /** Free text (error messages, reasons): known secrets, and any URL inside it. */
  text(s: string): string {
    if (!s) return s;
    return this.r.redact(s).replace(URL_IN_TEXT, (u) => redactUrl(u, this.r));
  }

  headers(headers: HeaderList): HeaderList {
    return this.r.redactHeaders(headers).map(([k, v]): [string, string] => [k, this.customHeaders.has(k.toLowerCase()) && !v.startsWith('«redacted') ? Redactor.mask(v) : v]);
  }

  /** A redacted copy of an event, or the event itself when nothing in it needs hiding. */
  event(ev: InspectorEvent): InspectorEvent {
    switch (ev.type) {
      case 'session': {
        const url = this.url(ev.url);
        return url === ev.url ? ev : { ...ev, url };
      }
      case 'request': {
        const body = ev.body === undefined ? undefined : this.text(ev.body);
        return { ...ev, url: this.url(ev.url), headers: this.headers(ev.headers), body };
      }
      case 'response':
        return { ...ev, headers: this.headers(ev.headers) };
      case 'redirect':
        return { ...ev, from: this.url(ev.from), to: this.url(ev.to) };
      case 'auth': {
        const value = ev.value.startsWith('«redacted') ? ev.value : Redactor.mask(ev.value);
        return { ...ev, value, carrier: this.text(ev.carrier) };
      }
      case 'message': {
        if (typeof ev.data !== 'string' || this.r.size === 0) return ev;
        const data = this.r.redact(ev.data);
        return data === ev.data ? ev : { ...ev, data, redacted: true };
      }
      case 'error': {
        const message = this.text(ev.message);
        const detail = ev.detail === undefined ? undefined : this.text(ev.detail);
        return message === ev.message && detail === ev.detail ? ev : { ...ev, message, detail };
      }
      case 'info': {
        const message = this.text(ev.message);
        return message === ev.message ? ev : { ...ev, message };
      }
      case 'close': {
        const reason = this.text(ev.reason);
        return reason === ev.reason ? ev : { ...ev, reason };
      }
      case 'reconnect': {
        const reason = this.text(ev.reason);
        return reason === ev.reason ? ev : { ...ev, reason };
      }
      case 'comment': {
        const text = this.text(ev.text);
        return text === ev.text ? ev : { ...ev, text };
      }
      case 'poll': {
        const cursor = ev.cursor === undefined ? undefined : this.text(ev.cursor);
        return cursor === ev.cursor ? ev : { ...ev, cursor };
      }
      case 'state':
      case 'timing':
      case 'retry':
      case 'ping':
      case 'pong':
        // Numbers, states and binary control payloads: nothing a credential travels in.
        return ev;
      default: {
        const never: never = ev;
        return never;
      }
    }
  }
}

/** The redactor for a new session: knows the credentials its options carry; learns fetched tokens through observe(). */
export function redactorFor(options: Pick<ConnectOptions, 'auth' | 'headers' | 'redactValues'>): EdgeRedactor {
  const r = new EdgeRedactor();
  r.addAuth(options.auth);
  r.addHeaders(options.headers);
  // Secret environment variables substituted into a saved connection.
  for (const v of options.redactValues ?? []) r.addSecret(v);
  return r;
}
