import type { Serde } from '../serde.ts';
import type { WindowSpec } from './spec.ts';
import type { InPlaceSerde, WindowScan, Windowed } from './stores.ts';
import { binaryV1, checkRing, damaged, headerBytes, ringHeaderBytes, ringV2, slotAt, slotStartBytes, viewOf, windowCount, windowEnd, windowHeaderBytes, writeHeader } from './windowed-layout.ts';
import { foldIntoWindow, windowStart } from './windows.ts';

/*
 * A window store works on its values' bytes, not on decoded `Windowed` objects: decoding a key's
 * value into an object per window, then encoding every window again, was most of the store's cost
 * per record (bench:state). A fold of the decoded aggregate (a function) writes the 0x01 layout: it
 * copies the windows that stay as they are and writes only the folded one. A scan reads the
 * windows where they lie, in either layout; an InPlaceFold's ring is windowed-in-place.ts.
 */

const noBytes = Buffer.alloc(0);

/**
 * A key's retained windows as they lie in its stored value (either layout), oldest first, the
 * ones past retention left out as `windowsOf` leaves them out, and of those only the ones that
 * start within [from, to). `next()` moves to a window; `start`
 * is its start (epoch ms) and its aggregate, as the store's aggregate serde (or InPlaceFold) wrote
 * it, is the `length` bytes of `bytes` (and `view`) from `at`. One object per scan, none per window.
 */
export class WindowCursor implements WindowScan {
  readonly bytes: Buffer;
  readonly view: DataView;
  start = Number.NaN;
  at = 0;
  length = 0;
  /** The latest event time the key has seen (0 for a key without windows). */
  readonly observedUntil: number;
  /** A window starting at or before this is past retention. */
  readonly #keptAfter: number;
  /** Windows starting before this are passed over; the walk ends at the first starting at or after `#to`. */
  readonly #from: number;
  readonly #to: number;
  /** 0x01: windows; 0x02: slots. */
  readonly #count: number;
  #index = 0;
  #next = headerBytes;
  /** Set for a ring (0x02): its window size; the start and slot offset of the next window number walked, oldest first. */
  readonly #ringSizeMs: number = 0;
  #windowStart = 0;
  #slotAt = 0;

