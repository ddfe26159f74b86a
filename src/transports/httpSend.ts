import type { HeaderList } from '../shared/events';
import { headerValue, httpRequest, readBody } from './http';
import type { Session } from './session';

/**
 * "Send" for the HTTP transports (short polling, long polling, SSE): the client half of a
 * two-way channel is an ordinary HTTP POST to a URL the user sets. Logged as a request,
 * its response and timing, and an outgoing `message` whose overhead is the HTTP cost.
 */
export async function sendOverHttp(session: Session, sendUrl: string | undefined, data: string | Uint8Array, headers: HeaderList, opts: { binary?: boolean } = {}): Promise<void> {
  if (!sendUrl) throw new Error('No send URL set: with polling and SSE, sending is an HTTP request to a URL you choose (e.g. the demo server\'s /send).');
  let url: URL;
  try {
    url = new URL(sendUrl);
  } catch {
    throw new Error(`The send URL is not valid: ${JSON.stringify(session.redact(sendUrl))}.`);
  }
  const binary = opts.binary ?? typeof data !== 'string';
  const body = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  const h: HeaderList = [...headers];
  if (!headerValue(h, 'content-type')) h.push(['Content-Type', binary ? 'application/octet-stream' : looksLikeJson(data) ? 'application/json' : 'text/plain; charset=utf-8']);
  const ex = await httpRequest(session, {
    url,
    method: 'POST',
    headers: h,
    body,
    purpose: 'send',
    agent: undefined,
    insecure: session.options.insecure,
    headersTimeoutMs: session.options.timeoutMs ?? 10_000,
    signal: session.signal,
    redirects: session.options.redirects ?? 'same-origin',
  });
  const answer = await readBody(ex.res, 1024 * 1024);
  ex.finish();
  const logged = session.redactor.contains(typeof data === 'string' ? data : '') ? session.redact(data as string) : data;
  session.emit({
    type: 'message',
    direction: 'out',
    size,
    binary,
    data: logged,
    requestId: ex.requestId,
    redacted: logged !== data ? true : undefined,
  });
  const status = ex.res.statusCode ?? 0;
  if (ex.redirectRefused) throw new Error(`The send URL answered ${status}: ${ex.redirectRefused}`);
  if (status < 200 || status > 299) {
    throw new Error(`The send URL answered ${status} ${ex.res.statusMessage ?? ''}: ${session.redact(answer.toString('utf8', 0, 200))}`);
  }
}

function looksLikeJson(data: string | Uint8Array): boolean {
  if (typeof data !== 'string') return false;
  const s = data.trimStart();
  return s.startsWith('{') || s.startsWith('[');
}
