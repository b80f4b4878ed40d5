import type { UndoLog } from './windowed-in-place.ts';

/**
 * Bytes a record's in-place updates are about to change, saved in one growing buffer (a few
 * dozen bytes per update, no allocation per record), so a record whose attempt fails can put
 * them back: the chunk's rings are changed where they lie, before the record is accepted. A
 * chunk runs its records of a stage with state one after another: `mark` is where a record's
 * saves begin, and they end when it is accepted (`forget`) or fails (`restore`). The lists are
 * overwritten, not shortened: an array emptied by its length gives up its storage, and every
 * record allocated it again.
 */
export class SavedBytes implements UndoLog {
  #saved = new Uint8Array(1024);
  #used = 0;
  #count = 0;
  readonly #targets: Array<DataView | undefined> = [];
  /** Per save: where it lies in its target, its length, where it lies in #saved. */
  readonly #places: number[] = [];

  mark(): number {
    return this.#count;
  }

  saving(bytes: DataView, at: number, length: number): void {
    if (this.#used + length > this.#saved.length) {
      const grown = new Uint8Array(Math.max(2 * this.#saved.length, this.#used + length));
      grown.set(this.#saved.subarray(0, this.#used));
      this.#saved = grown;
    }
    // A byte loop: the saves are a few dozen bytes, shorter than what Buffer#copy spends checking its arguments.
    const saved = this.#saved;
    const from = this.#used;
    for (let i = 0; i < length; i += 1) saved[from + i] = bytes.getUint8(at + i);
    const n = this.#count;
    this.#targets[n] = bytes;
    this.#places[3 * n] = at;
    this.#places[3 * n + 1] = length;
    this.#places[3 * n + 2] = from;
    this.#count = n + 1;
    this.#used = from + length;
  }

  /** Puts back the bytes saved since `mark`, latest first, and forgets them. */
  restore(mark: number): void {
    const saved = this.#saved;
    for (let i = this.#count - 1; i >= mark; i -= 1) {
      const target = this.#targets[i]!;
      const at = this.#places[3 * i]!;
      const length = this.#places[3 * i + 1]!;
      const from = this.#places[3 * i + 2]!;
      for (let b = 0; b < length; b += 1) target.setUint8(at + b, saved[from + b]!);
    }
    this.forget(mark);
  }

  forget(mark: number): void {
    if (mark >= this.#count) return;
    this.#used = this.#places[3 * mark + 2]!;
    // The targets are let go of, so a ring no one else holds is not kept by this list.
    for (let i = mark; i < this.#count; i += 1) this.#targets[i] = undefined;
    this.#count = mark;
  }
}
