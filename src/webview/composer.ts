import type { SessionSummary } from '../shared/protocol';
import { action, button, setInvalid, textarea } from './controls';
import { checkDraft } from './drafts';
import { h, icon, replace, select, show } from './dom';
import { inertText } from './format';
import { SEND_FORMATS, type SavedMessage, type SendFormat } from './state';

const FORMAT_LABELS: Record<SendFormat, string> = { text: 'Text', json: 'JSON', hex: 'Hex', base64: 'Base64' };
const PLACEHOLDERS: Record<SendFormat, string> = {
  text: 'Message text',
  json: '{"type":"hello"}',
  hex: 'de ad be ef',
  base64: '3q2+7w==',
};

export interface ComposerEvents {
  send(data: string, format: SendFormat): void;
  ping(): void;
  change(state: { format: SendFormat; draft: string; saved: SavedMessage[] }): void;
}

/** Send text / JSON / hex / base64, ping, and a list of saved messages kept in view state. */
export class Composer {
  readonly el: HTMLElement;
  private readonly input;
  private readonly format: HTMLSelectElement;
  private readonly sendBtn;
  private readonly pingBtn;
  private readonly savedSelect: HTMLSelectElement;
  private readonly deleteBtn: HTMLButtonElement;
  private readonly error: HTMLDivElement;
  private readonly note: HTMLDivElement;
  private session: SessionSummary | undefined;
  private sendUrl: string | undefined;

  constructor(
    private state: { format: SendFormat; draft: string; saved: SavedMessage[] },
    private readonly on: ComposerEvents,
  ) {
    this.format = select<SendFormat>('composer-format', 'Message format', SEND_FORMATS.map((f) => [f, FORMAT_LABELS[f]] as const), state.format);
    this.format.addEventListener('change', () => {
      this.state.format = this.format.value as SendFormat;
      this.input.placeholder = PLACEHOLDERS[this.state.format];
      this.validate();
      this.changed();
    });
    this.input = textarea('composer-input', 'Message to send', { value: state.draft, rows: 3, placeholder: PLACEHOLDERS[state.format] });
    this.input.addEventListener('input', () => {
      this.state.draft = this.input.value;
      this.validate();
      this.changed();
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.send();
      }
    });
    this.sendBtn = button('composer-send', 'Send', { icon: 'send', title: 'Send (Ctrl+Enter)' });
    this.sendBtn.addEventListener('click', () => this.send());
    this.pingBtn = button('composer-ping', 'Ping', { icon: 'pulse', secondary: true, title: 'Send a WebSocket ping frame' });
    this.pingBtn.addEventListener('click', () => this.on.ping());
    const saveBtn = action('composer-save', 'save', 'Save this message');
    saveBtn.addEventListener('click', () => this.save());
    this.savedSelect = h('select', { id: 'composer-saved', class: 'dropdown', 'aria-label': 'Saved messages' });
    this.savedSelect.addEventListener('change', () => this.load());
    this.deleteBtn = action('composer-delete', 'trash', 'Delete the chosen saved message');
    this.deleteBtn.addEventListener('click', () => this.remove());
    this.error = h('div', { id: 'composer-error', class: 'inline-error', role: 'alert' });
    this.note = h('div', { id: 'composer-note', class: 'muted composer-note' });
    this.el = h(
      'section',
      { class: 'composer', 'aria-label': 'Send a message' },
      h('div', { class: 'toolbar' }, h('span', { class: 'section-title' }, 'Composer'), this.format, h('span', { class: 'spacer' }), this.savedSelect, saveBtn, this.deleteBtn),
      this.input,
      this.error,
      h('div', { class: 'toolbar' }, this.note, h('span', { class: 'spacer' }), this.pingBtn, this.sendBtn),
    );
    this.renderSaved();
    this.validate();
    this.setSession(undefined, undefined);
  }

  /** Which session sends; for HTTP transports also where "send" goes. */
  setSession(s: SessionSummary | undefined, sendUrl: string | undefined): void {
    this.session = s;
    this.sendUrl = sendUrl;
    const open = !!s && !s.readOnly && s.state === 'open';
    this.sendBtn.disabled = !open;
    this.pingBtn.disabled = !open || s?.transport !== 'ws';
    show(this.pingBtn, !s || s.transport === 'ws');
    let note: Node[];
    if (!s) note = [document.createTextNode('Connect to send messages.')];
    else if (s.readOnly) note = [icon('lock'), document.createTextNode(' This session is an imported recording: read-only.')];
    else if (s.transport === 'ws') note = [document.createTextNode(`Sent as a WebSocket ${this.state.format === 'hex' || this.state.format === 'base64' ? 'binary' : 'text'} frame.`)];
    else
      note = [
        icon('info'),
        document.createTextNode(
          ` With ${s.transport === 'sse' ? 'SSE' : s.transport === 'poll' ? 'short polling' : 'long polling'} the channel only reads: send is a separate HTTP POST ${sendUrl ? `to ${inertText(sendUrl)}` : 'to the send URL (none set: Request setup → Options → Send URL)'}.`,
        ),
      ];
    replace(this.note, ...note);
    if (s && s.state !== 'open' && !s.readOnly) this.note.append(document.createTextNode(` (session is ${s.state})`));
  }

  private changed(): void {
    this.on.change(this.state);
  }

  private validate(): string | undefined {
    const problem = this.state.draft ? checkDraft(this.state.format, this.state.draft) : undefined;
    this.error.textContent = problem ?? '';
    show(this.error, !!problem);
    setInvalid(this.input, !!problem);
    if (this.session) this.setSession(this.session, this.sendUrl);
    return problem;
  }

  private send(): void {
    if (this.sendBtn.disabled) return;
    if (this.validate()) return;
    this.on.send(this.state.draft, this.state.format);
  }

  private save(): void {
    const data = this.state.draft;
    if (!data) return;
    const name = data.replace(/\s+/g, ' ').trim().slice(0, 40) || '(blank)';
    this.state.saved = [{ name, format: this.state.format, data }, ...this.state.saved.filter((m) => !(m.data === data && m.format === this.state.format))].slice(0, 100);
    this.renderSaved(0);
    this.changed();
  }

  private load(): void {
    const i = Number(this.savedSelect.value);
    const m = this.state.saved[i];
    if (!m) return;
    this.state.format = m.format;
    this.state.draft = m.data;
    this.format.value = m.format;
    this.input.value = m.data;
    this.input.placeholder = PLACEHOLDERS[m.format];
    this.validate();
    this.changed();
  }

  private remove(): void {
    const i = Number(this.savedSelect.value);
    if (!(i >= 0 && i < this.state.saved.length)) return;
    this.state.saved = this.state.saved.filter((_, k) => k !== i);
    this.renderSaved();
    this.changed();
  }

  private renderSaved(selected?: number): void {
    const opts = [h('option', { value: '', disabled: true }, this.state.saved.length ? `Saved messages (${this.state.saved.length})` : 'No saved messages')];
    this.state.saved.forEach((m, i) => opts.push(h('option', { value: String(i) }, `${FORMAT_LABELS[m.format]}: ${m.name}`)));
    replace(this.savedSelect, ...opts);
    this.savedSelect.value = selected !== undefined && this.state.saved[selected] ? String(selected) : '';
    this.deleteBtn.disabled = this.state.saved.length === 0;
  }
}
