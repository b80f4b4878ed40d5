import type { PartitionStorage } from './backend.ts';
import type { ChangelogEntry } from './changelog-reader.ts';
import { isMarkerKey } from './chunk-state.ts';

/**
 * A changelog partition restored only through its last input-offset marker. A chunk's changelog
 * ends with its marker, and at-least-once a changelog larger than one request goes in several,
 * each acknowledged before the next: an instance that stopped between them left the chunk's
 * first entries without its marker. Restored, they would hold the chunk's updates while the
 * input offsets say the chunk never ran, and the chunk, run again, would count them twice. Left
 * out, the chunk runs again over the state before it and writes its changelog anew; entries it
 * left behind that a later marker follows are older than that chunk's own and lose to them.
 */
export class MarkedRestore {
  readonly #storage: PartitionStorage;
  /** The offset after the changelog's last marker, when known before the restore (`markedEnds`). */
  readonly #markedEnd: bigint | undefined;
  /** Entries read after the last marker so far, in order. */
  #tail: ChangelogEntry[] = [];

  /**
   * `markedEnd`: where the restore's last marker ends, found before it began; entries below it go
   * to storage as they are read, with the checkpoint after them, and only those from it on wait.
   * Unknown (a short restore), every entry waits for the next marker.
   */
  constructor(storage: PartitionStorage, markedEnd?: bigint) {
    this.#storage = storage;
    this.#markedEnd = markedEnd;
  }

  /**
   * Entries read in offset order up to `nextOffset`: those through the last marker among them
   * (and the tail held before) go to storage with the checkpoint after that marker (`nextOffset`
   * when nothing follows it); the rest wait for a marker. The checkpoint moves with every marker,
   * not only when a read ends on one (reads end wherever a fetch does), so a restore stopped
   * part way goes on from its last marker at the next start rather than from where it began.
   */
  async add(entries: readonly ChangelogEntry[], nextOffset: string): Promise<void> {
    if (this.#markedEnd !== undefined) return this.#addBelow(this.#markedEnd, entries, nextOffset);
    const all = this.#tail.length > 0 ? [...this.#tail, ...entries] : entries;
    let last = all.length - 1;
    while (last >= 0 && !isMarkerKey(all[last]!.key)) last -= 1;
    this.#tail = all.slice(last + 1);
    if (last < 0) return;
    const checkpoint = this.#tail.length === 0 ? nextOffset : (BigInt(all[last]!.offset) + 1n).toString();
    await this.#storage.write(last === all.length - 1 ? all : all.slice(0, last + 1), checkpoint);
  }

  /** Entries below `end` to storage, the checkpoint after them; those from `end` on are the tail. */
  async #addBelow(end: bigint, entries: readonly ChangelogEntry[], nextOffset: string): Promise<void> {
    let below = entries.length;
    while (below > 0 && BigInt(entries[below - 1]!.offset) >= end) below -= 1;
    for (let i = below; i < entries.length; i += 1) this.#tail.push(entries[i]!);
    if (below === 0) return;
    const next = BigInt(nextOffset);
    await this.#storage.write(below === entries.length ? entries : entries.slice(0, below), (next < end ? next : end).toString());
  }

  /** Entries after the changelog's last marker, left out of the store. */
  get leftOut(): number {
    return this.#tail.length;
  }
}
