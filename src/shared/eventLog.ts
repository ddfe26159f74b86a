import type { InspectorEvent, MessageEvent } from './events';

/** Bytes charged per event on top of its payload: the event object, its fields and the ring slot. */
export const EVENT_BASE_BYTES = 256;

/**
 * Bytes charged per message recorded compactly (pushMessage): its slot in the typed arrays
 * (t, seq, offset, size, overhead, flags: 29 bytes) rounded up, no object.
 */
export const COMPACT_BASE_BYTES = 32;

/** Payloads up to this size are copied into the log's slabs; larger ones are kept by reference (they are their own allocation). */
export const INLINE_MAX = 64 * 1024;

/** Size of one slab the small payloads are copied into. */
const SLAB_BYTES = 1024 * 1024;

/**
 * Slabs of logs that are gone (cleared, or collected by the GC), for the next log: memory the
 * process has already touched, so a new session does not pay a page fault per 4 KiB of fresh
 * memory (on WebSocket receive that was ~1.7 µs of system time per 4 KiB message), and RSS is
 * reused instead of piling up in the C allocator. At most POOL_SLABS (32 MiB: enough for the
 * default 100,000 messages of 100 B; an idle extension host should not hold more).
 */
const POOL_SLABS = 32;
const pool: Uint8Array[] = [];
const giveBack = (slabs: Uint8Array[]): void => {
  for (const b of slabs) if (pool.length < POOL_SLABS) pool.push(b);
};
const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Uint8Array[]>(giveBack) : undefined;

/** Bytes held in the pool of reusable slabs (the benchmark subtracts them from its memory deltas). */
export function pooledSlabBytes(): number {
  return pool.length * SLAB_BYTES;
}

/** Flag bits of a compact slot. */
const F_BINARY = 1;
const F_OUT = 2;
const OPCODE_SHIFT = 4;

/** A run of copied payloads; `live` counts the kept messages whose bytes are in it. */
class Slab {
  live = 0;
  constructor(readonly bytes: Uint8Array) {}
}

/** An event object, or a compact message: its bytes in a slab, its own bytes, or its own text (large outgoing text). */
type Slot = InspectorEvent | Slab | Uint8Array | string | undefined;

const isCompact = (slot: Slot): slot is Slab | Uint8Array | string => typeof slot === 'string' || slot instanceof Slab || slot instanceof Uint8Array;

/** Buffer when running in Node (binary payloads stay Buffers, as ws hands them), Uint8Array in a browser. */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(n: number): Uint8Array; allocUnsafe(n: number): Uint8Array } }).Buffer;
const allocBytes = (n: number, slow = false): Uint8Array => (NodeBuffer ? (slow ? NodeBuffer.allocUnsafeSlow(n) : NodeBuffer.allocUnsafe(n)) : new Uint8Array(n));
// ignoreBOM: a payload starting with U+FEFF keeps it (the default decoder would drop it; Buffer.toString keeps it).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

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
 * Two ways in. push() stores an event object. pushMessage() is the receive hot path of
 * frame-based transports: no event object at all; the time, seq, size and flags go into
 * typed arrays and a small payload is copied into a 1 MiB slab (one memcpy), so a busy
 * connection leaves nothing for the garbage collector to trace or move. Readers never see
 * the difference: at(), slice(), bySeq() and iteration build the MessageEvent when asked
 * (text decoded then), a new object per read.
 */
export class EventLog {
  private readonly ring: Slot[];
  private head = 0; // index of the oldest kept event
  private count = 0;
  private _dropped = 0;
  private _total = 0;
  private _bytes = 0;
  // Compact slots (allocated on the first pushMessage).
  private tArr?: Float64Array;
  private seqArr?: Float64Array;
  private offArr?: Int32Array;
  private sizeArr?: Int32Array;
  private overheadArr?: Uint16Array;
  private flagArr?: Uint8Array;
  private slab?: Slab;
  private slabPos = 0;
  private spare: Uint8Array[] = [];
  /** Every slab this log has (in use or spare): back to the pool when the log is cleared or collected. */
  private slabs: Uint8Array[] = [];

