import { RecordError } from '../errors.ts';
import type { Serde } from '../serde.ts';
import type { WindowSpec } from './spec.ts';
import type { WindowScan, Windowed } from './stores.ts';
import { binaryV1, headerBytes, windowHeaderBytes, type InPlaceSerde } from './windowed-serde.ts';
import { foldIntoWindow, windowStart } from './windows.ts';

/*
 * A window store works on its values' bytes (windowedSerde's 0x01 layout), not on decoded
 * `Windowed` objects: every record of a key rewrites the key's whole value, and decoding it into
 * an object per window, then encoding every window again, was most of the store's cost per
 * record (bench:state). An update copies the windows that stay as they are and writes only the
 * folded one; a scan reads the windows where they lie.
 */

const noBytes = Buffer.alloc(0);

function damaged(data: Buffer, detail: string): RecordError {
  return new RecordError('deserialization_failed', `window store value of ${data.length} bytes ${detail}`);
}

function windowCount(data: Buffer): number {
  if (data.length < headerBytes) throw damaged(data, 'is shorter than its header');
  return data.readUInt16LE(9);
}

/** The offset after window `index` (of `count`) at `at`, checked against the value's end. */
function windowEnd(data: Buffer, at: number, index: number, count: number): number {
  if (at + windowHeaderBytes > data.length) throw damaged(data, `ends inside window ${index + 1} of ${count}`);
  const end = at + windowHeaderBytes + data.readUInt32LE(at + 8);
  if (end > data.length) throw damaged(data, `ends inside window ${index + 1} of ${count}`);
  return end;
}

/**
 * A key's retained windows as they lie in its stored value, oldest first, the ones past
 * retention left out as `windowsOf` leaves them out. `next()` moves to a window; `start` is its
 * start (epoch ms) and its aggregate, as the store's aggregate serde wrote it, is the `length`
 * bytes of `bytes` from `at`. One object per scan, none per window.
 */
export class WindowCursor implements WindowScan {
  readonly bytes: Buffer;
  start = Number.NaN;
  at = 0;
  length = 0;
  readonly #count: number;
  /** A window whose start is at or below this is past retention. */
  readonly #expiredUntil: number;
  #index = 0;
  #next = headerBytes;

  constructor(spec: WindowSpec, value: Buffer | undefined) {
    this.bytes = value ?? noBytes;
    this.#count = value ? windowCount(value) : 0;
    this.#expiredUntil = value ? value.readDoubleLE(1) - spec.sizeMs - spec.retentionMs : 0;
  }

  next(): boolean {
    while (this.#index < this.#count) {
      const at = this.#next;
      this.#next = windowEnd(this.bytes, at, this.#index, this.#count);
      this.#index += 1;
      const start = this.bytes.readDoubleLE(at);
      if (start <= this.#expiredUntil) continue;
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
export async function binaryValue<A>(codec: WindowedCodec<A>, value: Buffer | undefined): Promise<Buffer | undefined> {
  if (value === undefined || value[0] === binaryV1) return value;
  const decoded = await codec.value.deserialize(value, codec.topic);
  return (await codec.value.serialize(decoded, codec.topic)) ?? undefined;
}

/**
 * `foldIntoWindow` on a stored value: undefined when the record's window is closed, else the
 * key's new value (0x01 layout) with the same windows dropped, kept and placed.
 */
export async function foldStored<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: (aggregate: A | undefined) => A): Promise<Buffer | undefined> {
  if (current !== undefined && current[0] !== binaryV1) {
    // Only a value written before the binary layout (or damaged: deserialize says which) lands here.
    const next = foldIntoWindow(codec.windows, await codec.value.deserialize(current, codec.topic), timestamp, fold);
    return next ? ((await codec.value.serialize(next, codec.topic)) ?? undefined) : undefined;
  }
  return foldBinary(codec, current, timestamp, fold);
}

async function foldBinary<A>(codec: WindowedCodec<A>, current: Buffer | undefined, timestamp: number, fold: (aggregate: A | undefined) => A): Promise<Buffer | undefined> {
  const { windows: spec, aggregate, topic } = codec;
  const value = current ?? noBytes;
  const count = current ? windowCount(current) : 0;
  const observedUntil = current ? Math.max(current.readDoubleLE(1), timestamp) : timestamp;
  const start = windowStart(spec, timestamp);
  if (start + spec.sizeMs + spec.graceMs <= observedUntil) return undefined;
  // Which windows stay, where the folded one goes (before the first kept window at or after its start), and the one it replaces.
  let kept = 0;
  let keptBytes = 0;
  let placeAt = -1;
  let replacedEnd = -1;
  for (let i = 0, at = headerBytes; i < count; i += 1) {
    const end = windowEnd(value, at, i, count);
    const s = value.readDoubleLE(at);
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
  const replaced = replacedEnd < 0 ? undefined : aggregate.deserialize(value.subarray(placeAt + windowHeaderBytes, replacedEnd), topic);
  const folded = fold(replaced instanceof Promise ? await replaced : replaced);
  let foldedBytes: Buffer | null = null;
  let foldedLength: number;
  if ('serializeInto' in aggregate) foldedLength = aggregate.byteLength(folded);
  else {
    const serialized = aggregate.serialize(folded, topic);
    foldedBytes = serialized instanceof Promise ? await serialized : serialized;
    foldedLength = foldedBytes?.length ?? 0;
  }
  const out = Buffer.allocUnsafe(headerBytes + keptBytes + windowHeaderBytes + foldedLength);
  out[0] = binaryV1;
  out.writeDoubleLE(observedUntil, 1);
  out.writeUInt16LE(kept + 1, 9);
  const writeFolded = (at: number): number => {
    out.writeDoubleLE(start, at);
    out.writeUInt32LE(foldedLength, at + 8);
    if ('serializeInto' in aggregate) aggregate.serializeInto(folded, out, at + windowHeaderBytes);
    else foldedBytes?.copy(out, at + windowHeaderBytes);
    return at + windowHeaderBytes + foldedLength;
  };
  // The kept windows are copied in runs (usually one: the expired ones lead, the folded one is last).
  let written = headerBytes;
  let runFrom = -1;
  let runTo = -1;
  const flush = () => {
    if (runFrom >= 0) written += value.copy(out, written, runFrom, runTo);
    runFrom = -1;
  };
  for (let i = 0, at = headerBytes; i < count; i += 1) {
    const end = windowEnd(value, at, i, count);
    if (at === placeAt) {
      flush();
      written = writeFolded(written);
    }
    const keep = value.readDoubleLE(at) + spec.sizeMs + spec.retentionMs > observedUntil && !(at === placeAt && replacedEnd >= 0);
    if (keep) {
      if (runFrom < 0) runFrom = at;
      runTo = end;
    } else flush();
    at = end;
  }
  flush();
  if (placeAt < 0) writeFolded(written);
  return out;
}
