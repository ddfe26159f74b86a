import { TRANSPORT_KINDS, type InspectorEvent, type InspectorEventType, type TransportKind } from './events';
import { redactForExport, type ExportOptions } from './exportRedact';
import { fromJsonEvent, toNdjsonLine, type JsonEvent } from './serialize';

/**
 * Recordings as files: the NDJSON form (exactly what `connect --json` prints) and the checks
 * every imported event goes through, whatever file it came from. HAR lives in har.ts;
 * importRecording.ts picks the right reader.
 */

/** The only error the import functions throw: its message says what is wrong with the file, in words. */
export class ImportError extends Error {
  constructor(
    message: string,
    /** 1-based line (NDJSON) or JSON path (HAR) of the first problem, when there is one. */
    readonly where?: string,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}

/** What an imported recording was, besides its events. */
export interface RecordingMeta {
  format: 'har' | 'ndjson';
  /** Written by Realtime Inspector (events exact) or rebuilt from another tool's HAR. */
  origin: 'realtime-inspector' | 'foreign';
  /** The HAR creator (name and version), when the file says. */
  creator?: string;
  transport: TransportKind;
  url: string;
  /** Wall-clock ms since the epoch at t = 0. */
  wallStart: number;
  fileName?: string;
}

export interface ImportedRecording {
  events: InspectorEvent[];
  meta: RecordingMeta;
  /** Things a person should know about the import (lines skipped, guesses made). */
  warnings: string[];
}

/** The NDJSON export: one `toNdjsonLine` per event, redacted unless secrets are included. Ends with a newline. */
export function toNdjson(events: Iterable<InspectorEvent>, opts: ExportOptions): string {
  const list = redactForExport(events, opts);
  let out = '';
  for (const ev of list) out += toNdjsonLine(ev) + '\n';
  return out;
}

export interface NdjsonParseResult {
  events: InspectorEvent[];
  /** Lines that could not be read (1-based), each with the reason. Good lines are kept. */
  errors: Array<{ line: number; message: string }>;
}

/** Reads NDJSON (LF or CRLF, blank lines and a leading BOM ignored). Never throws: bad lines are reported, good ones kept. */
export function parseNdjson(text: string): NdjsonParseResult {
  const events: InspectorEvent[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  const lines = stripBom(text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      errors.push({ line: i + 1, message: `not JSON (${(err as Error).message})` });
      continue;
    }
    const problem = checkJsonEvent(v);
    if (problem) {
      errors.push({ line: i + 1, message: problem });
      continue;
    }
    events.push(fromJsonEvent(v as JsonEvent));
  }
  return { events, errors };
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'headers';

/** Fields each event type must have, so nothing downstream (stats, log, HAR) meets a half event. */
const REQUIRED: Record<InspectorEventType, Array<[string, FieldKind]>> = {
  session: [['transport', 'string'], ['url', 'string'], ['wallStart', 'number'], ['options', 'object']],
  state: [['state', 'string'], ['previous', 'string']],
  request: [['requestId', 'number'], ['purpose', 'string'], ['method', 'string'], ['url', 'string'], ['headers', 'headers'], ['headerBytes', 'number'], ['bodyBytes', 'number']],
  response: [['requestId', 'number'], ['status', 'number'], ['statusText', 'string'], ['httpVersion', 'string'], ['headers', 'headers'], ['headerBytes', 'number']],
  timing: [['requestId', 'number'], ['total', 'number'], ['reusedSocket', 'boolean']],
  message: [['direction', 'string'], ['size', 'number'], ['binary', 'boolean'], ['data', 'string']],
  comment: [['text', 'string']],
  retry: [['raw', 'string']],
  ping: [['direction', 'string'], ['size', 'number'], ['data', 'string']],
  pong: [['direction', 'string'], ['size', 'number'], ['data', 'string']],
  close: [['code', 'number'], ['reason', 'string'], ['by', 'string'], ['wasClean', 'boolean']],
  reconnect: [['attempt', 'number'], ['delayMs', 'number'], ['reason', 'string']],
  poll: [['requestId', 'number'], ['outcome', 'string'], ['reason', 'string']],
  auth: [['method', 'string'], ['carrier', 'string'], ['value', 'string']],
  redirect: [['requestId', 'number'], ['status', 'number'], ['from', 'string'], ['to', 'string'], ['crossOrigin', 'boolean'], ['followed', 'boolean'], ['stripped', 'array']],
  error: [['message', 'string'], ['code', 'string'], ['fatal', 'boolean']],
  info: [['message', 'string']],
};

const ENUMS: Partial<Record<InspectorEventType, Record<string, readonly string[]>>> = {
  session: { transport: TRANSPORT_KINDS },
  state: { state: ['connecting', 'open', 'closing', 'closed'], previous: ['connecting', 'open', 'closing', 'closed'] },
  message: { direction: ['in', 'out'] },
  ping: { direction: ['in', 'out'] },
  pong: { direction: ['in', 'out'] },
  close: { by: ['client', 'server', 'network'] },
  poll: { outcome: ['data', 'unchanged', 'error', 'timeout'] },
};

/** Why `v` is not a JSON event (the form `toJsonEvent` writes), or undefined when it is one. */
export function checkJsonEvent(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `not an event object (got ${describe(v)})`;
  const o = v as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string') return 'not an event: no "type" field';
  if (!Object.prototype.hasOwnProperty.call(REQUIRED, type)) return `unknown event type ${JSON.stringify(type)}`;
  const t = type as InspectorEventType;
  if (typeof o.seq !== 'number' || !Number.isInteger(o.seq) || o.seq < 0) return `${t} event: "seq" must be a whole number ≥ 0 (got ${describe(o.seq)})`;
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) return `${t} event: "t" must be a number of milliseconds (got ${describe(o.t)})`;
  for (const [field, kind] of REQUIRED[t]) {
    const problem = checkField(o[field], kind);
    if (problem) return `${t} event: "${field}" ${problem}`;
  }
  for (const [field, allowed] of Object.entries(ENUMS[t] ?? {})) {
    if (!allowed.includes(o[field] as string)) return `${t} event: "${field}" must be one of ${allowed.join(', ')} (got ${describe(o[field])})`;
  }
  if (t === 'message' || t === 'ping' || t === 'pong') {
    const enc = o.encoding;
    if (enc !== undefined && enc !== 'base64') return `${t} event: "encoding" must be "base64" when present (got ${describe(enc)})`;
    if ((t !== 'message' || enc === 'base64') && !/^[A-Za-z0-9+/]*={0,2}$/.test(o.data as string)) return `${t} event: "data" is not base64`;
    if (t !== 'message' && enc !== 'base64') return `${t} event: "encoding" must be "base64"`;
  }
  return undefined;
}

function checkField(v: unknown, kind: FieldKind): string | undefined {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? undefined : `must be a string (got ${describe(v)})`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `must be a number (got ${describe(v)})`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `must be true or false (got ${describe(v)})`;
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `must be an object (got ${describe(v)})`;
    case 'array':
      return Array.isArray(v) ? undefined : `must be a list (got ${describe(v)})`;
    case 'headers':
      return Array.isArray(v) && v.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')
        ? undefined
        : 'must be a list of [name, value] string pairs';
  }
}