  constructor(
    readonly cap: number = 100_000,
    readonly maxBytes: number = 512 * 1024 * 1024,
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`log cap must be a positive integer, got ${cap}`);
    if (!(maxBytes > 0)) throw new RangeError(`log byte budget must be positive, got ${maxBytes}`);
    this.ring = new Array(cap).fill(undefined);
  }

  push(ev: InspectorEvent): void {
    if (this.count === this.cap) this.dropOldest();
    this.ring[(this.head + this.count) % this.cap] = ev;
    this.count++;
    this._total++;
    this._bytes += EVENT_BASE_BYTES + payloadBytes(ev);
    if (this._bytes > this.maxBytes) this.trimToBudget();
  }

  /**
   * Records a message without an event object; readers get the same MessageEvent push()
   * would have kept: `{ type, direction, size, binary, data, opcode, overheadBytes, seq, t }`
   * (opcode omitted when 0). Text given as bytes is stored as such and decoded when read;
   * text given as a string is encoded (a lone surrogate becomes U+FFFD, as on the wire; a
   * `size` that is not its UTF-8 length keeps the string as it is). A payload of at most
   * INLINE_MAX bytes is copied, so the caller may reuse its buffer; a larger one is kept by
   * reference and must not change afterwards.
   */
  pushMessage(seq: number, t: number, direction: 'in' | 'out', payload: Uint8Array | string, size: number, binary: boolean, opcode: number, overheadBytes: number): void {
    if (this.count === this.cap) this.dropOldest();
    if (this.tArr === undefined) this.allocCompact();
    let i = this.head + this.count;
    if (i >= this.cap) i -= this.cap;
    if (!(size <= INLINE_MAX && this.copyIn(i, payload, size))) {
      this.offArr![i] = 0;
      this.ring[i] = payload;
    }
    this.tArr![i] = t;
    this.seqArr![i] = seq;
    this.sizeArr![i] = size;
    this.overheadArr![i] = overheadBytes;
    this.flagArr![i] = (binary ? F_BINARY : 0) | (direction === 'out' ? F_OUT : 0) | (opcode << OPCODE_SHIFT);
    this.count++;
    this._total++;
    this._bytes += COMPACT_BASE_BYTES + size;
    if (this._bytes > this.maxBytes) this.trimToBudget();
  }

  /** Copies a payload into the current slab for slot i; false (nothing written) when text's UTF-8 length is not `size`. */
  private copyIn(i: number, payload: Uint8Array | string, size: number): boolean {
    let slab = this.slab;
    let pos = this.slabPos;
    if (slab === undefined || pos + size > SLAB_BYTES) {
      slab = this.nextSlab();
      pos = 0;
    }
    if (typeof payload === 'string') {
      // A wrong size would leave old slab bytes in the message: keep such a string as it is.
      const r = utf8Encoder.encodeInto(payload, slab.bytes.subarray(pos, pos + size));
      if (r.read !== payload.length || r.written !== size) return false;
    } else slab.bytes.set(payload, pos);
    slab.live++;
    this.offArr![i] = pos;
    this.slabPos = pos + size;
    this.ring[i] = slab;
    return true;
  }

  private trimToBudget(): void {
    while (this._bytes > this.maxBytes && this.count > 1) this.dropOldest();
  }

  private allocCompact(): void {
    const n = this.cap;
    this.tArr = new Float64Array(n);
    this.seqArr = new Float64Array(n);
    this.offArr = new Int32Array(n);
    this.sizeArr = new Int32Array(n);
    this.overheadArr = new Uint16Array(n);
    this.flagArr = new Uint8Array(n);
  }

  /** Starts a new slab (a spare one when there is one); the old one is recycled if nothing in it is kept. */
  private nextSlab(): Slab {
    const old = this.slab;
    if (old && old.live === 0) this.recycle(old);
    const slab = new Slab(this.spare.pop() ?? this.takeSlab());
    this.slab = slab;
    this.slabPos = 0;
    return slab;
  }

  private takeSlab(): Uint8Array {
    const bytes = pool.pop() ?? allocBytes(SLAB_BYTES, true);
    if (this.slabs.length === 0) registry?.register(this, this.slabs, this);
    this.slabs.push(bytes);
    return bytes;
  }

  /** A slab none of whose messages is kept: the next one this log fills (a log keeps the slabs of its peak). */
  private recycle(slab: Slab): void {
    this.spare.push(slab.bytes);
  }

  private dropOldest(): void {
    const h = this.head;
    const old = this.ring[h];
    if (old instanceof Slab) {
      this._bytes -= COMPACT_BASE_BYTES + this.sizeArr![h];
      // Slabs fill in order and events drop in order: once a full slab's last message is gone, so is the slab.
      if (--old.live === 0 && old !== this.slab) this.recycle(old);
    } else if (isCompact(old)) {
      this._bytes -= COMPACT_BASE_BYTES + this.sizeArr![h];
    } else {
      this._bytes -= EVENT_BASE_BYTES + payloadBytes(old!);
    }
    this.ring[h] = undefined;
    this.head = h + 1 === this.cap ? 0 : h + 1;
    this.count--;
    this._dropped++;
  }

  /** The event in ring slot i (built for a compact slot). */
  private eventAt(i: number): InspectorEvent {
    const slot = this.ring[i]!;
    if (!isCompact(slot)) return slot;
    const size = this.sizeArr![i];
    const flags = this.flagArr![i];
    const binary = (flags & F_BINARY) !== 0;
    let data: string | Uint8Array;
    if (slot instanceof Slab) {
      const off = this.offArr![i];
      const view = slot.bytes.subarray(off, off + size);
      if (binary) {
        // A copy: the slab is reused once the ring wraps, an event handed out must not change.
        data = allocBytes(size);
        data.set(view);
      } else {
        data = utf8.decode(view);
      }
    } else if (typeof slot === 'string') {
      data = slot;
    } else {
      data = binary ? slot : utf8.decode(slot);
    }
    const opcode = flags >> OPCODE_SHIFT;
    const direction = flags & F_OUT ? 'out' : 'in';
    const overheadBytes = this.overheadArr![i];
    const seq = this.seqArr![i];
    const t = this.tArr![i];
    const ev: MessageEvent = opcode
      ? { type: 'message', direction, size, binary, data, opcode, overheadBytes, seq, t }
      : { type: 'message', direction, size, binary, data, overheadBytes, seq, t };
    return ev;
  }

  private seqAtSlot(i: number): number {
    const slot = this.ring[i]!;
    return isCompact(slot) ? this.seqArr![i] : slot.seq;
  }

  /** Estimated bytes the kept events hold (payloads plus EVENT_BASE_BYTES or COMPACT_BASE_BYTES each). */
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
    return this.count ? this.seqAtSlot(this.head) : this._total;
  }

  /** i-th kept event, 0 = oldest. */
  at(i: number): InspectorEvent | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.eventAt((this.head + i) % this.cap);
  }

  /** t of the i-th kept event (0 = oldest), without building it; NaN when out of range. */
  timeAt(i: number): number {
    if (i < 0 || i >= this.count) return NaN;
    const slot = (this.head + i) % this.cap;
    const x = this.ring[slot]!;
    return isCompact(x) ? this.tArr![slot] : x.t;
  }

  /** seq of the i-th kept event, without building it; NaN when out of range. */
  seqAt(i: number): number {
    if (i < 0 || i >= this.count) return NaN;
    return this.seqAtSlot((this.head + i) % this.cap);
  }

  /** Payload size of the i-th kept event if it is an incoming message, else -1 (without building it). */
  incomingSizeAt(i: number): number {
    if (i < 0 || i >= this.count) return -1;
    const slot = (this.head + i) % this.cap;
    const x = this.ring[slot]!;
    if (isCompact(x)) return this.flagArr![slot] & F_OUT ? -1 : this.sizeArr![slot];
    return x.type === 'message' && x.direction === 'in' ? x.size : -1;
  }

  /** Event by seq, if still kept. Assumes seq numbers pushed in increasing, dense order. */
  bySeq(seq: number): InspectorEvent | undefined {
    const i = seq - this.firstSeq;
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    const slot = (this.head + i) % this.cap;
    return this.seqAtSlot(slot) === seq ? this.eventAt(slot) : undefined;
  }

  /** Kept events with index in [from, to). */
  slice(from = 0, to = this.count): InspectorEvent[] {
    const out: InspectorEvent[] = [];
    const end = Math.min(to, this.count);
    for (let i = Math.max(0, from); i < end; i++) out.push(this.eventAt((this.head + i) % this.cap));
    return out;
  }

  *[Symbol.iterator](): IterableIterator<InspectorEvent> {
    for (let i = 0; i < this.count; i++) yield this.eventAt((this.head + i) % this.cap);
  }

  /** Kept events that are not messages recorded compactly (requests, responses, states, errors, …), oldest first, without building any message. */
  *objects(): IterableIterator<InspectorEvent> {
    for (let i = 0; i < this.count; i++) {
      const x = this.ring[(this.head + i) % this.cap]!;
      if (!isCompact(x)) yield x;
    }
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this._bytes = 0;
    this.slab = undefined;
    this.slabPos = 0;
    this.spare = [];
    registry?.unregister(this);
    giveBack(this.slabs);
    this.slabs = [];
  }
}
