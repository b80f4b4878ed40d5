import { keyOf, type PartitionRef } from './events.ts';

export interface PartitionOffset extends PartitionRef {
  /** The next offset to read. */
  readonly offset: string;
}

export type CommitOffsets = (offsets: readonly PartitionOffset[]) => Promise<void>;

interface OffsetScheduleOptions {
  /** At most one commit per this many ms; 0 commits every chunk's offset at once. */
  readonly intervalMs: number;
  /** The consumer's own commit, used by the timer and by `flush()` without an argument. */
  readonly commit: CommitOffsets;
  readonly onCommitted: (offsets: readonly PartitionOffset[]) => void;
  readonly onTimerError: (error: unknown) => void;
}


/**
 * at-least-once: input offsets whose outputs are acknowledged, committed together at most once per
 * interval (Kafka Streams' commit.interval.ms) instead of one OffsetCommit per chunk per partition.
 * An offset is only ever added once its outputs are durable, so a crash replays at most an
 * interval of input and loses nothing. Commits run one after another, so a later offset of a
 * partition is never overtaken by an earlier one.
 */
export class OffsetSchedule {
  readonly #options: OffsetScheduleOptions;
  readonly #pending = new Map<string, PartitionOffset>();
  #lastCommit = Date.now();
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: OffsetScheduleOptions) {
    this.#options = options;
  }

  /** Starts the timer that commits what is pending when no chunk came to do it. */
  start(): void {
    if (this.#options.intervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#pending.size > 0 && Date.now() - this.#lastCommit >= this.#options.intervalMs) this.flush().catch(this.#options.onTimerError);
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Marks `offset` durable and commits everything pending through `commit` when the interval has
   * passed or `now` asks for it (a stopping consumer).
   */
  async add(offset: PartitionOffset, commit: CommitOffsets, now: boolean): Promise<void> {
    this.#pending.set(keyOf(offset), offset);
    if (now || Date.now() - this.#lastCommit >= this.#options.intervalMs) await this.flush(commit);
  }

  /** Commits every pending offset in one request; a failed commit leaves them pending. */
  flush(commit: CommitOffsets = this.#options.commit): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#pending.size === 0) return;
      const offsets = [...this.#pending.values()];
      this.#pending.clear();
      this.#lastCommit = Date.now();
      try {
        await commit(offsets);
      } catch (error) {
        for (const offset of offsets) if (!this.#pending.has(keyOf(offset))) this.#pending.set(keyOf(offset), offset);
        throw error;
      }
      this.#options.onCommitted(offsets);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * After a rebalance: forget offsets of partitions this instance no longer owns, so a late commit
   * never moves back an offset the new owner has moved on (the new owner replays them instead).
   */
  keepOnly(owned: readonly PartitionRef[]): void {
    const keep = new Set(owned.map(keyOf));
    for (const key of this.#pending.keys()) if (!keep.has(key)) this.#pending.delete(key);
  }
}
