import { createParser, type EventSourceMessage, type EventSourceParser, type ParseError } from 'eventsource-parser';

/**
 * The raw-field view of an event stream: bytes in, WHATWG fields out, with exact wire byte
 * counts. Pure (no I/O, no clock), so the chunking rules are unit-tested on fixtures.
 *
 * Split of work: this class scans the bytes for line ends (CR, LF, CRLF, a CR ending one chunk
 * and its LF starting the next, the leading BOM), enforces the limits before anything is
 * decoded, and counts each event's bytes. The run of whole lines in a chunk is then decoded
 * once and fed to eventsource-parser, which owns the field rules (data/event/id/retry,
 * comments, dispatch). The byte scan predicts, in order, which blank lines dispatch (the block
 * had a data line, the same test the parser makes), so each onEvent takes the next entry.
 */

export interface SseStreamHandlers {
  /**
   * One dispatched event. `size` is the payload's bytes on the wire (UTF-8 of `data`);
   * `overheadBytes` is every other byte of its block: field names, colons, the optional
   * space, id/event/retry lines, comments inside the block and all line endings.
   */
  onEvent(data: string, event: string | undefined, id: string | undefined, retry: number | undefined, size: number, overheadBytes: number): void;
  onComment(text: string): void;
  /** A `retry` field: the raw value and its number, or undefined when it is not all ASCII digits (the spec ignores it). */
  onRetry(raw: string, value: number | undefined): void;
  /** A field the spec does not know (ignored by the spec; shown because an inspector should). */
  onUnknownField?(name: string): void;
  /** A limit was passed; the inspector stops until reset(). `line`: one line; `event`: the data of one event. */
  onLimit(kind: 'line' | 'event', limit: number): void;
}

export interface StreamEnd {
  /** Bytes received after the last complete event that were never dispatched (the spec drops them). */
  discardedBytes: number;
  /** True when those bytes held data lines or an unfinished line, i.e. an event was cut off. */
  incompleteEvent: boolean;
}

const LF = 10;
const CR = 13;
const EMPTY = Buffer.alloc(0);
const DIGITS = /^\d+$/;

export class SseStreamInspector {
  private parser: EventSourceParser;
  private readonly maxLineBytes: number;
  /** Bytes of a line that has not ended yet, kept as pieces so a long line is joined once. */
  private pieces: Buffer[] = [];
  private pendingLen = 0;
  /** The previous chunk ended with CR: an LF starting the next chunk belongs to it. */
  private skipLF = false;
  /**
   * Bytes a CR at the end of a chunk was counted as, beyond itself (1 = assumed CRLF), and the
   * line-ending style seen last: the guess follows the stream's own style, so an event's byte
   * count does not depend on where TCP split it; a wrong guess is corrected on the next block.
   */
  private crGuess = 0;
  private crlfStyle = true;
  /** Up to two leading bytes that might still turn out to be a BOM. */
  private bomHold: Buffer | undefined = EMPTY;
  /** Per event block (lines since the last blank line). */
  private blockBytes = 0;
  private dataBytes = 0;
  private dataLines = 0;
  private blockRetry = -1;
  /** Dispatches predicted by the byte scan, consumed by onEvent: [size, overhead, retry or -1] per event. Reused, never shrunk. */
  private readonly dispatches: number[] = [];
  private dispatchHead = 0;
  /** End of the predicted entries: the array keeps its length (setting it to 0 would free and regrow its store every chunk). */
  private dispatchTail = 0;
  /** Raw values of retry lines, consumed by the parser's retry callbacks. */
  private readonly retries: string[] = [];
  private retryHead = 0;
  private limitHit = false;

