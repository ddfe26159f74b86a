import { harToRecording, looksLikeHar } from './har';
import type { InspectorEvent, TransportKind } from './events';
import { ImportError, checkJsonEvent, parseNdjson, sessionFacts, streamWarnings, stripBom, type ImportedRecording } from './recording';

/**
 * Opens a recording file: a HAR (ours, exact; or another tool's, rebuilt) or NDJSON
 * (`connect --json` output, our NDJSON export). The format is told from the content; the
 * file name only breaks a tie. Throws only ImportError, with a message that says what is
 * wrong with the file.
 */
export function importRecording(text: string, fileName?: string): ImportedRecording {
  try {
    return importUnchecked(text, fileName);
  } catch (err) {
    if (err instanceof ImportError) throw err;
    // A bug in a reader must still reach the user as a readable sentence, not a stack trace.
    throw new ImportError(`The file could not be read: ${err instanceof Error ? err.message : String(err)}.`);
  }
}

function importUnchecked(text: string, fileName?: string): ImportedRecording {
  if (typeof text !== 'string') throw new ImportError('Nothing to import: expected the text of a file.');
  const body = stripBom(text);
  const name = fileName ? ` ${JSON.stringify(fileName)}` : '';
  if (body.trim() === '') throw new ImportError(`The file${name} is empty.`);
  const trimmed = body.trimStart();
  const byName = /\.har$/i.test(fileName ?? '') ? 'har' : /\.(ndjson|jsonl)$/i.test(fileName ?? '') ? 'ndjson' : undefined;

  // A whole-file JSON document is a HAR (or a one-event NDJSON file).
  if (trimmed.startsWith('{') && byName !== 'ndjson') {
    let whole: unknown;
    let parseError: Error | undefined;
    try {
      whole = JSON.parse(body);
    } catch (err) {
      parseError = err as Error;
    }
    if (!parseError) {
      if (looksLikeHar(whole)) return harToRecording(whole, fileName);
      if (checkJsonEvent(whole) === undefined) return fromNdjson(body, fileName);
      if (byName === 'har') return harToRecording(whole, fileName);
      throw new ImportError(`The file${name} is JSON but neither a HAR (no "log" object) nor a recorded event (${checkJsonEvent(whole)}).`);
    }
    // Not one JSON document: NDJSON has one per line; anything else is a broken HAR.
    const firstLine = trimmed.split('\n', 1)[0].trim();
    let firstIsJson = false;
    try {
      JSON.parse(firstLine);
      firstIsJson = true;
    } catch {
      /* not NDJSON either */
    }
    if (!firstIsJson || byName === 'har') {
      throw new ImportError(`The file${name} is not valid JSON, so it is neither a HAR nor NDJSON: ${parseError.message}.`);
    }
  } else if (byName === 'har') {
    throw new ImportError(`The file${name} is not a HAR: a HAR is a JSON object starting with "{".`);
  }
  return fromNdjson(body, fileName);
}

function fromNdjson(text: string, fileName?: string): ImportedRecording {
  const { events, errors } = parseNdjson(text);
  const name = fileName ? ` ${JSON.stringify(fileName)}` : '';
  if (events.length === 0) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more bad line${errors.length === 2 ? '' : 's'})` : '';
    throw new ImportError(
      first ? `The file${name} holds no readable event: line ${first.line}: ${first.message}${more}.` : `The file${name} holds no events.`,
      first ? `line ${first.line}` : undefined,
    );
  }
  const warnings: string[] = [];
  if (errors.length) {
    const shown = errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`);
    warnings.push(`${errors.length} line${errors.length === 1 ? '' : 's'} could not be read and ${errors.length === 1 ? 'was' : 'were'} left out — ${shown.join('; ')}${errors.length > 5 ? '; …' : ''}.`);
  }
  warnings.push(...streamWarnings(events));
  const facts = sessionFacts(events) ?? guessFacts(events, warnings);
  return {
    events,
    meta: { format: 'ndjson', origin: 'realtime-inspector', transport: facts.transport, url: facts.url, wallStart: facts.wallStart, fileName },
    warnings,
  };
}

/** Without the session event (a log that dropped its oldest events), the requests still tell the transport and URL. */
function guessFacts(events: InspectorEvent[], warnings: string[]): { transport: TransportKind; url: string; wallStart: number } {
  let transport: TransportKind | undefined;
  let url = '';
  for (const e of events) {
    if (e.type !== 'request') continue;
    const t: TransportKind | undefined = e.purpose === 'upgrade' ? 'ws' : e.purpose === 'sse' ? 'sse' : e.purpose === 'long-poll' ? 'long-poll' : e.purpose === 'poll' ? 'poll' : undefined;
    if (t) {
      transport = t;
      url = e.url;
      break;
    }
  }
  if (!transport) {
    transport = events.some((e) => e.type === 'message' && e.opcode !== undefined) ? 'ws' : events.some((e) => e.type === 'message' && e.sse) ? 'sse' : 'poll';
  }
  warnings.push(`No "session" event: the transport (${transport}) was inferred from the other events, and wall-clock times are unknown (times are shown from the start of the file).`);
  return { transport, url, wallStart: 0 };
}
