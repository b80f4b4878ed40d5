import { ringSlots } from './windowed-layout.ts';
import type { WindowSpec } from './spec.ts';
import type { TimeWindow, Windowed } from './stores.ts';

export function validateWindows(spec: WindowSpec, store: string): WindowSpec {
  const positive = (value: number, what: string) => {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${what} of window store "${store}" must be a non-negative integer of ms, got ${value}`);
  };
  positive(spec.sizeMs, 'sizeMs');
  positive(spec.graceMs, 'graceMs');
  positive(spec.retentionMs, 'retentionMs');
  if (spec.aheadMs !== undefined) positive(spec.aheadMs, 'aheadMs');
  if (spec.sizeMs === 0) throw new Error(`sizeMs of window store "${store}" must be at least 1`);
  // A key keeps at most ringSlots windows, and its value counts them in 16 bits.
  if (ringSlots(spec) > 0xffff) throw new Error(`window store "${store}" would keep more than 65,535 windows per key: make sizeMs larger or retentionMs shorter`);
  if (spec.retentionMs < spec.graceMs) throw new Error(`retentionMs of window store "${store}" must be at least its graceMs, or open windows would be dropped`);
  return spec;
}

export function windowStart(spec: WindowSpec, timestamp: number): number {
  return Math.floor(timestamp / spec.sizeMs) * spec.sizeMs;
}

/**
 * Folds a record into its window: undefined when the window is closed (late past grace), else
 * the key's new windows without those past retention. Runs for every record of a window store:
 * one pass over the retained windows, no intermediate arrays.
 */
export function foldIntoWindow<A>(spec: WindowSpec, current: Windowed<A> | undefined, timestamp: number, fold: (aggregate: A | undefined) => A): Windowed<A> | undefined {
  const observedUntil = Math.max(current?.observedUntil ?? timestamp, timestamp);
  const start = windowStart(spec, timestamp);
  if (start + spec.sizeMs + spec.graceMs <= observedUntil) return undefined;
  const windows: Array<readonly [number, A]> = [];
  let placed = false;
  for (const window of current?.windows ?? []) {
    const s = window[0];
    if (s + spec.sizeMs + spec.retentionMs <= observedUntil) continue;
    if (!placed && s >= start) {
      placed = true;
      if (s === start) {
        windows.push([start, fold(window[1])]);
        continue;
      }
      windows.push([start, fold(undefined)]);
    }
    windows.push(window);
  }
  if (!placed) windows.push([start, fold(undefined)]);
  return { observedUntil, windows };
}

export function windowsOf<A>(spec: WindowSpec, value: Windowed<A> | undefined): Array<TimeWindow<A>> {
  const windows: Array<TimeWindow<A>> = [];
  if (!value) return windows;
  for (const [start, aggregate] of value.windows) {
    if (start + spec.sizeMs + spec.retentionMs > value.observedUntil) windows.push({ start, end: start + spec.sizeMs, value: aggregate });
  }
  return windows;
}
