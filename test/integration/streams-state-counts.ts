import type { InPlaceFold, Serde } from '../../src/streams/index.ts';

/** A window that holds every record of the state crash tests (their event times are the epoch: `update(key, 0, …)`). */
export const oneWindow = { sizeMs: 1_000, graceMs: 0, retentionMs: 0 } as const;

/** A count as a uint32, the aggregate of `countOne`. */
export const countSerde: Serde<number> = {
  name: 'count',
  serialize: (n) => {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(n);
    return out;
  },
  deserialize: (data) => data!.readUInt32LE(0),
};

/** Adds one to a window's count where it lies in the store's ring. */
export const countOne: InPlaceFold = {
  fixedLength: 4,
  layout: 1,
  foldInPlace: (view, at, fresh) => view.setUint32(at, (fresh ? 0 : view.getUint32(at, true)) + 1, true),
  relayout: (from, fromAt, _length, view, at) => view.setUint32(at, from.getUint32(fromAt, true), true),
};
