import { RecordError } from '../errors.ts';
import type { Serde } from '../serde.ts';
import { serdes } from '../serdes.ts';
import type { InPlaceSerde, Windowed } from './stores.ts';
import { WindowCursor } from './windowed-bytes.ts';
import { binaryV1, damaged, headerBytes, ringV2, viewOf, windowCount, windowEnd, windowHeaderBytes, writeHeader } from './windowed-layout.ts';

const jsonOpen = 0x7b;

/**
 * A window store's value in its changelog and local storage: version byte 0x01, observedUntil
 * (float64 LE), the window count (uint16 LE), then per window its start (float64 LE), the
 * aggregate's length (uint32 LE) and the aggregate as `aggregate` writes it. Every record of a
 * window store writes the key's whole value, so the layout is binary: JSON of the retained
 * windows was the store's largest cost per record. Values written as JSON
 * (`{"observedUntil":…,"windows":[[start, aggregate],…]}`, the layout before this one) still read,
 * their aggregates as parsed JSON, and so do rings (0x02, windowed-layout.ts), which only a
 * store's in-place updates write.
 */
export function windowedSerde<A>(aggregate: Serde<A> | InPlaceSerde<A>): Serde<Windowed<A>> {
  const legacy = serdes.json<Windowed<A>>();
  const inPlace = 'serializeInto' in aggregate ? aggregate : undefined;
  return {
    name: `windowed(${aggregate.name})`,
    serialize: (value, topic) => {
      if (inPlace) return layoutInPlace(value, inPlace);
      const parts = value.windows.map(([, a]) => aggregate.serialize(a, topic));
      // Synchronous serdes (the usual case) skip the promise per value.
      if (parts.some((part) => part instanceof Promise)) return Promise.all(parts).then((all) => layout(value, all));
      return layout(value, parts as Array<Buffer | null>);
    },
    deserialize: async (data, topic) => {
      if (data === null || data.length === 0) throw new RecordError('deserialization_failed', 'expected a window store value, got an empty payload');
      if (data[0] === jsonOpen) return legacy.deserialize(data, topic);
      if (data[0] === ringV2) return decodeRing(data, aggregate, topic);
      if (data[0] !== binaryV1) throw damaged(data, `has unknown layout version ${data[0]}`);
      const count = windowCount(data);
      const view = viewOf(data);
      const windows: Array<readonly [number, A]> = [];
      for (let i = 0, at = headerBytes; i < count; i += 1) {
        const end = windowEnd(data, view, at, i, count);
        windows.push([view.getFloat64(at, true), await aggregate.deserialize(data.subarray(at + windowHeaderBytes, end), topic)]);
        at = end;
      }
      return { observedUntil: view.getFloat64(1, true), windows };
    },
  };
}

/** Reads every window a ring holds, none left out for retention, as a 0x01 value's are all decoded. */
const everyWindow = { sizeMs: 0, graceMs: 0, retentionMs: Number.POSITIVE_INFINITY };

/** A ring's windows (0x02, written by an InPlaceFold's updates), oldest first, walked as a scan walks them. */
async function decodeRing<A>(data: Buffer, aggregate: Serde<A>, topic: string): Promise<Windowed<A>> {
  const ring = new WindowCursor(everyWindow, data);
  const windows: Array<readonly [number, A]> = [];
  while (ring.next()) windows.push([ring.start, await aggregate.deserialize(data.subarray(ring.at, ring.at + ring.length), topic)]);
  return { observedUntil: ring.observedUntil, windows };
}

function layout<A>(value: Windowed<A>, aggregates: ReadonlyArray<Buffer | null>): Buffer {
  let size = headerBytes;
  for (const bytes of aggregates) size += windowHeaderBytes + (bytes?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, value.observedUntil, value.windows.length);
  let at = headerBytes;
  for (let i = 0; i < aggregates.length; i += 1) {
    const bytes = aggregates[i] ?? null;
    out.writeDoubleLE(value.windows[i]![0], at);
    out.writeUInt32LE(bytes?.length ?? 0, at + 8);
    bytes?.copy(out, at + windowHeaderBytes);
    at += windowHeaderBytes + (bytes?.length ?? 0);
  }
  return out;
}

/** The same bytes as `layout`, each aggregate written straight into the value's buffer. */
function layoutInPlace<A>(value: Windowed<A>, aggregate: InPlaceSerde<A>): Buffer {
  const { windows } = value;
  let size = headerBytes;
  for (let i = 0; i < windows.length; i += 1) size += windowHeaderBytes + aggregate.byteLength(windows[i]![1]);
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, value.observedUntil, windows.length);
  let at = headerBytes;
  for (let i = 0; i < windows.length; i += 1) {
    const [start, a] = windows[i]!;
    const end = aggregate.serializeInto(a, out, at + windowHeaderBytes);
    out.writeDoubleLE(start, at);
    out.writeUInt32LE(end - at - windowHeaderBytes, at + 8);
    at = end;
  }
  return out;
}
