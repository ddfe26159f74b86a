/**
 * The demo server's single message feed: a ticker, a bounded history for cursors and
 * SSE resume, and a fan-out to whatever transports subscribed. Every message is
 * serialized once; all transports send the same string.
 */

export type FeedKind = 'tick' | 'send';

/** One published message. `json` is exactly what goes on the wire. */
export interface FeedMessage {
  readonly seq: number;
  readonly ts: number;
  readonly kind: FeedKind;
  readonly json: string;
}

/** How many past messages stay available for long-poll cursors and Last-Event-ID replay. */
export const HISTORY_SIZE = 1000;

/** Highest payload size accepted; a demo tick bigger than this is a typo, not a test. */
export const MAX_PAYLOAD_SIZE = 64 * 1024 * 1024;

/** Timers fire at most this often; faster rates publish several ticks per firing. */
const MIN_TIMER_MS = 4;
/** After a stall (debugger, busy loop) publish at most this many catch-up ticks at once. */
const MAX_TICKS_PER_FIRING = 1000;

const PAD_PATTERN = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class Feed {
  /** Slot `seq % HISTORY_SIZE`; seqs are contiguous, so the window is [seq - size + 1, seq]. */
  private readonly ring: Array<FeedMessage | undefined> = new Array<FeedMessage | undefined>(HISTORY_SIZE);
  private lastSeq = 0;
  private readonly listeners = new Set<(m: FeedMessage) => void>();
  private timer: NodeJS.Timeout | undefined;
  private rate = 0;
  private owed = 0;
  private lastFire = 0;
  private padding = '';
  private payloadSize = 0;
  /** Messages the ticker published. */
  ticks = 0;
  /** All messages published (ticks and sends). */
  published = 0;

  constructor(rate: number, payloadSize: number) {
    this.setPayloadSize(payloadSize);
    this.setRate(rate);
  }

  get seq(): number {
    return this.lastSeq;
  }

  get latest(): FeedMessage | undefined {
    return this.ring[this.lastSeq % HISTORY_SIZE];
  }

  /** Messages with seq > cursor still in the history, and how many newer ones fell out of it. */
  after(cursor: number): { messages: FeedMessage[]; missed: number } {
    const oldest = Math.max(1, this.lastSeq - HISTORY_SIZE + 1);
    const from = Math.max(cursor + 1, oldest);
    const messages: FeedMessage[] = [];
    for (let s = from; s <= this.lastSeq; s++) {
      const m = this.ring[s % HISTORY_SIZE];
      if (m) messages.push(m);
    }
    return { messages, missed: Math.max(0, Math.min(oldest, this.lastSeq + 1) - (cursor + 1)) };
  }

  subscribe(listener: (m: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes a `send` message carrying arbitrary JSON-serializable data. */
  publishData(data: unknown): FeedMessage {
    const seq = this.lastSeq + 1;
    const ts = Date.now();
    // Throws for BigInt / cycles before any state changes: the caller passed bad data.
    const json = JSON.stringify({ seq, ts, kind: 'send', data: data === undefined ? null : data });
    return this.push({ seq, ts, kind: 'send', json });
  }

  publishTick(): FeedMessage {
    const seq = this.lastSeq + 1;
    const ts = Date.now();
    const head = `{"seq":${seq},"ts":${ts},"kind":"tick","data":"`;
    const pad = Math.max(0, this.payloadSize - head.length - 2);
    this.ticks++;
    return this.push({ seq, ts, kind: 'tick', json: `${head}${this.padding.slice(0, pad)}"}` });
  }

  setRate(ticksPerSecond: number): void {
    if (typeof ticksPerSecond !== 'number' || !Number.isFinite(ticksPerSecond) || ticksPerSecond < 0) {
      throw new RangeError(`The tick rate must be a number of ticks per second, 0 or more (0 pauses); got ${String(ticksPerSecond)}.`);
    }
    this.rate = ticksPerSecond;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.owed = 0;
    if (ticksPerSecond === 0) return;
    this.lastFire = performance.now();
    // Count owed ticks from elapsed time so the average rate holds despite timer jitter.
    this.timer = setInterval(() => this.fire(), Math.max(MIN_TIMER_MS, 1000 / ticksPerSecond));
  }

  setPayloadSize(bytes: number): void {
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > MAX_PAYLOAD_SIZE) {
      throw new RangeError(`The payload size must be a whole number of bytes between 0 and ${MAX_PAYLOAD_SIZE}; got ${String(bytes)}.`);
    }
    this.payloadSize = bytes;
    if (this.padding.length < bytes) this.padding = PAD_PATTERN.repeat(Math.ceil(bytes / PAD_PATTERN.length));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private fire(): void {
    const now = performance.now();
    this.owed += ((now - this.lastFire) * this.rate) / 1000;
    this.lastFire = now;
    // Timers start from libuv's cached loop time, so a firing can land a hair before a full
    // period has passed on performance.now(); the slack keeps that from slipping a whole tick.
    let n = Math.floor(this.owed + 0.25);
    this.owed -= n;
    if (n > MAX_TICKS_PER_FIRING) {
      n = MAX_TICKS_PER_FIRING;
      this.owed = 0;
    }
    for (let i = 0; i < n && this.timer; i++) this.publishTick();
  }

  private push(m: FeedMessage): FeedMessage {
    this.lastSeq = m.seq;
    this.ring[m.seq % HISTORY_SIZE] = m;
    this.published++;
    for (const l of this.listeners) {
      try {
        l(m);
      } catch {
        // One failing subscriber (a socket that died mid-write) must not starve the others.
      }
    }
    return m;
  }
}
