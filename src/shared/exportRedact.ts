import { Redactor, credentialValues, isCredentialHeader, isTokenParam, redactUrl } from '../transports/redact';
import type { AuthConfig, ConnectOptions } from './options';
import type { HeaderList, InspectorEvent } from './events';

/**
 * Redaction of a whole recording on export. Events are normally redacted when they are
 * recorded, but a session run with showSecrets holds plain credentials, and an export is
 * a file that leaves the machine: so every export masks secrets again unless the user
 * explicitly asked to include them. Masking reuses the session's Redactor rules
 * (src/transports/redact.ts); values already masked are left as they are, so exporting an
 * already-redacted recording changes nothing.
 */

export interface ExportOptions {
  /** Keep credentials in the export. Only when the user explicitly asked for it. */
  includeSecrets: boolean;
  /** Secret values the caller knows (auth tokens, secret variables): masked wherever they appear. */
  secrets?: string[];
  /** Header names whose values are credentials beyond the standard ones (e.g. a custom auth header). */
  credentialHeaders?: string[];
}

/** The secret values a set of connect options carries, for `ExportOptions.secrets`. */
export function secretsOf(options: Pick<ConnectOptions, 'auth' | 'redactValues' | 'headers'>): string[] {
  const out = [...(options.redactValues ?? [])];
  for (const [k, v] of options.headers ?? []) if (isCredentialHeader(k)) out.push(...credentialValues(k, v));
  const a: AuthConfig | undefined = options.auth;
  if (a) {
    if (a.method === 'query' || a.method === 'bearer' || a.method === 'subprotocol' || a.method === 'first-message') out.push(a.token);
    else if (a.method === 'cookie' || a.method === 'header') out.push(a.value);
    else if (a.method === 'token-url') {
      // As the session does: each string of a JSON body (credentials for the token endpoint), or the whole body.
      if (a.body) out.push(...jsonStrings(a.body));
      for (const [k, v] of a.headers ?? []) if (isCredentialHeader(k)) out.push(v.replace(/^\w+\s+/, ''));
    }
  }
  return out;
}

function jsonStrings(body: string): string[] {
  try {
    const j = JSON.parse(body) as unknown;
    if (j !== null && typeof j === 'object') return Object.values(j).filter((v): v is string => typeof v === 'string');
  } catch {
    /* not JSON: the whole body is the secret */
  }
  return [body];
}

/** Credential header names a set of connect options adds (a custom auth header), for `ExportOptions.credentialHeaders`. */
export function credentialHeadersOf(options: Pick<ConnectOptions, 'auth'>): string[] {
  return options.auth?.method === 'header' ? [options.auth.name] : [];
}

const MASK = /«redacted(?: …[^»]{0,8})?»/;
const ONLY_MASK = /^«redacted(?: …[^»]{0,8})?»$/;

function isMasked(v: string): boolean {
  return ONLY_MASK.test(v);
}

/**
 * Returns the events ready for export: the same objects when secrets are included,
 * redacted copies otherwise (the originals belong to a live log and are never modified).
 */
export function redactForExport(events: Iterable<InspectorEvent>, opts: ExportOptions): InspectorEvent[] {
  return prepareExport(events, opts).events;
}

/** The events ready for export, and the same masking for other text that goes into the file (a URL, a title). */
export function prepareExport(events: Iterable<InspectorEvent>, opts: ExportOptions): { events: InspectorEvent[]; url(s: string): string; text(s: string): string } {
  const list = Array.isArray(events) ? (events as InspectorEvent[]) : [...events];
  if (opts.includeSecrets) return { events: list, url: (s) => s, text: (s) => s };
  const custom = new Set((opts.credentialHeaders ?? []).map((h) => h.toLowerCase()));
  const found = new Secrets();
  for (const s of opts.secrets ?? []) found.add(s);
  for (const ev of list) harvest(ev, found, custom);
  const x = new ExportRedactor(found, custom);
  return { events: list.map((ev) => x.event(ev)), url: (s) => x.url(s), text: (s) => x.text(s) };
}