/** A short description of a JSON value for an error message. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 39) + '…' : v);
  return String(v);
}

/** Warnings about the event stream itself: no session event first, seq going backwards. */
export function streamWarnings(events: InspectorEvent[]): string[] {
  const out: string[] = [];
  if (events.length && events[0].type !== 'session') out.push(`The recording does not start with a "session" event (first is "${events[0].type}" with seq ${events[0].seq}): it may have been cut, or the log had dropped its oldest events.`);
  let backwards = 0;
  for (let i = 1; i < events.length; i++) if (events[i].seq <= events[i - 1].seq) backwards++;
  if (backwards) out.push(`${backwards} event${backwards === 1 ? '' : 's'} out of seq order (seq not increasing): the file may join several recordings.`);
  const first = events[0]?.seq ?? 0;
  const last = events[events.length - 1]?.seq ?? 0;
  const missing = backwards === 0 ? last - first + 1 - events.length : 0;
  if (missing > 0) out.push(`${missing} event${missing === 1 ? ' is' : 's are'} missing between seq ${first} and ${last} (dropped from the log, or lines were left out).`);
  return out;
}

/** The session facts a recording states in its first `session` event. */
export function sessionFacts(events: InspectorEvent[]): { transport: TransportKind; url: string; wallStart: number } | undefined {
  const s = events.find((e) => e.type === 'session');
  return s && s.type === 'session' ? { transport: s.transport, url: s.url, wallStart: s.wallStart } : undefined;
}