  constructor(
    private readonly handlers: SseStreamHandlers,
    opts: { maxLineBytes: number },
  ) {
    if (!Number.isInteger(opts.maxLineBytes) || opts.maxLineBytes < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${opts.maxLineBytes}`);
    this.maxLineBytes = opts.maxLineBytes;
    this.parser = this.createParser();
  }

  /** True once a limit stopped the inspector. */
  get stopped(): boolean {
    return this.limitHit;
  }

  private createParser(): EventSourceParser {
    const p = createParser({
      onEvent: (ev: EventSourceMessage) => {
        const q = this.dispatches;
        const h = this.dispatchHead;
        if (h < this.dispatchTail) {
          this.dispatchHead = h + 3;
          this.handlers.onEvent(ev.data, ev.event, ev.id, q[h + 2] < 0 ? undefined : q[h + 2], q[h], q[h + 1]);
        } else {
          // Cannot happen while the scan and the parser agree; kept so a disagreement costs accuracy, not events.
          this.handlers.onEvent(ev.data, ev.event, ev.id, undefined, Buffer.byteLength(ev.data), 0);
        }
      },
      onComment: (text: string) => this.handlers.onComment(text),
      onRetry: (value: number) => this.handlers.onRetry(this.retries[this.retryHead++] ?? String(value), value),
      onError: (err: ParseError) => {
        if (err.type === 'invalid-retry') this.handlers.onRetry(this.retries[this.retryHead++] ?? err.value ?? '', undefined);
        else if (err.type === 'unknown-field') this.handlers.onUnknownField?.(err.field ?? '');
        else if (err.type === 'max-buffer-size-exceeded') this.stop('event');
      },
      // A backstop only: the byte scan stops an event whose data passes the limit before the parser sees it.
      maxBufferSize: this.maxLineBytes,
    });
    // eventsource-parser strips a BOM from its first chunk by looking for the three bytes as
    // characters (U+00EF U+00BB U+00BF), which would eat real text; the BOM is handled on bytes here.
    p.feed('');
    return p;
  }

  /** Starts over for a new stream (a reconnect). */
  reset(): void {
    this.parser = this.createParser();
    this.pieces = [];
    this.pendingLen = 0;
    this.skipLF = false;
    this.crGuess = 0;
    this.crlfStyle = true;
    this.bomHold = EMPTY;
    this.resetBlock();
    this.dispatchHead = 0;
    this.dispatchTail = 0;
    this.retries.length = 0;
    this.retryHead = 0;
    this.limitHit = false;
  }

  /**
   * Feeds bytes as they arrived. Returns false once a limit has stopped the inspector.
   * `framing` (its first `framingCount` entries, default all: [offset, bytes, ...], offsets
   * ascending into `chunk`): transport bytes that were on the wire around this payload (HTTP
   * chunk framing); each is counted in the overhead of the event whose line holds that offset.
   */
  push(chunk: Uint8Array, framing?: readonly number[], framingCount = framing ? framing.length : 0): boolean {
    if (this.limitHit) return false;
    let b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    /** Added to a framing offset to make it an offset into `b`. */
    let shift = 0;
    if (this.bomHold !== undefined) {
      const held = this.bomHold.length;
      const head = held ? Buffer.concat([this.bomHold, b]) : b;
      if (head.length < 3 && isBomPrefix(head)) {
        this.bomHold = Buffer.from(head);
        for (let k = 1; k < framingCount; k += 2) this.blockBytes += framing![k];
        return true;
      }
      this.bomHold = undefined;
      b = head;
      shift = held;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
        this.blockBytes += 3;
        b = b.subarray(3);
        shift -= 3;
      }
    }
    let mark = framingCount > 0 ? 0 : -1;
    const n = b.length;
    const max = this.maxLineBytes;
    let i = 0;
    if (this.skipLF && n > 0) {
      this.skipLF = false;
      // A CR ended the last chunk: an LF here is the second byte of that CRLF.
      this.crlfStyle = b[0] === LF;
      if (this.crlfStyle) i = 1;
      this.blockBytes += (this.crlfStyle ? 1 : 0) - this.crGuess;
    }
    // The run of whole lines [runStart, runEnd) of this chunk, fed to the parser in one piece.
    let runStart = -1;
    let runEnd = -1;
    let cr = b.indexOf(CR, i);
    let lf = b.indexOf(LF, i);
    while (i < n) {
      // A line end right at i (the blank line ending an event) is seen without a call into indexOf.
      if (lf !== -1 && lf < i) lf = b[i] === LF ? i : b.indexOf(LF, i);
      if (cr !== -1 && cr < i) cr = b[i] === CR ? i : b.indexOf(CR, i);
      let end: number;
      let next: number;
      if (cr === -1) {
        if (lf === -1) break;
        end = lf;
        next = lf + 1;
      } else if (lf !== -1 && lf < cr) {
        end = lf;
        next = lf + 1;
      } else {
        end = cr;
        if (cr + 1 < n) {
          this.crlfStyle = b[cr + 1] === LF;
          next = this.crlfStyle ? cr + 2 : cr + 1;
        } else {
          next = n;
          this.skipLF = true;
          this.crGuess = this.crlfStyle ? 1 : 0;
        }
      }
      if (mark >= 0) {
        // Framing that arrived before this line's end belongs to this line's block.
        while (mark < framingCount && framing![mark] + shift < next) {
          this.blockBytes += framing![mark + 1];
          mark += 2;
        }
        if (mark >= framingCount) mark = -1;
      }
      if (this.pendingLen) {
        // The line began in an earlier chunk: join it (once) and feed it on its own, first.
        const total = this.pendingLen + (end - i);
        if (total > max) return this.stop('line');
        this.pieces.push(b.subarray(i, end));
        const line = Buffer.concat(this.pieces, total);
        this.pieces = [];
        this.pendingLen = 0;
        if (!this.scan(line, 0, total, next - end)) return this.stop('event');
        if (!this.feed(line.toString('utf8') + '\n')) return false;
      } else {
        if (end - i > max) return this.flush(b, runStart, runEnd) && this.stop('line');
        if (!this.scan(b, i, end, next - end)) return this.flush(b, runStart, runEnd) && this.stop('event');
        if (runStart < 0) runStart = i;
        runEnd = next;
      }
      i = next;
    }
    if (!this.flush(b, runStart, runEnd)) return false;
    if (mark >= 0) {
      // Framing inside the unfinished line: its block is the current one.
      for (; mark < framingCount; mark += 2) this.blockBytes += framing![mark + 1];
    }
    if (i < n) {
      if (this.pendingLen + (n - i) > max) return this.stop('line');
      // Copied: the caller may reuse its buffer, and a partial line is usually short.
      this.pieces.push(Buffer.from(b.subarray(i)));
      this.pendingLen += n - i;
    }
    return true;
  }

  /** The stream ended. Reports what the spec says to drop (a partial event) and resets. */
  end(): StreamEnd {
    const partial = this.pendingLen + (this.bomHold?.length ?? 0);
    const out: StreamEnd = { discardedBytes: Math.max(0, this.blockBytes + partial), incompleteEvent: this.dataLines > 0 || partial > 0 };
    this.reset();
    return out;
  }

  /** Decodes and feeds a run of whole lines. Lines are whole, so no multibyte character is cut. */
  private flush(b: Buffer, runStart: number, runEnd: number): boolean {
    if (runStart < 0) return !this.limitHit;
    // A bare CR at the end of what is fed makes the parser wait for a possible LF, holding back
    // the line (and the event) it completes: an LF is added to make it a CRLF now. The scan has
    // already decided what the CR was (an LF really following in the next chunk is skipped).
    const text = b[runEnd - 1] === CR ? b.toString('utf8', runStart, runEnd) + '\n' : b.toString('utf8', runStart, runEnd);
    return this.feed(text);
  }

  private feed(text: string): boolean {
    this.parser.feed(text);
    // Everything predicted for this text has been consumed: reuse the arrays.
    if (this.dispatchHead >= this.dispatchTail) {
      this.dispatchHead = 0;
      this.dispatchTail = 0;
    }
    if (this.retryHead >= this.retries.length) {
      this.retries.length = 0;
      this.retryHead = 0;
    }
    return !this.limitHit;
  }

  /** Accounts one complete line buf[s, e) with `term` terminator bytes. False when an event's data passes the limit. */
  private scan(buf: Buffer, s: number, e: number, term: number): boolean {
    // skipLF is set only while handling a line whose CR ended the chunk (see crGuess).
    this.blockBytes += e - s + term + (this.skipLF ? this.crGuess : 0);
    const len = e - s;
    if (len === 0) {
      // Blank line: the parser dispatches iff the block had a data line.
      if (this.dataLines > 0) {
        const q = this.dispatches;
        const t = this.dispatchTail;
        q[t] = this.dataBytes;
        q[t + 1] = this.blockBytes - this.dataBytes;
        q[t + 2] = this.blockRetry;
        this.dispatchTail = t + 3;
      }
      this.resetBlock();
      return true;
    }
    const c = buf[s];
    // "data:..." or a bare "data": the parser's own test, on bytes, to count payload bytes.
    if (c === 0x64 && len >= 4 && buf[s + 1] === 0x61 && buf[s + 2] === 0x74 && buf[s + 3] === 0x61 && (len === 4 || buf[s + 4] === 0x3a)) {
      const value = len <= 5 ? 0 : len - (buf[s + 5] === 0x20 ? 6 : 5);
      this.dataBytes += this.dataLines > 0 ? value + 1 : value;
      this.dataLines++;
      return this.dataBytes <= this.maxLineBytes;
    }
    // "retry:..." or a bare "retry": keep the raw value (the parser only reports the number).
    if (c === 0x72 && len >= 5 && buf[s + 1] === 0x65 && buf[s + 2] === 0x74 && buf[s + 3] === 0x72 && buf[s + 4] === 0x79 && (len === 5 || buf[s + 5] === 0x3a)) {
      const from = len === 5 ? e : buf[s + 6] === 0x20 ? s + 7 : s + 6;
      const raw = buf.toString('utf8', Math.min(from, e), e);
      this.retries.push(raw);
      if (DIGITS.test(raw)) this.blockRetry = parseInt(raw, 10);
    }
    return true;
  }

  private resetBlock(): void {
    this.blockBytes = 0;
    this.dataBytes = 0;
    this.dataLines = 0;
    this.blockRetry = -1;
  }

  private stop(kind: 'line' | 'event'): false {
    if (this.limitHit) return false;
    this.limitHit = true;
    this.pieces = [];
    this.pendingLen = 0;
    this.handlers.onLimit(kind, this.maxLineBytes);
    return false;
  }
}

function isBomPrefix(b: Buffer): boolean {
  return (b.length < 1 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb);
}

/** "1 MiB", "64 KiB", "300 bytes": limits as people say them. */
export function formatByteLimit(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
