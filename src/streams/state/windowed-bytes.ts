import type { Serde } from '../serde.ts';
import type { WindowSpec } from './spec.ts';
import type { WindowScan, Windowed } from './stores.ts';
import { binaryV1, headerBytes, windowCount, windowEnd, windowHeaderBytes, writeHeader } from './windowed-layout.ts';
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

  constructor(spec: WindowSpec, value: Buffer | undefined) {
    this.bytes = value ?? noBytes;
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
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
 * unless the aggregate's serde is not, or the value is in the earlier JSON layout.
 */
export function foldStored<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: (aggregate: A | undefined) => A): Buffer | undefined | Promise<Buffer | undefined> {
  if (current !== undefined && current[0] !== binaryV1) return foldDecoded(codec, current, timestamp, fold);
  return foldBinary(codec, current, timestamp, fold);
}

/** Only a value written before the binary layout (or damaged: deserialize says which) is folded decoded. */
async function foldDecoded<A>(codec: WindowedCodec<A>, current: Buffer, timestamp: number, fold: (aggregate: A | undefined) => A): Promise<Buffer | undefined> {
  const next = foldIntoWindow(codec.windows, await codec.value.deserialize(current, codec.topic), timestamp, fold);
  return next ? ((await codec.value.serialize(next, codec.topic)) ?? undefined) : undefined;
}

/** Where the folded window goes in a value, and which of its windows stay. */
interface Plan {
  readonly value: Buffer;
  readonly view: DataView;
  readonly count: number;
  readonly observedUntil: number;
  /** The folded window's start. */
  readonly start: number;
  readonly kept: number;
  readonly keptBytes: number;
  /** Offset of the first kept window at or after `start` (the folded one goes before it), or -1: at the end. */
  readonly placeAt: number;
  /** End of the window the folded one replaces (at `placeAt`), or -1 when it is new. */
  readonly replacedEnd: number;
}

function foldBinary<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: (aggregate: A | undefined) => A): Buffer | undefined | Promise<Buffer | undefined> {
  const { windows: spec, aggregate, topic } = codec;
  const value = current ?? noBytes;
  const count = current ? windowCount(current) : 0;
  const view = new DataView(value.buffer, value.byteOffset, value.length);
  const observedUntil = current ? Math.max(view.getFloat64(1, true), timestamp) : timestamp;
  const start = windowStart(spec, timestamp);
  if (start + spec.sizeMs + spec.graceMs <= observedUntil) return undefined;
  let kept = 0;
  let keptBytes = 0;
  let placeAt = -1;
  let replacedEnd = -1;
  for (let i = 0, at = headerBytes; i < count; i += 1) {
    const end = windowEnd(value, view, at, i, count);
    const s = view.getFloat64(at, true);
    if (s + spec.sizeMs + spec.retentionMs > observedUntil) {
      if (placeAt < 0 && s >= start) placeAt = at;
      if (placeAt === at && s === start) replacedEnd = end;
      else {
        kept += 1;
        keptBytes += end - at;
      }
    }
    at = end;
  }
  const plan: Plan = { value, view, count, observedUntil, start, kept, keptBytes, placeAt, replacedEnd };
  const replaced = replacedEnd < 0 ? undefined : aggregate.deserialize(value.subarray(placeAt + windowHeaderBytes, replacedEnd), topic);
  if (replaced instanceof Promise) return replaced.then((a) => withFolded(codec, plan, fold(a)));
  return withFolded(codec, plan, fold(replaced));
}

function withFolded<A>(codec: WindowedCodec<A>, plan: Plan, folded: A): Buffer | Promise<Buffer> {
  const { aggregate } = codec;
  if ('serializeInto' in aggregate) return assemble(codec, plan, aggregate.byteLength(folded), null, folded);
  const bytes = aggregate.serialize(folded, codec.topic);
  if (bytes instanceof Promise) return bytes.then((b) => assemble(codec, plan, b?.length ?? 0, b, folded));
  return assemble(codec, plan, bytes?.length ?? 0, bytes, folded);
}

/** The new value: the kept windows copied in runs (usually one: expired windows lead, the folded one is last), the folded one written. */
function assemble<A>(codec: WindowedCodec<A>, plan: Plan, foldedLength: number, foldedBytes: Buffer | null, folded: A): Buffer {
  const { windows: spec, aggregate } = codec;
  const { value, view, count, observedUntil, placeAt, replacedEnd } = plan;
  const out = Buffer.allocUnsafe(headerBytes + plan.keptBytes + windowHeaderBytes + foldedLength);
  writeHeader(out, observedUntil, plan.kept + 1);
  let written = headerBytes;
  let runFrom = -1;
  let runTo = -1;
  for (let i = 0, at = headerBytes; i <= count; i += 1) {
    const end = i < count ? windowEnd(value, view, at, i, count) : at;
    const place = i < count ? at === placeAt : placeAt < 0;
    const keep = i < count && view.getFloat64(at, true) + spec.sizeMs + spec.retentionMs > observedUntil && !(place && replacedEnd >= 0);
    if (runFrom >= 0 && (place || !keep)) {
      written += value.copy(out, written, runFrom, runTo);
      runFrom = -1;
    }
    if (place) {
      out.writeDoubleLE(plan.start, written);
      out.writeUInt32LE(foldedLength, written + 8);
      if ('serializeInto' in aggregate) aggregate.serializeInto(folded, out, written + windowHeaderBytes);
      else foldedBytes?.copy(out, written + windowHeaderBytes);
      written += windowHeaderBytes + foldedLength;
    }
    if (keep) {
      if (runFrom < 0) runFrom = at;
      runTo = end;
    }
    at = end;
  }
  return out;
}
