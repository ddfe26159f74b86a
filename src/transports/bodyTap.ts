import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Reads a streamed response body straight from the socket, past node:http's per-chunk path.
 *
 * node:http hands every HTTP chunk of a body to JS on its own (llhttp callback, a copy,
 * IncomingMessage.push, the Readable machinery, a 'data' event): for an event stream with one
 * small event per chunk that cost more than the events themselves. A tap sits in front of the
 * request's parser (its `execute`, which node's socket 'data' handler calls with each read):
 *
 * - Until the response head is complete it gives node the bytes up to the end of the head
 *   (the first CRLF CRLF) and nothing after, so node parses and logs the status line and
 *   headers exactly as before, and no body byte has been consumed when the response fires.
 *   1xx heads pass through the same way.
 * - If the caller accepts the response (an event stream) and its body is chunked or runs to
 *   the connection's close, the tap keeps every later byte: it de-chunks the body itself
 *   (extensions skipped, framing bytes counted) and delivers each read's payload in one piece.
 *   The last chunk (and its trailers) is given back to node, which ends the response as it
 *   always did (keep-alive included); a close-delimited body is ended by node at the socket's end.
 * - Anything else (a Content-Length body, another status, a head the tap cannot find) is left
 *   to node entirely: the tap removes itself and node reads the body as usual.
 *
 * Malformed chunk framing ends the response: the sink gets a descriptive error, and node sees
 * the same error as a parse error of its own (the socket is destroyed).
 */

interface Parser {
  execute(d: Buffer): number | Error;
  socket: Socket | null;
}

export interface BodySink {
  /**
   * Payload bytes of the body. The first `markCount` entries of `marks` are [offset, bytes, ...]:
   * chunked-encoding framing of `bytes` bytes (the size line and the CRLF after the data)
   * carried the payload starting at `offset`. Both are only valid during the call.
   */
  data(body: Buffer, marks: readonly number[], markCount: number): void;
  /** The body's framing is malformed; the socket is being destroyed. */
  error(err: Error): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
const NO_MARKS: readonly number[] = Object.freeze([]);
const CR = 13;
const LF = 10;
/** Longest chunk size line (size, extensions, CRLF) accepted. */
const MAX_SIZE_LINE = 8 * 1024;
/** Largest chunk size accepted: 2^52, so the size stays an exact integer. */
const MAX_CHUNK_SIZE = 2 ** 52;

const enum St {
  Size,
  Ext,
  SizeLF,
  Data,
  DataCR,
  DataLF,
}

export class BodyTap {
  /**
   * True once the tap owns the body. Set when node's parser returns from the read holding the
   * end of the head, i.e. after node's 'response' listeners ran: read it once httpRequest has
   * resolved, never inside a 'response' listener (it would still be false there).
   */
  taken = false;
  /** Framing bytes de-chunked so far (size lines and CRLFs of data chunks; the last chunk is node's). */
  framingBytes = 0;
  private mode: 'head' | 'chunked' | 'raw' | 'off' = 'head';
  private readonly parser: Parser;
  private readonly orig: (d: Buffer) => number | Error;
  /** Up to 3 bytes ending the previous read of the head, to find a CRLF CRLF split across reads. */
  private headTail = EMPTY;
  private sink?: BodySink;
  private queue: { body: Buffer; marks: number[] }[] = [];
  /** Entries of `marks` in use: the array keeps its length (setting it to 0 would free and regrow its store every read). */
  private markCount = 0;
  private queuedError?: Error;
  // Chunked decoder.
  private st = St.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private chunkFraming = 0;
  private firstPiece = false;
  /** Bytes of the current size line seen in earlier reads (kept to give the last chunk back to node). */
  private held = EMPTY;
  private readonly marks: number[] = [];

  constructor(
    private readonly req: ClientRequest,
    private readonly socket: Socket,
    private readonly accept: (res: IncomingMessage) => boolean,
  ) {
    this.parser = (socket as unknown as { parser: Parser }).parser;
    this.orig = this.parser?.execute;
    if (typeof this.orig !== 'function') {
      // Not the node:http client this was written against: node reads the body.
      this.mode = 'off';
      return;
    }
    this.parser.execute = this.execute;
    // node frees (and pools) the parser on these; the tap must be gone first.
    socket.prependListener('end', this.unwrap);
    socket.prependListener('close', this.unwrap);
  }

