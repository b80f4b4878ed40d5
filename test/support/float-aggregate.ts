import type { InPlaceFold, InPlaceSerde } from '../../src/streams/index.ts';

/** A sum as a float64, the aggregate the window store tests fold (the kind enrich's days are). */
export const float64Aggregate: InPlaceSerde<number> = {
  name: 'sum',
  serialize: (n) => {
    const out = Buffer.alloc(8);
    out.writeDoubleLE(n);
    return out;
  },
  deserialize: (data) => data!.readDoubleLE(0),
  byteLength: () => 8,
  serializeInto: (n, out, at) => out.writeDoubleLE(n, at),
};

/** `sum + n` where the sum lies in a window store's ring; `layout` names it, and a moved aggregate keeps its leading float64 (the sum, in every layout of these tests). */
export function addInPlace(n: number, layout = 1): InPlaceFold {
  return {
    fixedLength: 8,
    layout,
    foldInPlace: (view, at, fresh) => view.setFloat64(at, (fresh ? 0 : view.getFloat64(at, true)) + n, true),
    relayout: (from, fromAt, _length, view, at) => view.setFloat64(at, from.getFloat64(fromAt, true), true),
  };
}
