import { keyOf, type PartitionRef } from './events.ts';


/**
 * Work on one partition runs one piece at a time (kafkajs' batches and the runner's own commits
 * of positions past transaction markers), and the last offset committed per partition is known,
 * so a late commit never moves a partition's offset back.
 */
export class PartitionWork {
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #committed = new Map<string, bigint>();
  readonly #turnOf: (ref: PartitionRef) => string;

  /**
   * `byPartitionNumber`: the partitions of every topic with the same number take turns, as a
   * topology with state stores needs when it reads several topics: their partition n share the
   * stores' partition n, and two chunks at once each read the committed values and lost one
   * another's updates.
   */
  constructor(options: { readonly byPartitionNumber?: boolean } = {}) {
    this.#turnOf = options.byPartitionNumber ? (ref) => String(ref.partition) : keyOf;
  }

  /** Runs `work` after everything queued before on the same partition (or partition number). */
  run<T>(ref: PartitionRef, work: () => Promise<T>): Promise<T> {
    const key = this.#turnOf(ref);
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Commits through `commit` (inside the partition's current work) and remembers the offset. */
  async commit(ref: PartitionRef, nextOffset: string, commit: () => Promise<void>): Promise<void> {
    await commit();
    this.#committed.set(keyOf(ref), BigInt(nextOffset));
  }

  /** Queues a commit of `nextOffset` that runs only if it is ahead of the last one and `owned()` still holds. */
  commitIfAhead(ref: PartitionRef, nextOffset: string, owned: () => boolean, commit: () => Promise<void>): Promise<void> {
    return this.run(ref, async () => {
      if (!owned() || BigInt(nextOffset) <= (this.#committed.get(keyOf(ref)) ?? -1n)) return;
      await this.commit(ref, nextOffset, commit);
    });
  }

  /** Resolves once no work is queued on any partition. */
  async idle(): Promise<void> {
    await Promise.all(this.#tails.values());
  }
}
