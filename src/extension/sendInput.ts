/**
 * Turns what a person typed into the composer into bytes or text to send, or a clear
 * reason why it cannot be sent. Nothing is sent on bad input. No `vscode` import.
 */
import { hexToBytes } from '../shared/serialize';

export type SendFormat = 'text' | 'json' | 'hex' | 'base64';

export type ParsedSend = { ok: true; data: string | Uint8Array; binary: boolean } | { ok: false; error: string };

export function parseSendInput(input: string, format: SendFormat): ParsedSend {
  switch (format) {
    case 'text':
      return { ok: true, data: input, binary: false };
    case 'json': {
      if (!input.trim()) return { ok: false, error: 'Nothing to send: the JSON message is empty.' };
      try {
        JSON.parse(input);
      } catch (err) {
        return { ok: false, error: `Not sent: the message is not valid JSON (${jsonErrorWhere(input, err)}).` };
      }
      // Sent as typed: the person's formatting is part of what they are testing.
      return { ok: true, data: input, binary: false };
    }
    case 'hex': {
      if (!input.trim()) return { ok: false, error: 'Nothing to send: the hex message is empty.' };
      try {
        return { ok: true, data: hexToBytes(input), binary: true };
      } catch {
        const clean = input.replace(/0x/gi, '').replace(/[\s,:]/g, '');
        const bad = /[^0-9a-f]/i.exec(clean);
        const why = bad ? `"${bad[0]}" is not a hex digit` : `it has an odd number of hex digits (${clean.length})`;
        return { ok: false, error: `Not sent: the message is not valid hex: ${why}. Write bytes as pairs of digits, e.g. "de ad be ef".` };
      }
    }
    case 'base64': {
      const clean = input.replace(/\s+/g, '');
      if (!clean) return { ok: false, error: 'Nothing to send: the base64 message is empty.' };
      const bytes = decodeBase64Strict(clean);
      if (typeof bytes === 'string') return { ok: false, error: `Not sent: the message is not valid base64: ${bytes}.` };
      return { ok: true, data: bytes, binary: true };
    }
    default: {
      const never: never = format;
      return { ok: false, error: `Unknown message format ${String(never)}.` };
    }
  }
}

/** Standard or URL-safe base64, padding optional; returns the reason as a string when invalid. */
export function decodeBase64Strict(s: string): Uint8Array | string {
  const bad = /[^A-Za-z0-9+/\-_=]/.exec(s);
  if (bad) return `"${bad[0]}" at position ${bad.index + 1} is not a base64 character`;
  const pad = s.indexOf('=');
  if (pad >= 0 && !/^=+$/.test(s.slice(pad))) return '"=" padding may only appear at the end';
  const body = (pad >= 0 ? s.slice(0, pad) : s).replace(/-/g, '+').replace(/_/g, '/');
  if (body.length % 4 === 1) return `its length (${body.length} characters) cannot be base64`;
  if (pad >= 0 && s.length % 4 !== 0) return 'the padding does not fill the last group of four';
  return new Uint8Array(Buffer.from(body, 'base64'));
}

function jsonErrorWhere(input: string, err: unknown): string {
  // V8 quotes the whole input in some messages; the person has it in front of them already.
  const msg = (err instanceof Error ? err.message : String(err)).replace(/,\s*".*" is not valid JSON$/s, '');
  const m = /(?: in JSON)? at position (\d+)/.exec(msg);
  if (!m) return msg;
  const pos = Number(m[1]);
  const before = input.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${msg.slice(0, m.index)} at line ${line}, column ${col}`;
}
