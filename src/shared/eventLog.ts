import type { InspectorEvent } from './events';

/** Bytes charged per event on top of its payload: the event object, its fields and the ring slot. */
export const EVENT_BASE_BYTES = 256;

/** Payload bytes an event holds (messages and ping/pong keep theirs by reference). */
function payloadBytes(ev: InspectorEvent): number {
  return ev.type === 'message' || ev.type === 'ping' || ev.type === 'pong' ? ev.size : 0;
}

/**
 * Bounded log of events: a ring buffer with a fixed cap on the number of events AND a
 * budget in bytes (payloads plus a per-event estimate), so 100,000 events of 1 MiB cannot
 * hold 100 GB. When either is exceeded the oldest events are dropped and counted; the
 * newest event is always kept. Events are addressed by their `seq`, which never changes, so
 * a reader holding seq numbers can tell which ones are gone.
 *
 * push() is on the receive hot path: one array store and a few integer updates.
 */
export class EventLog {
  private readonly ring: Array<InspectorEvent | undefined>;
  private head = 0; // index of the oldest kept event
  private count = 0;
  private _dropped = 0;
  private _total = 0;
  private _bytes = 0;

  constructor(
    readonly cap: number = 100_000,
    readonly maxBytes: number = 512 * 1024 * 1024,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`log cap must be a positive integer, got ${cap}`);
    if (!(maxBytes > 0)) throw new RangeError(`log byte budget must be positive, got ${maxBytes}`);
    this.ring = new Array(cap);
  }

  push(ev: InspectorEvent): void {
    if (this.count === this.cap) this.dropOldest();
    this.ring[(this.head + this.count) % this.cap] = ev;
    this.count++;
    this._total++;
    this._bytes += EVENT_BASE_BYTES + payloadBytes(ev);
    while (this._bytes > this.maxBytes && this.count > 1) this.dropOldest();
  }

  private dropOldest(): void {
    const old = this.ring[this.head]!;
    this._bytes -= EVENT_BASE_BYTES + payloadBytes(old);
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.cap;
    this.count--;
    this._dropped++;
  }

  /** Estimated bytes the kept events hold (payloads plus EVENT_BASE_BYTES each). */
  get bytes(): number {
    return this._bytes;
  }

  /** Events kept now. */
  get size(): number {
    return this.count;
  }
  /** Events dropped because the cap or the byte budget was reached. */
  get dropped(): number {
    return this._dropped;
  }
  /** Events ever pushed. */
  get total(): number {
    return this._total;
  }
  /** seq of the oldest kept event (== dropped when seq starts at 0 and is dense). */
  get firstSeq(): number {
    return this.count ? this.at(0)!.seq : this._total;
  }

  /** i-th kept event, 0 = oldest. */
  at(i: number): InspectorEvent | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.ring[(this.head + i) % this.cap];
  }

  /** Event by seq, if still kept. Assumes seq numbers pushed in increasing, dense order. */
  bySeq(seq: number): InspectorEvent | undefined {
    const first = this.firstSeq;
    const ev = this.at(seq - first);
    return ev && ev.seq === seq ? ev : undefined;
  }

  /** Kept events with index in [from, to). */
  slice(from = 0, to = this.count): InspectorEvent[] {
    const out: InspectorEvent[] = [];
    const end = Math.min(to, this.count);
    for (let i = Math.max(0, from); i < end; i++) out.push(this.ring[(this.head + i) % this.cap]!);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<InspectorEvent> {
    for (let i = 0; i < this.count; i++) yield this.ring[(this.head + i) % this.cap]!;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this._bytes = 0;
  }
}