/** Secret values found so far; the same minimum length as Redactor.add (shorter ones would mask ordinary text). */
class Secrets {
  readonly values = new Set<string>();
  add(v: string | undefined): void {
    if (v && v.length >= 4) this.values.add(v);
  }
  /**
   * A value seen in a credential carrier (header, token parameter). Masked by value elsewhere
   * only when long enough to be a token: a short cookie like `lang=en` would otherwise
   * garble every payload that mentions "en". The carrier itself is masked either way.
   */
  addSeen(v: string | undefined): void {
    if (v && v.length >= 8) this.values.add(v);
  }
}

/** Collects secret values the recording itself reveals (a showSecrets session): auth values, credential headers, token query parameters. */
function harvest(ev: InspectorEvent, r: Secrets, custom: Set<string>): void {
  switch (ev.type) {
    case 'auth':
      if (!MASK.test(ev.value)) r.add(ev.value);
      return;
    case 'request':
      harvestUrl(ev.url, r);
      harvestHeaders(ev.headers, r, custom);
      return;
    case 'response':
      harvestHeaders(ev.headers, r, custom);
      return;
    case 'session':
      harvestUrl(ev.url, r);
      return;
    case 'redirect':
      harvestUrl(ev.from, r);
      harvestUrl(ev.to, r);
      return;
    default:
      return;
  }
}

function harvestUrl(url: string, r: Secrets): void {
  const q = url.indexOf('?');
  if (q >= 0) {
    const end = url.indexOf('#', q);
    for (const pair of url.slice(q + 1, end < 0 ? undefined : end).split('&')) {
      const i = pair.indexOf('=');
      if (i <= 0) continue;
      const name = safeDecode(pair.slice(0, i));
      const value = safeDecode(pair.slice(i + 1));
      if (isTokenParam(name) && value && !MASK.test(value)) r.addSeen(value);
    }
  }
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^/@]*)@/i.exec(url);
  if (m && !MASK.test(m[1])) r.addSeen(safeDecode(m[1]));
}

