import { RecordError } from '../errors.ts';
import type { WindowSpec } from './spec.ts';
import type { InPlaceFold } from './stores.ts';
import { WindowCursor } from './windowed-bytes.ts';
import { isRingOf, ringBytes, ringSlots, slotAt, slotStartBytes, writeEmptyRing } from './windowed-layout.ts';
import { windowStart } from './windows.ts';

/*
 * A window store's update by an InPlaceFold: the key's windows as a ring of fixed slots (the 0x02
 * layout, windowed-layout.ts), each record folded into its window's slot where it lies. A chunk
 * copies a key's committed value once, at its first update of the key, and folds every record
 * of the chunk into that copy: the committed value stays as the changelog and local storage have
 * it, and a record that fails puts back the bytes it changed (UndoLog).
 */

/** Where an in-place update says which bytes it is about to change, so a failed record's changes can be put back. */
export interface UndoLog {
  saving(bytes: DataView, at: number, length: number): void;
}

/** The bytes of a ring of `fold`'s aggregates for `spec`. */
export function ringLength(spec: WindowSpec, fold: InPlaceFold): number {
  return ringBytes(ringSlots(spec), fold.fixedLength);
}

/** Whether the bytes of `view` are a ring of `fold`'s slots for `spec`: what `foldInRing` folds into. */
export function isRingFor(spec: WindowSpec, fold: InPlaceFold, view: DataView): boolean {
  return isRingOf(view, spec.sizeMs, ringSlots(spec), fold.fixedLength, fold.layout);
}

/**
 * Writes the key's value `current` (0x01 or a ring; undefined: the key has none) as a ring of
 * `fold`'s slots into `out` (`ringLength` bytes): a copy when it is one already; else its retained
 * windows, each moved into its slot in `fold`'s layout (an aggregate written in another layout,
 * by a fold of other options or before the ring). `currentView`: a DataView of `current`.
 */
export function writeRing(spec: WindowSpec, fold: InPlaceFold, current: Buffer | undefined, currentView: DataView | undefined, out: Buffer, outView: DataView): void {
  const slots = ringSlots(spec);
  const length = fold.fixedLength;
  if (current !== undefined && currentView !== undefined && isRingFor(spec, fold, currentView)) {
    out.set(current);
    return;
  }
  const windows = new WindowCursor(spec, current, currentView);
  writeEmptyRing(outView, current === undefined ? Number.NEGATIVE_INFINITY : windows.observedUntil, spec.sizeMs, slots, length, fold.layout);
  // Retained windows lie within `slots` windows of each other: none shares a slot with another.
  while (windows.next()) {
    const start = windowStart(spec, windows.start);
    const at = slotAt(start, spec.sizeMs, slots, length);
    outView.setFloat64(at, start, true);
    fold.relayout(windows.view, windows.at, windows.length, outView, at + slotStartBytes);
  }
}

/**
 * Folds a record at `timestamp` into its window's slot of the ring `view` reads (writeRing's, of
 * `fold`'s slots for `spec`), through the view alone: false, and nothing changed, when the window
 * is closed (it ended more than the grace period before the latest event time of the key). A slot
 * holding an older window (past retention) starts the record's window afresh.
 */
export function foldInRing(spec: WindowSpec, fold: InPlaceFold, view: DataView, timestamp: number, undo: UndoLog): boolean {
  // A slot found from NaN would be offset 0: the ring's header written over.
  if (!Number.isFinite(timestamp)) throw new RecordError('invalid_event_time', `a window store's record needs a finite event time, got ${timestamp}`);
  const observedUntil = Math.max(view.getFloat64(1, true), timestamp);
  const start = windowStart(spec, timestamp);
  if (start + spec.sizeMs + spec.graceMs <= observedUntil) return false;
  const at = slotAt(start, spec.sizeMs, view.getUint16(17, true), fold.fixedLength);
  undo.saving(view, 1, 8);
  undo.saving(view, at, slotStartBytes + fold.fixedLength);
  view.setFloat64(1, observedUntil, true);
  const fresh = view.getFloat64(at, true) !== start;
  if (fresh) view.setFloat64(at, start, true);
  fold.foldInPlace(view, at + slotStartBytes, fresh);
  return true;
}
