import { hexToBytes } from '../shared/serialize';
import type { SendFormat } from './state';

/** Pure check of a composer draft before it is sent (the host checks again); returns the problem, or undefined. */
export function checkDraft(format: SendFormat, data: string): string | undefined {
  switch (format) {
    case 'text':
      return undefined;
    case 'json':
      try {
        JSON.parse(data);
        return undefined;
      } catch (e) {
        return `Not valid JSON: ${e instanceof Error ? e.message : String(e)}`;
      }
    case 'hex':
      try {
        hexToBytes(data);
        return undefined;
      } catch {
        return 'Not a hex string: use pairs of 0-9 a-f, optionally separated by spaces, commas or colons.';
      }
    case 'base64': {
      const s = data.replace(/\s/g, '');
      return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? undefined : 'Not valid base64: only A–Z a–z 0–9 + / with = padding, length a multiple of 4.';
    }
  }
}
