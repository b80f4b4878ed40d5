import type { Serde } from '../serde.ts';
import type { WindowSpec } from './spec.ts';
import type { WindowFold, WindowScan, Windowed } from './stores.ts';
import { binaryV1, damaged, headerBytes, viewOf, windowCount, windowEnd, windowHeaderBytes, writeHeader } from './windowed-layout.ts';
import type { InPlaceSerde } from './windowed-serde.ts';
import { foldIntoWindow, windowStart } from './windows.ts';

/*
 * A window store works on its values' bytes (windowedSerde's 0x01 layout), not on decoded
 * `Windowed` objects: every record of a key rewrites the key's whole value, and decoding it into
 * an object per window, then encoding every window again, was most of the store's cost per
 * record (bench:state). An update copies the windows that stay as they are and writes only the
 * folded one; a scan reads the windows where they lie.
 */

const noBytes = Buffer.alloc(0);

/**
 * A key's retained windows as they lie in its stored value, oldest first, the ones past
 * retention left out as `windowsOf` leaves them out. `next()` moves to a window; `start` is its
 * start (epoch ms) and its aggregate, as the store's aggregate serde wrote it, is the `length`
 * bytes of `bytes` (and `view`) from `at`. One object per scan, none per window.
 */
export class WindowCursor implements WindowScan {
  readonly bytes: Buffer;
  readonly view: DataView;
  start = Number.NaN;
  at = 0;
  length = 0;
  readonly #spec: WindowSpec;
  readonly #count: number;
  readonly #observedUntil: number;
  #index = 0;
  #next = headerBytes;

  /** `view`: a DataView of `value` the caller already has. */
  constructor(spec: WindowSpec, value: Buffer | undefined, view?: DataView) {
    this.bytes = value ?? noBytes;
    this.view = view ?? viewOf(this.bytes);
    this.#spec = spec;
    this.#count = value ? windowCount(value) : 0;
    this.#observedUntil = value ? this.view.getFloat64(1, true) : 0;
  }

  next(): boolean {
    while (this.#index < this.#count) {
      const at = this.#next;
      this.#next = windowEnd(this.bytes, this.view, at, this.#index, this.#count);
      this.#index += 1;
      const start = this.view.getFloat64(at, true);
      if (start + this.#spec.sizeMs + this.#spec.retentionMs <= this.#observedUntil) continue;
      this.start = start;
      this.at = at + windowHeaderBytes;
      this.length = this.#next - this.at;
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

/** The value in the 0x01 layout: a value in the earlier JSON layout is rewritten in it first. */
export function binaryValue<A>(codec: WindowedCodec<A>, value: Buffer | undefined): Buffer | undefined | Promise<Buffer | undefined> {
  if (value === undefined || value[0] === binaryV1) return value;
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
export function foldStored<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: WindowFold<A>, view?: DataView, into?: Buffer): Buffer | undefined | Promise<Buffer | undefined> {
  if (current !== undefined && current[0] !== binaryV1) return foldDecoded(codec, current, timestamp, fold);
  return foldBinary(codec, current, timestamp, fold, view, into !== current ? into : undefined);
}

/** Only a value written before the binary layout (or damaged: deserialize says which) is folded decoded; a fold of bytes folds it rewritten. */
async function foldDecoded<A>(codec: WindowedCodec<A>, current: Buffer, timestamp: number, fold: WindowFold<A>): Promise<Buffer | undefined> {
  if (typeof fold !== 'function') return foldBinary(codec, await rewritten(codec, current), timestamp, fold, undefined, undefined);
  const next = foldIntoWindow(codec.windows, await codec.value.deserialize(current, codec.topic), timestamp, fold);
  return next ? ((await codec.value.serialize(next, codec.topic)) ?? undefined) : undefined;
}

/**
 * Where the folded window goes in a value. Windows ascend by start (every writer of the layout
 * keeps them so, and a value that does not is refused as damaged), so those past retention lead
 * and the kept ones follow in one run: the new value is that run, cut where the folded window
 * goes, copied in at most two pieces.
 */
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

/** The plan of the update running now: one object for every fold of bytes, which runs to its end without the step's code between. */
const planning: Plan = { value: Buffer.alloc(0), observedUntil: 0, start: 0, kept: 0, keptFrom: 0, keptTo: 0, placeAt: 0, resumeAt: 0, into: undefined };

function foldBinary<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: WindowFold<A>, view: DataView | undefined, into: Buffer | undefined): Buffer | undefined | Promise<Buffer | undefined> {
  const value = current ?? noBytes;
  const data = view ?? viewOf(value);
  const plan = planFold(codec.windows, current, data, timestamp, into);
  if (!plan) return undefined;
  const { placeAt, resumeAt } = plan;
  const has = resumeAt !== placeAt;
  if (typeof fold !== 'function') {
    const at = placeAt + windowHeaderBytes;
    const length = fold.foldedLength(has ? data : undefined, at, resumeAt - at);
    const out = assemble(plan, length);
    const outAt = foldedAt(plan);
    const written = fold.foldInto(has ? data : undefined, at, resumeAt - at, out, outAt);
    if (written !== outAt + length) throw new Error(`a fold of bytes wrote ${written - outAt} bytes after announcing ${length}`);
    return out;
  }
  // The step's fold may update the store itself: its plan is its own.
  const own = { ...plan };
  const { aggregate, topic } = codec;
  const replaced = has ? aggregate.deserialize(value.subarray(placeAt + windowHeaderBytes, resumeAt), topic) : undefined;
  if (replaced instanceof Promise) return replaced.then((a) => withFolded(codec, own, fold(a)));
  return withFolded(codec, own, fold(replaced));
}

/** Fills `planning` for a fold at `timestamp` into `current`; undefined when the record's window is closed. */
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
  const plan = planning;
  plan.value = value;
  plan.observedUntil = observedUntil;
  plan.start = start;
  plan.kept = kept;
  plan.keptFrom = keptFrom;
  plan.keptTo = at;
  plan.placeAt = placeAt;
  plan.resumeAt = resumeAt;
  plan.into = into;
  return plan;
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
