import type { InspectorEvent } from './events';

/**
 * Bounded log of events: a ring buffer with a fixed cap. When full, the oldest event is
 * dropped and counted. Events are addressed by their `seq`, which never changes, so a
 * reader holding seq numbers can tell which ones are gone.
 *
 * push() is on the receive hot path: one array store and two integer updates.
 */
export class EventLog {
  private readonly ring: Array<InspectorEvent | undefined>;
  private head = 0; // index of the oldest kept event
  private count = 0;
  private _dropped = 0;
  private _total = 0;

  constructor(readonly cap: number = 100_000) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`log cap must be a positive integer, got ${cap}`);
    this.ring = new Array(cap);
  }

  push(ev: InspectorEvent): void {
    if (this.count < this.cap) {
      this.ring[(this.head + this.count) % this.cap] = ev;
      this.count++;
    } else {
      this.ring[this.head] = ev;
      this.head = (this.head + 1) % this.cap;
      this._dropped++;
    }
    this._total++;
  }

  /** Events kept now. */
  get size(): number {
    return this.count;
  }
  /** Events dropped because the cap was reached. */
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
  }
}
