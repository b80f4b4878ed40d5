import { RecordError } from '../errors.ts';

/*
 * The window store value's 0x01 layout (described at windowedSerde): its constants, header and
 * bounds checks, one definition for the serde that decodes whole values and the store that works
 * on their bytes (windowed-bytes.ts).
 */

/** First byte of a window store value in the binary layout; a JSON value begins with `{`. */
export const binaryV1 = 0x01;
/** Bytes before the first window (version, observedUntil, count), and before each window's aggregate (start, length). */
export const headerBytes = 11;
export const windowHeaderBytes = 12;

export function damaged(data: Buffer, detail: string): RecordError {
  return new RecordError('deserialization_failed', `window store value of ${data.length} bytes ${detail}`);
}

export function windowCount(data: Buffer): number {
  if (data.length < headerBytes) throw damaged(data, 'is shorter than its header');
  return data.readUInt16LE(9);
}

/** Writes the value's header: version, the latest event time seen and the window count. */
export function writeHeader(out: Buffer, observedUntil: number, count: number): void {
  out[0] = binaryV1;
  out.writeDoubleLE(observedUntil, 1);
  out.writeUInt16LE(count, 9);
}

/**
 * The offset after window `index` (of `count`) at `at`, checked against the value's end. Numbers
 * are read through a DataView: Buffer's read methods boxed a double per call here.
 */
export function windowEnd(data: Buffer, view: DataView, at: number, index: number, count: number): number {
  if (at + windowHeaderBytes > data.length) throw damaged(data, `ends inside window ${index + 1} of ${count}`);
  const end = at + windowHeaderBytes + view.getUint32(at + 8, true);
  if (end > data.length) throw damaged(data, `ends inside window ${index + 1} of ${count}`);
  return end;
}

/** A DataView of exactly `bytes` (a Buffer may be a slice of a larger ArrayBuffer). */
export function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

/*
 * The 0x02 layout: a key's windows as a ring of fixed slots, for aggregates of one fixed length
 * (an InPlaceFold's). Version (1), observedUntil (float64 LE), the window size in ms (float64 LE),
 * the slot count (uint16 LE), the aggregate length (uint32 LE) and layout (uint32 LE, the fold's
 * name for how its aggregates lie in those bytes); then per slot the start of the
 * window it holds (float64 LE; NaN: none yet) and its aggregate. Window number n (start n × size)
 * lies in slot n mod slots: a key retains at most `ringSlots` windows in a row, so the slot of an
 * open window holds that window or one past retention. A record is folded where its window lies
 * and nothing else is rewritten (windowed-in-place.ts).
 */
export const ringV2 = 0x02;
export const ringHeaderBytes = 27;
/** Each slot's window start, before its aggregate. */
export const slotStartBytes = 8;

/** Slots of a ring for `spec`: the most windows a key retains (validateWindows keeps it within 16 bits). */
export function ringSlots(spec: { readonly sizeMs: number; readonly retentionMs: number }): number {
  return Math.ceil((spec.sizeMs + spec.retentionMs) / spec.sizeMs) + 1;
}

export function ringBytes(slots: number, aggregateLength: number): number {
  return ringHeaderBytes + slots * (slotStartBytes + aggregateLength);
}

/** Writes a ring's header, every slot empty. */
export function writeEmptyRing(view: DataView, observedUntil: number, sizeMs: number, slots: number, aggregateLength: number, layout: number): void {
  view.setUint8(0, ringV2);
  view.setFloat64(1, observedUntil, true);
  view.setFloat64(9, sizeMs, true);
  view.setUint16(17, slots, true);
  view.setUint32(19, aggregateLength, true);
  view.setUint32(23, layout, true);
  const stride = slotStartBytes + aggregateLength;
  for (let slot = 0, at = ringHeaderBytes; slot < slots; slot += 1, at += stride) view.setFloat64(at, Number.NaN, true);
}

/** Checks a ring value's header against its length (its shape is read from the header where it is used), through `view`: `data` only names it in an error. */
export function checkRing(data: Buffer, view: DataView): void {
  if (view.byteLength < ringHeaderBytes) throw damaged(data, 'is shorter than its header');
  const sizeMs = view.getFloat64(9, true);
  const slots = view.getUint16(17, true);
  const aggregateLength = view.getUint32(19, true);
  if (!(sizeMs >= 1) || slots === 0) throw damaged(data, `has a ring of ${slots} slots of windows of ${sizeMs} ms`);
  if (view.byteLength !== ringBytes(slots, aggregateLength)) throw damaged(data, `does not hold ${slots} slots of ${aggregateLength}-byte aggregates`);
}

/** Whether the bytes of `view` are a ring of exactly this shape and layout (the one an update folds into), read through the view alone. */
export function isRingOf(view: DataView, sizeMs: number, slots: number, aggregateLength: number, layout: number): boolean {
  return view.byteLength === ringBytes(slots, aggregateLength) && view.getUint8(0) === ringV2 && view.getFloat64(9, true) === sizeMs && view.getUint16(17, true) === slots && view.getUint32(19, true) === aggregateLength && view.getUint32(23, true) === layout;
}

/** The offset of the slot of the window starting at `start`. */
export function slotAt(start: number, sizeMs: number, slots: number, aggregateLength: number): number {
  const n = Math.floor(start / sizeMs) % slots;
  return ringHeaderBytes + (n < 0 ? n + slots : n) * (slotStartBytes + aggregateLength);
}
