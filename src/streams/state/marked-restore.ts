import type { PartitionStorage } from './backend.ts';
import type { ChangelogEntry } from './changelog-reader.ts';
import type { MarkedEnd } from './marked-ends.ts';
import { isMarkerKey } from './chunk-state.ts';

/**
 * A changelog partition restored only through its last input-offset marker. A chunk's changelog
 * ends with its marker, and at-least-once a changelog larger than one request goes in several,
 * each acknowledged before the next: an instance that stopped between them left the chunk's
 * first entries without its marker. Restored, they would hold the chunk's updates while the
 * input offsets say the chunk never ran, and the chunk, run again, would count them twice. Left
 * out, the chunk runs again over the state before it and writes its changelog anew; entries it
 * left behind that a later marker follows are older than that chunk's own and lose to them for
 * the keys the run again writes, and to the values as restored of the keys it left out, which
 * the partition's next chunk writes (`leftOutKeys`).
 */
export class MarkedRestore {
  readonly #storage: PartitionStorage;
  /** Where the changelog's last marker lies, when found before the restore (`markedEnds`). */
  readonly #known: MarkedEnd | undefined;
  /** Entries read after the last marker so far, in order (the end unknown). */
  #tail: ChangelogEntry[] = [];
  /** Entries read from the known end on: counted, never applied. */
  #beyond = 0;
  /** Keys of those entries (markers aside), by id: what the stage's next changelog seals. */
  readonly #beyondKeys = new Map<string, Buffer>();
  /** Whether the known last marker was read and applied. */
  #markerRead = false;

  /**
   * `known`: where the restore's last marker lies, found before it began; entries below it go to
   * storage as they are read, with the checkpoint after them (wherever a read ends: below the
   * last marker every chunk is whole), and those from it on are left out. Unknown (a short
   * restore), every entry waits for the next marker.
   */
  constructor(storage: PartitionStorage, known?: MarkedEnd) {
    this.#storage = storage;
    this.#known = known;
  }

  /**
   * Entries read in offset order up to `nextOffset`. The end unknown: those through the last
   * marker among them (and the tail held before) go to storage with the checkpoint after that
   * marker (`nextOffset` when nothing follows it); the rest wait for a marker. The checkpoint
   * moves with every marker, not only when a read ends on one (reads end wherever a fetch does),
   * so a restore stopped part way goes on from its last marker at the next start rather than
   * from where it began.
   */
  async add(entries: readonly ChangelogEntry[], nextOffset: string): Promise<void> {
    if (this.#known !== undefined) return this.#addBelow(this.#known.end, entries, nextOffset);
    const all = this.#tail.length > 0 ? [...this.#tail, ...entries] : entries;
    let last = all.length - 1;
    while (last >= 0 && !isMarkerKey(all[last]!.key)) last -= 1;
    this.#tail = all.slice(last + 1);
    if (last < 0) return;
    const checkpoint = this.#tail.length === 0 ? nextOffset : (BigInt(all[last]!.offset) + 1n).toString();
    await this.#storage.write(last === all.length - 1 ? all : all.slice(0, last + 1), checkpoint);
  }

  /** Entries below `end` to storage, the checkpoint after them; those from `end` on are counted as left out. */
  async #addBelow(end: bigint, entries: readonly ChangelogEntry[], nextOffset: string): Promise<void> {
    let below = entries.length;
    while (below > 0 && BigInt(entries[below - 1]!.offset) >= end) below -= 1;
    this.#beyond += entries.length - below;
    for (let i = below; i < entries.length; i += 1) {
      const { key } = entries[i]!;
      if (!isMarkerKey(key)) this.#beyondKeys.set(key.toString('latin1'), key);
    }
    if (below === 0) return;
    if (BigInt(entries[below - 1]!.offset) === end - 1n) this.#markerRead = true;
    const next = BigInt(nextOffset);
    await this.#storage.write(below === entries.length ? entries : entries.slice(0, below), (next < end ? next : end).toString());
  }

  /**
   * The restore read its whole range. The known last marker goes to storage if the restore did
   * not read it: compaction removed it meanwhile (a newer one came after the range), and the
   * entries before it, applied, would otherwise be held under an older marker, and their chunk
   * run again over them.
   */
  async finish(): Promise<void> {
    const marker = this.#known?.marker;
    if (marker === undefined || this.#markerRead) return;
    await this.#storage.write([marker], this.#known!.end.toString());
  }

  /** Entries after the changelog's last marker, left out of the store. */
  get leftOut(): number {
    return this.#tail.length + this.#beyond;
  }

  /**
   * The keys of the entries left out, by id (markers aside). They stay in the changelog, and a
   * later marker (the chunk run again ends at another input offset than the one cut short)
   * would have a later restore apply them: the stage's next changelog of the partition carries
   * each key's restored value after them (`OpenStore.unsealed`).
   */
  leftOutKeys(): Map<string, Buffer> {
    const keys = new Map(this.#beyondKeys);
    for (const { key } of this.#tail) if (!isMarkerKey(key)) keys.set(key.toString('latin1'), key);
    return keys;
  }
}
