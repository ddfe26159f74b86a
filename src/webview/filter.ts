import type { InspectorEventType } from '../shared/events';
import type { EventRow } from '../shared/protocol';

/** Pure log filtering (no DOM), unit-tested in test/webview/format.test.ts. */

export type DirFilter = 'all' | 'in' | 'out';
export type KindFilter = 'messages' | 'http' | 'control' | 'errors';
export const KINDS: readonly KindFilter[] = ['messages', 'http', 'control', 'errors'];

export interface FilterSpec {
  dir: DirFilter;
  /** Empty = every kind. Several = any of them. */
  kinds: KindFilter[];
  /** Plain text (case-insensitive) or /regex/flags. */
  text: string;
}

export interface CompiledFilter {
  /** False when nothing is filtered out, so the view can be the row array itself. */
  active: boolean;
  test(row: EventRow): boolean;
  /** Set when the text is an invalid regex; the text part is then not applied. */
  error?: string;
}

const HTTP_TYPES: ReadonlySet<InspectorEventType> = new Set(['request', 'response', 'timing', 'redirect', 'poll']);

export function kindOf(row: EventRow): KindFilter {
  if (row.type === 'message') return 'messages';
  if (HTTP_TYPES.has(row.type)) return 'http';
  return 'control';
}

export function isErrorRow(row: EventRow): boolean {
  return row.type === 'error' || row.error === true;
}

export function compileFilter(spec: FilterSpec): CompiledFilter {
  const { dir } = spec;
  const kinds = new Set(spec.kinds.filter((k) => KINDS.includes(k)));
  const useKinds = kinds.size > 0 && kinds.size < KINDS.length;
  let error: string | undefined;
  let match: ((s: string) => boolean) | undefined;
  const text = spec.text.trim();
  const re = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (re) {
    try {
      // g and y make RegExp.test stateful across rows; they mean nothing for a filter.
      const rx = new RegExp(re[1], re[2].replace(/[gy]/g, ''));
      match = (s) => rx.test(s);
    } catch (e) {
      error = `Invalid regular expression: ${e instanceof Error ? e.message : String(e)}`;
    }
  } else if (text) {
    const needle = text.toLowerCase();
    match = (s) => s.toLowerCase().includes(needle);
  }
  const active = dir !== 'all' || useKinds || match !== undefined;
  const test = (row: EventRow): boolean => {
    if (dir !== 'all' && row.dir !== dir) return false;
    if (useKinds && !(kinds.has(kindOf(row)) || (kinds.has('errors') && isErrorRow(row)))) return false;
    if (match && !(match(row.preview) || match(row.label) || match(row.type) || (row.id !== undefined && match(row.id)))) return false;
    return true;
  };
  return { active, test, error };
}