  /** `view`: a DataView of `value` the caller already has. `from`, `to`: the starts of the windows wanted (all by default). */
  constructor(spec: WindowSpec, value: Buffer | undefined, view?: DataView, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) {
    this.bytes = value ?? noBytes;
    this.view = view ?? viewOf(this.bytes);
    this.#from = from;
    this.#to = to;
    // Read through the view alone: the Buffer object is one more cache miss at every scan.
    if (value !== undefined && this.view.byteLength > 0 && this.view.getUint8(0) === ringV2) {
      checkRing(value, this.view);
      this.observedUntil = this.view.getFloat64(1, true);
      this.#keptAfter = this.observedUntil - spec.sizeMs - spec.retentionMs;
      const sizeMs = this.view.getFloat64(9, true);
      const slots = this.view.getUint16(17, true);
      this.length = this.view.getUint32(19, true);
      // A ring no record was folded into yet has no latest event time (-Infinity) and no windows.
      if (!Number.isFinite(this.observedUntil)) {
        this.#count = 0;
        return;
      }
      this.#ringSizeMs = sizeMs;
      this.#count = slots;
      this.#windowStart = (Math.floor(this.observedUntil / sizeMs) - slots + 1) * sizeMs;
      // Slots of windows before `from` are stepped over at once, not read: a step that wants the
      // last week of a longer retention walks a week.
      if (from > this.#windowStart) {
        const skipped = Math.min(slots, Math.ceil((from - this.#windowStart) / sizeMs));
        this.#index = skipped;
        this.#windowStart += skipped * sizeMs;
      }
      this.#slotAt = slotAt(this.#windowStart, sizeMs, slots, this.length);
      return;
    }
    this.#count = value ? windowCount(value) : 0;
    this.observedUntil = value ? this.view.getFloat64(1, true) : 0;
    this.#keptAfter = this.observedUntil - spec.sizeMs - spec.retentionMs;
  }

  next(): boolean {
    if (this.#ringSizeMs !== 0) return this.#nextInRing();
    while (this.#index < this.#count) {
      const at = this.#next;
      this.#next = windowEnd(this.bytes, this.view, at, this.#index, this.#count);
      this.#index += 1;
      const start = this.view.getFloat64(at, true);
      if (start <= this.#keptAfter || start < this.#from) continue;
      // Windows ascend by start: none after this one is wanted.
      if (start >= this.#to) {
        this.#index = this.#count;
        return false;
      }
      this.start = start;
      this.at = at + windowHeaderBytes;
      this.length = this.#next - this.at;
      return true;
    }
    return false;
  }

  /**
   * The ring's slots in window order, from the slot of the oldest window number it can hold (a
   * slot holding another window than the one walked holds one past retention): stepped slot by
   * slot, as this runs for every retained window of every record.
   */
  #nextInRing(): boolean {
    const stride = slotStartBytes + this.length;
    const end = ringHeaderBytes + this.#count * stride;
    while (this.#index < this.#count) {
      this.#index += 1;
      const start = this.#windowStart;
      if (start >= this.#to) {
        this.#index = this.#count;
        return false;
      }
      const at = this.#slotAt;
      this.#windowStart = start + this.#ringSizeMs;
      this.#slotAt = at + stride === end ? ringHeaderBytes : at + stride;
      if (this.view.getFloat64(at, true) !== start || start <= this.#keptAfter) continue;
      this.start = start;
      this.at = at + slotStartBytes;
      return true;
    }
    return false;
  }
}

/** What a window store needs to work on a value's bytes: its windows, the aggregate's serde and the value's. */
export interface WindowedCodec<A> {
  readonly windows: WindowSpec;
  readonly aggregate: Serde<A> | InPlaceSerde<A>;
  /** windowedSerde of `aggregate`: reads the earlier JSON layout. */
  readonly value: Serde<Windowed<A>>;
  readonly topic: string;
}

/** The value in a binary layout (0x01 or the ring, which WindowCursor reads alike): a value in the earlier JSON layout is rewritten in 0x01 first. */
export function binaryValue<A>(codec: WindowedCodec<A>, value: Buffer | undefined): Buffer | undefined | Promise<Buffer | undefined> {
  if (value === undefined || value[0] === binaryV1 || value[0] === ringV2) return value;
  return rewritten(codec, value);
}

async function rewritten<A>(codec: WindowedCodec<A>, value: Buffer): Promise<Buffer | undefined> {
  const decoded = await codec.value.deserialize(value, codec.topic);
  return (await codec.value.serialize(decoded, codec.topic)) ?? undefined;
}

/**
 * `foldIntoWindow` on a stored value: undefined when the record's window is closed, else the
 * key's new value (0x01 layout) with the same windows dropped, kept and placed. Synchronous
 * unless the aggregate's serde is not, or the value is in the earlier JSON layout. `view`: a
 * DataView of `current` the caller already has. `into`: a buffer no one reads any more, written
 * (and answered) instead of a new one when the new value is exactly its length; never `current`.
 */
export function foldStored<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: AggregateFold<A>, view?: DataView, into?: Buffer): Buffer | undefined | Promise<Buffer | undefined> {
  if (current !== undefined && current[0] !== binaryV1) return foldDecoded(codec, current, timestamp, fold);
  return foldBinary(codec, current, timestamp, fold, view, into !== current ? into : undefined);
}

/** A value in the JSON layout or a ring (or damaged: deserialize says which) is folded decoded, and written in 0x01. */
async function foldDecoded<A>(codec: WindowedCodec<A>, current: Buffer, timestamp: number, fold: AggregateFold<A>): Promise<Buffer | undefined> {
  const next = foldIntoWindow(codec.windows, await codec.value.deserialize(current, codec.topic), timestamp, fold);
  return next ? ((await codec.value.serialize(next, codec.topic)) ?? undefined) : undefined;
}

/**
 * Where the folded window goes in a value. Windows ascend by start (every writer of the layout
 * keeps them so, and a value that does not is refused as damaged), so those past retention lead
 * and the kept ones follow in one run: the new value is that run, cut where the folded window
 * goes, copied in at most two pieces.
 */
/** A fold of the window's decoded aggregate. */
type AggregateFold<A> = (current: A | undefined) => A;

interface Plan {
  value: Buffer;
  observedUntil: number;
  /** The folded window's start. */
  start: number;
  /** Kept windows, the one the folded window replaces not counted. */
  kept: number;
  /** Offsets of the kept run in `value`; from === to when none is kept. */
  keptFrom: number;
  keptTo: number;
  /** The folded window goes at this offset of the run (keptTo: after it); it replaces the window up to `resumeAt`, or none (resumeAt === placeAt). */
  placeAt: number;
  resumeAt: number;
  /** Written instead of a new buffer when the new value is its length. */
  into: Buffer | undefined;
}

function foldBinary<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: AggregateFold<A>, view: DataView | undefined, into: Buffer | undefined): Buffer | undefined | Promise<Buffer | undefined> {
  const value = current ?? noBytes;
  const data = view ?? viewOf(value);
  const plan = planFold(codec.windows, current, data, timestamp, into);
  if (!plan) return undefined;
  const { placeAt, resumeAt } = plan;
  const has = resumeAt !== placeAt;
  const { aggregate, topic } = codec;
  const replaced = has ? aggregate.deserialize(value.subarray(placeAt + windowHeaderBytes, resumeAt), topic) : undefined;
  if (replaced instanceof Promise) return replaced.then((a) => withFolded(codec, plan, fold(a)));
  return withFolded(codec, plan, fold(replaced));
}

/** The plan of a fold at `timestamp` into `current`; undefined when the record's window is closed. */
function planFold(spec: WindowSpec, current: Buffer | undefined, data: DataView, timestamp: number, into: Buffer | undefined): Plan | undefined {
  const value = current ?? noBytes;
  const count = current ? windowCount(current) : 0;
  const observedUntil = current ? Math.max(data.getFloat64(1, true), timestamp) : timestamp;
  const start = windowStart(spec, timestamp);
  if (start + spec.sizeMs + spec.graceMs <= observedUntil) return undefined;
  const keptAfter = observedUntil - spec.sizeMs - spec.retentionMs;
  let keptFrom = -1;
  let kept = 0;
  let placeAt = -1;
  let resumeAt = -1;
  let previous = Number.NEGATIVE_INFINITY;
  let at = headerBytes;
  for (let i = 0; i < count; i += 1) {
    const end = windowEnd(value, data, at, i, count);
    const s = data.getFloat64(at, true);
    if (!(s > previous)) throw damaged(value, `has window ${i + 1} of ${count} out of order`);
    previous = s;
    if (s > keptAfter) {
      if (keptFrom < 0) keptFrom = at;
      if (placeAt < 0 && s >= start) {
        placeAt = at;
        resumeAt = s === start ? end : at;
      }
      if (s !== start) kept += 1;
    }
    at = end;
  }
  if (keptFrom < 0) keptFrom = at;
  if (placeAt < 0) placeAt = resumeAt = at;
  return { value, observedUntil, start, kept, keptFrom, keptTo: at, placeAt, resumeAt, into };
}

function withFolded<A>(codec: WindowedCodec<A>, plan: Plan, folded: A): Buffer | Promise<Buffer> {
  const { aggregate } = codec;
  if ('serializeInto' in aggregate) {
    const out = assemble(plan, aggregate.byteLength(folded));
    aggregate.serializeInto(folded, out, foldedAt(plan));
    return out;
  }
  const bytes = aggregate.serialize(folded, codec.topic);
  if (bytes instanceof Promise) return bytes.then((b) => withBytes(plan, b));
  return withBytes(plan, bytes);
}

function withBytes(plan: Plan, bytes: Buffer | null): Buffer {
  const out = assemble(plan, bytes?.length ?? 0);
  bytes?.copy(out, foldedAt(plan));
  return out;
}

/** Where the folded window's aggregate goes in the new value. */
function foldedAt(plan: Plan): number {
  return headerBytes + (plan.placeAt - plan.keptFrom) + windowHeaderBytes;
}

/** The new value but the folded aggregate (`foldedLength` bytes at `foldedAt`): the kept run up to where the folded window goes, its header, the rest of the run. */
function assemble(plan: Plan, foldedLength: number): Buffer {
  const { value, keptFrom, keptTo, placeAt, resumeAt } = plan;
  const length = headerBytes + (placeAt - keptFrom) + windowHeaderBytes + foldedLength + (keptTo - resumeAt);
  const out = plan.into?.length === length ? plan.into : Buffer.allocUnsafe(length);
  writeHeader(out, plan.observedUntil, plan.kept + 1);
  let written = headerBytes;
  if (placeAt > keptFrom) written += copyBytes(value, keptFrom, placeAt, out, written);
  out.writeDoubleLE(plan.start, written);
  out.writeUInt32LE(foldedLength, written + 8);
  written += windowHeaderBytes + foldedLength;
  if (keptTo > resumeAt) copyBytes(value, resumeAt, keptTo, out, written);
  return out;
}

/**
 * `source.copy(target, at, from, to)` for offsets the caller has checked: Buffer's copy validates
 * each argument and the range again, and an update copies twice per record.
 */
function copyBytes(source: Buffer, from: number, to: number, target: Buffer, at: number): number {
  target.set(new Uint8Array(source.buffer, source.byteOffset + from, to - from), at);
  return to - from;
}
