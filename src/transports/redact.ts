/**
 * Keeps the secrets a session knows about and replaces them wherever they would be
 * written: URLs, headers, messages, error texts. Redaction is by value, so a token is
 * caught wherever it ended up (query string, cookie, subprotocol, first message).
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  /** Every form a secret is written in: as is, encodeURIComponent, and the form encoding URLSearchParams uses (it also escapes ~!'() and writes spaces as +). */
  private readonly forms = new Map<string, string[]>();

  constructor(readonly reveal = false) {}

  /** Registers a secret value. Values shorter than 4 characters are ignored (they would redact ordinary text). */
  add(secret: string | undefined): void {
    if (!secret || secret.length < 4 || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    const forms = new Set([secret, encodeURIComponent(secret), new URLSearchParams([['', secret]]).toString().slice(1)]);
    this.forms.set(secret, [...forms]);
    // Longest first: a short secret that is a prefix of a longer one must not leave the longer one's tail behind.
    const sorted = [...this.forms].sort((a, b) => b[0].length - a[0].length);
    this.forms.clear();
    for (const [k, v] of sorted) this.forms.set(k, v);
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Masked form of one secret: never contains it; keeps the last 4 characters of long ones so two tokens can be told apart. */
  static mask(secret: string): string {
    return secret.length >= 16 ? `«redacted …${secret.slice(-4)}»` : '«redacted»';
  }

  /** Replaces every known secret in `text` (also their URL-encoded forms) unless revealing. */
  redact(text: string): string {
    if (this.reveal || this.secrets.size === 0 || !text) return text;
    let out = text;
    for (const [s, forms] of this.forms) {
      for (const f of forms) if (out.includes(f)) out = out.split(f).join(Redactor.mask(s));
    }
    return out;
  }

  /** True when `text` holds a known secret. */
  contains(text: string): boolean {
    for (const forms of this.forms.values()) for (const f of forms) if (text.includes(f)) return true;
    return false;
  }

  redactHeaders(headers: Array<[string, string]>): Array<[string, string]> {
    return headers.map(([k, v]) => [k, isCredentialHeader(k) && !this.reveal ? redactCredentialHeader(k, v, this) : this.redact(v)]);
  }
}

/** Header names that carry credentials whatever their value. */
export function isCredentialHeader(name: string): boolean {
  const n = name.toLowerCase();
  return (
    n === 'authorization' ||
    n === 'proxy-authorization' ||
    n === 'cookie' ||
    n === 'set-cookie' ||
    n === 'sec-websocket-protocol' ||
    n === 'x-api-key' ||
    n === 'x-auth-token' ||
    n === 'x-access-token' ||
    n === 'x-csrf-token'
  );
}

function redactCredentialHeader(name: string, value: string, r: Redactor): string {
  const n = name.toLowerCase();
  // Sec-WebSocket-Protocol usually holds plain protocol names: only known secrets are masked there.
  if (n === 'sec-websocket-protocol') return r.redact(value);
  if (n === 'authorization' || n === 'proxy-authorization') {
    const m = /^(\w+)\s+(.*)$/.exec(value);
    return m ? `${m[1]} ${Redactor.mask(m[2])}` : Redactor.mask(value);
  }
  if (n === 'cookie') {
    return value
      .split(/;\s*/)
      .map((pair) => {
        const i = pair.indexOf('=');
        return i < 0 ? pair : `${pair.slice(0, i)}=${Redactor.mask(pair.slice(i + 1))}`;
      })
      .join('; ');
  }
  if (n === 'set-cookie') {
    const i = value.indexOf('=');
    const semi = value.indexOf(';');
    if (i < 0) return value;
    const end = semi < 0 ? value.length : semi;
    return `${value.slice(0, i)}=${Redactor.mask(value.slice(i + 1, end))}${value.slice(end)}`;
  }
  return Redactor.mask(value);
}

/** Query parameter names that commonly carry tokens; masked in logged URLs even when not registered. */
const TOKEN_PARAMS = /^(access[_-]?token|refresh[_-]?token|id[_-]?token|token|auth|api[_-]?key|apikey|key|jwt|session|sig|signature|x-amz-signature|x-amz-security-token|password|secret|client[_-]?secret)$/i;

/**
 * The secret parts of a credential header's value: the token after the scheme of an
 * Authorization header, each cookie value, the whole value of an API-key header. Cookie
 * values shorter than 8 characters are left out: `lang=en` is not worth masking "en" in
 * every payload (the header itself is masked whatever its value).
 */
export function credentialValues(name: string, value: string): string[] {
  const n = name.toLowerCase();
  if (n === 'sec-websocket-protocol') return [];
  if (n === 'authorization' || n === 'proxy-authorization') return [/^\w+\s+(.*)$/.exec(value)?.[1] ?? value];
  if (n === 'cookie') return value.split(/;\s*/).map((p) => p.slice(p.indexOf('=') + 1)).filter((v) => v.length >= 8);
  if (n === 'set-cookie') {
    const eq = value.indexOf('=');
    const semi = value.indexOf(';');
    const v = eq < 0 ? '' : value.slice(eq + 1, semi < 0 ? undefined : semi);
    return v.length >= 8 ? [v] : [];
  }
  return [value];
}

/** True for query parameter names that commonly carry tokens (the ones redactUrl masks). */
export function isTokenParam(name: string): boolean {
  return TOKEN_PARAMS.test(name);
}

/** Redacts known secrets, token-looking query parameters and URL passwords in a URL string (kept readable, not re-encoded). */
export function redactUrl(url: string, r: Redactor): string {
  if (r.reveal) return url;
  let out = r.redact(url);
  out = out.replace(/([?&])([^=&#]+)=([^&#]*)/g, (whole, sep: string, name: string, value: string) => {
    let key = name;
    try {
      key = decodeURIComponent(name);
    } catch {
      /* keep raw */
    }
    if (!TOKEN_PARAMS.test(key) || !value || value.startsWith('«redacted')) return whole;
    let raw = value;
    try {
      raw = decodeURIComponent(value);
    } catch {
      /* keep raw */
    }
    return `${sep}${name}=${Redactor.mask(raw)}`;
  });
  // user:password@ in the authority
  out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:«redacted»@');
  return out;
}
