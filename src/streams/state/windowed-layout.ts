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
