import type { TransportKind } from '../shared/events';
import type { AuthMatrixParams, ConnectionConfig, SessionSummary } from '../shared/protocol';
import { applyDefaults, buildConfig } from './connectionConfig';
import { action, button, checkbox, field, textarea, textfield, type VscodeTextfield } from './controls';
import { h, icon, replace, select, show } from './dom';
import { inertText } from './format';
import { AUTH_METHODS, PLACEMENTS, type AuthMethodName, type FormSecrets, type FormState, type Placement } from './state';

export const TRANSPORT_LABELS: Record<TransportKind, string> = { poll: 'Short polling', 'long-poll': 'Long polling', sse: 'SSE', ws: 'WebSocket' };
const TRANSPORT_OPTIONS = [['auto', 'Auto'], ['poll', 'Short polling'], ['long-poll', 'Long polling'], ['sse', 'SSE'], ['ws', 'WebSocket']] as const;
const AUTH_LABELS: Record<AuthMethodName, string> = {
  none: 'No authentication',
  query: 'Query parameter',
  bearer: 'Bearer token',
  cookie: 'Cookie',
  header: 'Custom header',
  subprotocol: 'WebSocket subprotocol',
  'first-message': 'First message',
  'token-url': 'Token endpoint (short-lived token)',
};
const PLACEMENT_LABELS: Record<Placement, string> = { bearer: 'Bearer header', query: 'Query parameter', cookie: 'Cookie', subprotocol: 'Subprotocol', 'first-message': 'First message' };

export interface ConnectionFormEvents {
  connect(config: ConnectionConfig): void;
  disconnect(): void;
  demo(transport: TransportKind): void;
  /** The form changed (persist it). */
  change(form: FormState): void;
}

/** Connection bar (URL, transport, connect, state) and the collapsible request setup. */
export class ConnectionForm {
  readonly bar: HTMLElement;
  readonly setup: HTMLElement;
  private readonly secrets: FormSecrets = { token: '', tokenBody: '' };
  private readonly url: VscodeTextfield;
  private readonly transport: HTMLSelectElement;
  private readonly connectBtn;
  private readonly disconnectBtn;
  private readonly badge: HTMLSpanElement;
  private readonly secretsBadge: HTMLSpanElement;
  private readonly errorBox: HTMLDivElement;
  private readonly demoNote: HTMLSpanElement;
  private readonly headersList: HTMLDivElement;
  private readonly authFields: HTMLDivElement;
  private readonly authSelect: HTMLSelectElement;
  private readonly optionsBox: HTMLDivElement;
  private readonly insecureWarning: HTMLDivElement;
  private readonly insecureBadge: HTMLSpanElement;