  /** The malformed framing that ended the body, if it did. */
  get error(): Error | undefined {
    return this.queuedError;
  }

  /** Starts delivering to `sink`: what arrived before is delivered at once. */
  start(sink: BodySink): void {
    this.sink = sink;
    const q = this.queue;
    this.queue = [];
    for (const { body, marks } of q) sink.data(body, marks, marks.length);
    if (this.queuedError) sink.error(this.queuedError);
  }

  private readonly unwrap = (): void => {
    if (this.mode !== 'off') this.mode = 'off';
    if (Object.prototype.hasOwnProperty.call(this.parser, 'execute') && this.parser.execute === this.execute) delete (this.parser as Partial<Parser>).execute;
    this.socket.removeListener('end', this.unwrap);
    this.socket.removeListener('close', this.unwrap);
  };

  private readonly execute = (d: Buffer): number | Error => {
    const parser = this.parser;
    if (parser.socket !== this.socket || this.mode === 'off') {
      this.unwrap();
      return this.orig.call(parser, d);
    }
    if (this.mode === 'chunked') return this.chunked(d, 0);
    if (this.mode === 'raw') {
      this.deliver(d, NO_MARKS, 0);
      return d.length;
    }
    return this.head(d);
  };

  private head(d: Buffer): number | Error {
    let off = 0;
    for (;;) {
      const tail = this.headTail;
      const rest = d.subarray(off);
      const buf = tail.length ? Buffer.concat([tail, rest]) : rest;
      const k = buf.indexOf(CRLFCRLF);
      if (k < 0) {
        this.headTail = Buffer.from(buf.subarray(Math.max(0, buf.length - 3)));
        const r = this.orig.call(this.parser, rest);
        // node found a head the tap did not (it should not happen): node keeps the body.
        if (r instanceof Error || (this.req as ClientRequest & { res?: IncomingMessage }).res) this.unwrap();
        return r;
      }
      const end = off + k + 4 - tail.length;
      this.headTail = EMPTY;
      const r = this.orig.call(this.parser, d.subarray(off, end));
      if (r instanceof Error) {
        this.unwrap();
        return r;
      }
      const res = (this.req as ClientRequest & { res?: IncomingMessage }).res;
      if (!res) {
        // A 1xx head (or a head still incomplete for node): go on with the next one.
        off = end;
        if (off >= d.length) return r;
        continue;
      }
      const mode = this.accept(res) ? bodyMode(res, this.req.method) : 'off';
      if (mode === 'off') {
        this.unwrap();
        return end < d.length ? this.orig.call(this.parser, d.subarray(end)) : r;
      }
      this.mode = mode;
      this.taken = true;
      if (end >= d.length) return d.length;
      if (mode === 'raw') {
        this.deliver(d.subarray(end), NO_MARKS, 0);
        return d.length;
      }
      return this.chunked(d, end);
    }
  }