function harvestHeaders(headers: HeaderList, r: Secrets, custom: Set<string>): void {
  for (const [k, v] of headers) {
    const n = k.toLowerCase();
    if (MASK.test(v)) continue;
    if (custom.has(n)) r.addSeen(v);
    else if (isCredentialHeader(n)) for (const c of credentialValues(n, v)) r.addSeen(c);
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

const encoder = new TextEncoder();

class ExportRedactor {
  private readonly r = new Redactor(false);
  private readonly secretBytes: Array<{ bytes: Uint8Array; mask: Uint8Array }> = [];
  constructor(
    found: Secrets,
    private readonly custom: Set<string>,
  ) {
    // Longest first, so a secret that contains another is masked whole.
    for (const s of [...found.values].sort((a, b) => b.length - a.length)) {
      this.r.add(s);
      this.secretBytes.push({ bytes: encoder.encode(s), mask: encoder.encode(Redactor.mask(s)) });
    }
  }

  text(s: string): string {
    return this.r.redact(s);
  }

  url(s: string): string {
    return redactUrl(s, this.r);
  }

  headers(h: HeaderList): HeaderList {
    return h.map(([k, v]) => [k, this.header(k, v)]);
  }

  private header(name: string, value: string): string {
    const n = name.toLowerCase();
    if (this.custom.has(n)) return isMasked(value) ? value : Redactor.mask(value);
    if (!isCredentialHeader(n) || n === 'sec-websocket-protocol') return this.r.redact(value);
    if (alreadyMasked(n, value) && !this.r.contains(value)) return value;
    return this.r.redactHeaders([[name, value]])[0][1];
  }

  /** Binary payloads: each secret's UTF-8 bytes replaced by its mask (the payload changes length; `size` keeps the wire size). */
  bytes(b: Uint8Array): Uint8Array {
    let out = b;
    for (const { bytes, mask } of this.secretBytes) out = replaceBytes(out, bytes, mask);
    return out;
  }

  event(ev: InspectorEvent): InspectorEvent {
    switch (ev.type) {
      case 'session': {
        const options: Record<string, string | number | boolean> = {};
        for (const [k, v] of Object.entries(ev.options)) options[k] = typeof v === 'string' ? this.url(v) : v;
        return { ...ev, url: this.url(ev.url), options };
      }
      case 'request':
        return { ...ev, url: this.url(ev.url), headers: this.headers(ev.headers), ...(ev.body === undefined ? {} : { body: this.text(ev.body) }) };
      case 'response':
        return { ...ev, headers: this.headers(ev.headers) };
      case 'redirect':
        return { ...ev, from: this.url(ev.from), to: this.url(ev.to) };
      case 'message': {
        const data = typeof ev.data === 'string' ? this.text(ev.data) : this.bytes(ev.data);
        const sse = ev.sse?.id === undefined ? ev.sse : { ...ev.sse, id: this.text(ev.sse.id) };
        if (data === ev.data && sse === ev.sse) return ev;
        const out = { ...ev, data, sse };
        if (data !== ev.data) out.redacted = true;
        if (sse === undefined) delete out.sse;
        return out;
      }
      case 'ping':
      case 'pong':
        return { ...ev, data: this.bytes(ev.data) };
      case 'comment':
        return { ...ev, text: this.text(ev.text) };
      case 'retry':
        return { ...ev, raw: this.text(ev.raw) };
      case 'auth':
        return { ...ev, carrier: this.url(ev.carrier), value: MASK.test(ev.value) ? ev.value : Redactor.mask(ev.value) };
      case 'error':
        return { ...ev, message: this.url(ev.message), ...(ev.detail === undefined ? {} : { detail: this.url(ev.detail) }) };
      case 'info':
        return { ...ev, message: this.url(ev.message) };
      case 'close':
        return { ...ev, reason: this.url(ev.reason) };
      case 'reconnect':
        return { ...ev, reason: this.url(ev.reason), ...(ev.lastEventId === undefined ? {} : { lastEventId: this.text(ev.lastEventId) }) };
      case 'poll':
        return ev.cursor === undefined ? ev : { ...ev, cursor: this.text(ev.cursor) };
      case 'state':
      case 'timing':
        return ev;
      default: {
        const never: never = ev;
        return never;
      }
    }
  }
}

/** True when a credential header's value is already in its masked form (nothing left to hide). */
function alreadyMasked(name: string, value: string): boolean {
  if (name === 'authorization' || name === 'proxy-authorization') return isMasked(value) || isMasked(value.replace(/^\w+\s+/, ''));
  if (name === 'cookie') return value.split(/;\s*/).every((pair) => isMasked(pair.slice(pair.indexOf('=') + 1)));
  if (name === 'set-cookie') {
    const eq = value.indexOf('=');
    const semi = value.indexOf(';');
    return eq >= 0 && isMasked(value.slice(eq + 1, semi < 0 ? undefined : semi));
  }
  return isMasked(value);
}

function replaceBytes(hay: Uint8Array, needle: Uint8Array, repl: Uint8Array): Uint8Array {
  if (needle.length === 0 || hay.length < needle.length) return hay;
  const parts: Uint8Array[] = [];
  let from = 0;
  let i = 0;
  const first = needle[0];
  while (i <= hay.length - needle.length) {
    if (hay[i] === first && matchAt(hay, needle, i)) {
      parts.push(hay.subarray(from, i), repl);
      i += needle.length;
      from = i;
    } else i++;
  }
  if (parts.length === 0) return hay;
  parts.push(hay.subarray(from));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function matchAt(hay: Uint8Array, needle: Uint8Array, at: number): boolean {
  for (let j = 1; j < needle.length; j++) if (hay[at + j] !== needle[j]) return false;
  return true;
}