  constructor(
    private form: FormState,
    setupOpen: boolean,
    private readonly on: ConnectionFormEvents & { toggleSetup(open: boolean): void },
  ) {
    this.url = textfield('url', 'URL', { placeholder: 'https://example.com/events or wss://example.com/socket', value: form.url });
    this.url.classList.add('grow');
    this.url.addEventListener('input', () => this.update({ url: this.url.value }));
    this.url.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.submit();
    });
    this.transport = select('transport', 'Transport', TRANSPORT_OPTIONS, form.transport);
    this.transport.addEventListener('change', () => {
      this.update({ transport: this.transport.value as FormState['transport'] });
      this.renderOptions();
    });
    this.connectBtn = button('connect', 'Connect', { icon: 'plug' });
    this.connectBtn.addEventListener('click', () => this.submit());
    this.disconnectBtn = button('disconnect', 'Disconnect', { icon: 'debug-disconnect', secondary: true });
    this.disconnectBtn.addEventListener('click', () => this.on.disconnect());
    this.badge = h('span', { id: 'state-badge', class: 'state-badge state-none', role: 'status' }, 'no session');
    this.secretsBadge = h('span', { id: 'secrets-badge', class: 'secrets-badge', title: 'Secrets are shown unredacted in this panel' }, icon('eye'), 'secrets visible');
    show(this.secretsBadge, false);
    // Visible with the setup collapsed too: the risk applies to the next Connect.
    this.insecureBadge = h('span', { id: 'insecure-badge', class: 'secrets-badge', title: 'Accept invalid certificates is ticked in Request setup → Options' }, icon('warning'), 'certificate checks off');
    this.errorBox = h('div', { id: 'form-errors', class: 'form-errors', role: 'alert' });
    show(this.errorBox, false);
    this.demoNote = h('span', { id: 'demo-note', class: 'muted' });

    const demoButtons = (['poll', 'long-poll', 'sse', 'ws'] as const).map((t) => {
      const b = h('button', { type: 'button', class: 'link-button', id: `demo-${t}`, title: `Start the built-in demo server and fill in its ${TRANSPORT_LABELS[t]} URL` }, TRANSPORT_LABELS[t]);
      b.addEventListener('click', () => this.on.demo(t));
      return b;
    });

    this.bar = h(
      'section',
      { class: 'connection', 'aria-label': 'Connection' },
      h('div', { class: 'conn-row' }, this.url, this.transport, this.connectBtn, this.disconnectBtn, this.badge, this.secretsBadge, this.insecureBadge),
      h('div', { class: 'demo-row' }, icon('beaker'), h('span', { class: 'muted' }, 'Use demo server:'), ...demoButtons, this.demoNote),
      this.errorBox,
    );

    // Headers
    this.headersList = h('div', { class: 'headers-list', id: 'headers-list' });
    const addHeader = h('button', { type: 'button', class: 'link-button', id: 'add-header' }, icon('add'), 'Add header');
    addHeader.addEventListener('click', () => {
      this.form.headers.push(['', '']);
      this.renderHeaders(true);
      this.changed();
    });

    // Auth
    this.authSelect = select(
      'auth-method',
      'Authentication method',
      AUTH_METHODS.map((m) => [m, AUTH_LABELS[m]] as const),
      form.authMethod,
    );
    this.authSelect.addEventListener('change', () => {
      this.update({ authMethod: this.authSelect.value as AuthMethodName });
      this.renderAuth();
    });
    this.authFields = h('div', { class: 'auth-fields', id: 'auth-fields' });

    // Options
    this.optionsBox = h('div', { class: 'options-grid', id: 'options' });
    this.insecureWarning = h(
      'div',
      { class: 'warning-box', id: 'insecure-warning', role: 'alert' },
      icon('warning'),
      h('span', null, 'Certificate checks are off for this connection: anyone on the network path can read and change the traffic, tokens included. Use only against a test server you control.'),
    );

    const collapsible = document.createElement('vscode-collapsible');
    collapsible.id = 'setup';
    collapsible.heading = 'Request setup';
    collapsible.description = 'headers, authentication, options';
    collapsible.open = setupOpen;
    collapsible.addEventListener('vsc-collapsible-toggle', () => this.on.toggleSetup(collapsible.open));
    collapsible.append(
      h(
        'div',
        { class: 'setup-grid' },
        h('div', { class: 'setup-col' }, h('h4', null, 'Headers'), this.headersList, addHeader),
        h('div', { class: 'setup-col' }, h('h4', null, 'Authentication'), this.authSelect, this.authFields),
        h('div', { class: 'setup-col' }, h('h4', null, 'Options'), this.optionsBox, this.insecureWarning),
      ),
    );
    this.setup = collapsible;
    this.renderHeaders(false);
    this.renderAuth();
    this.renderOptions();
    this.setSession(undefined);
  }

  get value(): FormState {
    return this.form;
  }

  /** The active session drives the badge and which buttons are enabled. */
  setSession(s: SessionSummary | undefined): void {
    const state = s ? s.state : 'none';
    this.badge.className = `state-badge state-${state}`;
    replace(this.badge, h('span', { class: 'dot', 'aria-hidden': 'true' }), s ? `${s.state} · ${TRANSPORT_LABELS[s.transport]}${s.readOnly ? ' · read-only' : ''}` : 'no session');
    this.badge.title = s ? inertText(`${s.name}\n${s.url}`) : 'Not connected';
    const live = !!s && !s.readOnly && (s.state === 'open' || s.state === 'connecting');
    this.disconnectBtn.disabled = !live;
  }

  setRevealSecrets(on: boolean): void {
    show(this.secretsBadge, on);
  }

  setDemoUrl(url: string | undefined): void {
    this.demoNote.textContent = url ? `running at ${inertText(url)}` : '';
  }

  /** Host-provided values (demo server, first run). */
  applyDefaults(d: Partial<ConnectionConfig>): void {
    applyDefaults(this.form, this.secrets, d);
    this.url.value = this.form.url;
    this.transport.value = this.form.transport;
    this.authSelect.value = this.form.authMethod;
    this.renderHeaders(false);
    this.renderAuth();
    this.renderOptions();
    this.changed();
  }

  /**
   * The connection bar's endpoint as an auth matrix target: URL, transport, and the token
   * typed under Authentication (or its token endpoint). A sentence when it cannot be used.
   * Without a token the host uses the one remembered for the endpoint, if any.
   */
  analysisTarget(): AuthMatrixParams | string {
    const url = this.form.url.trim();
    if (!url) return 'Type the endpoint URL in the connection bar first (or pick the demo server).';
    let scheme: string;
    try {
      scheme = new URL(url.split('{method}').join('bearer')).protocol;
    } catch {
      return 'The URL in the connection bar is not a valid URL.';
    }
    const isWs = scheme === 'ws:' || scheme === 'wss:';
    if (!isWs && scheme !== 'http:' && scheme !== 'https:') return `The auth matrix needs an http(s) or ws(s) URL, not ${scheme}//.`;
    const transport = this.form.transport === 'auto' ? (isWs ? 'ws' : undefined) : this.form.transport;
    if (!transport) return 'Pick the transport in the connection bar: "Auto" cannot tell SSE from polling for the auth matrix.';
    if ((transport === 'ws') !== isWs) return transport === 'ws' ? 'WebSocket needs a ws:// or wss:// URL.' : `${TRANSPORT_LABELS[transport]} needs an http:// or https:// URL.`;
    const method = this.form.authMethod;
    const token = method !== 'none' && method !== 'token-url' && this.secrets.token ? this.secrets.token : undefined;
    const tokenUrl = method === 'token-url' && this.form.tokenUrl.trim() ? this.form.tokenUrl.trim() : undefined;
    return { transport, url, ...(token ? { token } : {}), ...(tokenUrl ? { tokenUrl } : {}) };
  }

  /** Validates and posts; problems are listed under the bar instead. */
  submit(): void {
    const { config, errors } = buildConfig(this.form, this.secrets);
    replace(this.errorBox, ...errors.map((e) => h('div', null, icon('error'), ' ', e)));
    show(this.errorBox, errors.length > 0);
    this.url.invalid = errors.some((e) => e.startsWith('The URL'));
    if (config) this.on.connect(config);
  }

  private update(patch: Partial<FormState>): void {
    Object.assign(this.form, patch);
    this.changed();
  }

  private changed(): void {
    this.on.change(this.form);
  }

  private renderHeaders(focusLast: boolean): void {
    const rows = this.form.headers.map(([name, value], i) => {
      const n = textfield(`header-name-${i}`, `Header ${i + 1} name`, { placeholder: 'Name', value: name });
      const v = textfield(`header-value-${i}`, `Header ${i + 1} value`, { placeholder: 'Value', value });
      n.addEventListener('input', () => {
        this.form.headers[i][0] = n.value;
        this.changed();
      });
      v.addEventListener('input', () => {
        this.form.headers[i][1] = v.value;
        this.changed();
      });
      const remove = action(`header-remove-${i}`, 'close', `Remove header ${i + 1}`);
      remove.addEventListener('click', () => {
        this.form.headers.splice(i, 1);
        this.renderHeaders(false);
        this.changed();
      });
      return h('div', { class: 'header-row' }, n, v, remove);
    });
    replace(this.headersList, ...(rows.length ? rows : [h('div', { class: 'muted' }, 'No extra headers.')]));
    if (focusLast && rows.length) (rows[rows.length - 1].firstChild as HTMLElement).focus();
  }

  private text(id: string, caption: string, key: keyof FormState, placeholder = ''): HTMLElement {
    const t = textfield(id, caption, { placeholder, value: String(this.form[key]) });
    t.addEventListener('input', () => this.update({ [key]: t.value } as Partial<FormState>));
    return field(caption, t);
  }

  private tokenField(caption = 'Token'): HTMLElement {
    const t = textfield('auth-token', caption, { password: true, value: this.secrets.token, placeholder: 'kept in memory, never saved in view state' });
    t.addEventListener('input', () => (this.secrets.token = t.value));
    return field(caption, t);
  }

  private renderAuth(): void {
    const f: HTMLElement[] = [];
    switch (this.form.authMethod) {
      case 'none':
        f.push(h('div', { class: 'muted' }, 'The request carries no credential.'));
        break;
      case 'query':
        f.push(this.text('auth-param', 'Query parameter name', 'queryParam', 'access_token'), this.tokenField());
        break;
      case 'bearer':
        f.push(this.tokenField('Bearer token'));
        break;
      case 'cookie':
        f.push(this.text('auth-cookie', 'Cookie name', 'cookieName', 'session'), this.tokenField('Cookie value'));
        break;
      case 'header':
        f.push(this.text('auth-header', 'Header name', 'headerName', 'X-API-Key'), this.tokenField('Header value'));
        break;
      case 'subprotocol':
        f.push(this.text('auth-marker', 'Marker protocol (optional)', 'marker', 'access_token'), this.tokenField(), h('div', { class: 'muted' }, 'WebSocket only: the token is offered as a subprotocol after the marker.'));
        break;
      case 'first-message': {
        const t = textarea('auth-template', 'First message template', { value: this.form.template, rows: 2 });
        t.addEventListener('input', () => this.update({ template: t.value }));
        f.push(field('Template ({{token}} is replaced)', t), this.tokenField());
        break;
      }
      case 'token-url': {
        const method = select('auth-token-method', 'Token request method', [['POST', 'POST'], ['GET', 'GET']] as const, this.form.tokenHttpMethod);
        method.addEventListener('change', () => {
          this.update({ tokenHttpMethod: method.value as 'GET' | 'POST' });
          this.renderAuth();
        });
        const placement = select(
          'auth-placement',
          'Token placement',
          PLACEMENTS.map((p) => [p, PLACEMENT_LABELS[p]] as const),
          this.form.placement,
        );
        placement.addEventListener('change', () => this.update({ placement: placement.value as Placement }));
        f.push(this.text('auth-token-url', 'Token endpoint URL', 'tokenUrl', 'https://example.com/token'), field('Method', method));
        if (this.form.tokenHttpMethod === 'POST') {
          const body = textarea('auth-token-body', 'Token request body', { value: this.secrets.tokenBody, rows: 2, placeholder: '{"client_id":"…","client_secret":"…"} (not saved in view state)' });
          body.addEventListener('input', () => (this.secrets.tokenBody = body.value));
          f.push(field('Body (JSON)', body));
        }
        f.push(this.text('auth-token-path', 'JSON path to the token', 'tokenPath', 'access_token'), field('Put the token in', placement));
        break;
      }
    }
    replace(this.authFields, ...f);
  }

  private renderOptions(): void {
    const t = this.form.transport;
    const http = t !== 'ws';
    const rows: HTMLElement[] = [];
    if (t === 'poll' || t === 'auto') rows.push(this.text('opt-interval', 'Poll interval (ms)', 'intervalMs', 'default 1000'));
    if (t === 'long-poll' || t === 'auto') rows.push(this.text('opt-hold', 'Hold timeout (ms)', 'holdTimeoutMs', 'default 60000'));
    rows.push(this.text('opt-timeout', 'Timeout (ms)', 'timeoutMs', 'default 10000'));
    if (t === 'ws' || t === 'auto') rows.push(this.text('opt-subprotocols', 'Subprotocols (comma-separated)', 'subprotocols', 'e.g. graphql-transport-ws, v1.chat'));
    if (http) rows.push(this.text('opt-send-url', 'Send URL (polling / SSE)', 'sendUrl', 'e.g. https://example.com/send'));
    const reconnect = checkbox('opt-reconnect', 'Reconnect after errors', this.form.reconnect);
    reconnect.addEventListener('change', () => this.update({ reconnect: reconnect.checked }));
    const insecure = checkbox('opt-insecure', 'Accept invalid certificates', this.form.insecure);
    insecure.addEventListener('change', () => {
      this.update({ insecure: insecure.checked });
      show(this.insecureWarning, insecure.checked);
      show(this.insecureBadge, insecure.checked);
    });
    rows.push(h('div', { class: 'checks' }, reconnect, insecure));
    replace(this.optionsBox, ...rows);
    show(this.insecureWarning, this.form.insecure);
    show(this.insecureBadge, this.form.insecure);
  }
}