  /** De-chunks d[from..]: one delivery per read. */
  private chunked(d: Buffer, from: number): number | Error {
    const n = d.length;
    let total = 0;
    let i = from;
    // Where the current size line starts in d (for the last chunk, given back to node).
    let lineStart = from;
    while (i < n) {
      switch (this.st) {
        case St.Data: {
          const take = Math.min(this.remaining, n - i);
          if (this.firstPiece) {
            this.firstPiece = false;
            const m = this.markCount;
            this.marks[m] = total;
            this.marks[m + 1] = this.chunkFraming;
            this.markCount = m + 2;
          }
          // The payload is moved down over the framing, in the read's own buffer (only the tap reads it): no copy, no view per chunk.
          if (i !== from + total) d.copyWithin(from + total, i, i + take);
          total += take;
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.st = St.DataCR;
          break;
        }
        case St.DataCR:
          if (d[i] !== CR) return this.fail(d, from, total, 'no CRLF after the chunk data');
          i++;
          this.st = St.DataLF;
          break;
        case St.DataLF:
          if (d[i] !== LF) return this.fail(d, from, total, 'no CRLF after the chunk data');
          i++;
          this.st = St.Size;
          lineStart = i;
          this.held = EMPTY;
          this.size = 0;
          this.digits = 0;
          break;
        case St.Size: {
          const c = d[i];
          const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
          if (v >= 0) {
            // By value, not digit count: node accepts zero-padded sizes (00000000000005).
            this.digits++;
            this.size = this.size * 16 + v;
            if (this.size > MAX_CHUNK_SIZE) return this.fail(d, from, total, 'a chunk size too large');
            i++;
          } else if (this.digits > 0 && (c === CR || c === 0x3b)) {
            this.st = c === CR ? St.SizeLF : St.Ext;
            i++;
          } else {
            return this.fail(d, from, total, `invalid character ${describeByte(c)} in a chunk size`);
          }
          break;
        }
        case St.Ext: {
          let j = i;
          while (j < n && d[j] !== CR && d[j] !== LF) j++;
          if (this.held.length + (j - lineStart) > MAX_SIZE_LINE) return this.fail(d, from, total, `a chunk size line longer than ${MAX_SIZE_LINE} bytes`);
          if (j < n && d[j] === LF) return this.fail(d, from, total, 'a chunk extension ended by LF without CR');
          i = j < n ? j + 1 : n;
          if (j < n) this.st = St.SizeLF;
          break;
        }
        case St.SizeLF: {
          if (d[i] !== LF) return this.fail(d, from, total, 'no LF after CR in a chunk size line');
          i++;
          const lineBytes = this.held.length + (i - lineStart);
          if (this.size === 0) {
            // The last chunk: it, the trailers and the final CRLF are node's, which ends the response.
            const back = this.held.length ? Buffer.concat([this.held, d.subarray(lineStart)]) : d.subarray(lineStart);
            this.held = EMPTY;
            // (The payload was moved down over framing before lineStart: `back` is untouched.)
            this.flush(d, from, total);
            this.unwrap();
            return this.orig.call(this.parser, back);
          }
          this.chunkFraming = lineBytes + 2;
          this.framingBytes += lineBytes + 2;
          this.remaining = this.size;
          this.firstPiece = true;
          this.st = St.Data;
          break;
        }
      }
    }
    if (this.st === St.Size || this.st === St.Ext || this.st === St.SizeLF) {
      // A size line continues in the next read: keep its bytes (short; bounded by MAX_SIZE_LINE).
      if (lineStart < n) this.held = this.held.length ? Buffer.concat([this.held, d.subarray(lineStart)]) : Buffer.from(d.subarray(lineStart));
      if (this.held.length > MAX_SIZE_LINE) return this.fail(d, from, total, `a chunk size line longer than ${MAX_SIZE_LINE} bytes`);
    }
    this.flush(d, from, total);
    return n;
  }

  /** Delivers the payload of this read, d[from, from + total) once moved together. */
  private flush(d: Buffer, from: number, total: number): void {
    if (total > 0) this.deliver(from === 0 && total === d.length ? d : d.subarray(from, from + total), this.marks, this.markCount);
    this.markCount = 0;
  }

  private deliver(body: Buffer, marks: readonly number[], markCount: number): void {
    if (this.sink) this.sink.data(body, marks, markCount);
    else this.queue.push({ body, marks: marks.slice(0, markCount) });
  }

  /** Malformed framing: the payload before it is delivered, then the error; node destroys the socket on the returned error. */
  private fail(d: Buffer, from: number, total: number, what: string): Error {
    this.flush(d, from, total);
    const e = new Error(`The server's chunked response body is malformed: ${what}.`) as NodeJS.ErrnoException & { rawPacket?: Buffer };
    e.code = 'BAD_CHUNKED_ENCODING';
    this.unwrap();
    this.queuedError = e;
    this.sink?.error(e);
    return e;
  }
}

/** How the tap reads an accepted response's body, or 'off' to leave it to node. */
function bodyMode(res: IncomingMessage, method: string): 'chunked' | 'raw' | 'off' {
  const te = res.headers['transfer-encoding'];
  const cl = res.headers['content-length'];
  // Chunked only as HTTP/1.1 defines it (one coding, no Content-Length); anything else is node's to judge.
  if (te !== undefined) return cl === undefined && res.httpVersion === '1.1' && te.trim().toLowerCase() === 'chunked' ? 'chunked' : 'off';
  if (cl !== undefined) return 'off';
  const status = res.statusCode ?? 0;
  if (status < 200 || status === 204 || status === 304 || method === 'HEAD') return 'off';
  return 'raw';
}

function describeByte(c: number): string {
  return c >= 0x21 && c <= 0x7e ? JSON.stringify(String.fromCharCode(c)) : `0x${c.toString(16).padStart(2, '0')}`;
}
