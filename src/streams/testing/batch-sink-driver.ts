import { writeChunk, type BatchSink } from '../batch-sink.ts';
import { StreamEvents } from '../events.ts';
import type { RetryOptions } from '../error-policy.ts';
import { decodeHeaders, type OutgoingRecord, type RawRecord } from '../record.ts';
import type { Serde } from '../serdes.ts';
import type { DeadLetter, TestInput } from './driver.ts';

/**
 * Runs a batch sink in memory: pipe records, then `flush()` writes them as one chunk exactly as
 * the Kafka runner would, and commits its offset unless a dependency was unavailable (then the
 * records stay pending, as the runner re-reads them after the pause).
 */
export class BatchSinkTestDriver<K, V> {
  readonly sink: BatchSink<K, V>;
  readonly events = new StreamEvents();
  readonly #retry: Partial<RetryOptions>;
  readonly #now: () => number;
  #pending: RawRecord[] = [];
  readonly #deadLetters: OutgoingRecord[] = [];
  readonly #committed = new Map<string, string>();
  readonly #offsets = new Map<string, number>();

  constructor(sink: BatchSink<K, V>, options: { retry?: Partial<RetryOptions>; now?: () => number } = {}) {
    this.sink = sink;
    this.#retry = { initialDelayMs: 0, maxDelayMs: 0, ...options.retry };
    this.#now = options.now ?? Date.now;
  }

  inputTopic<KI, VI>(topic: string, key: Serde<KI>, value: Serde<VI>): { pipe(record: TestInput<KI, VI>): Promise<void> } {
    return {
      pipe: async (record) => {
        const partition = record.partition ?? 0;
        this.pipeRaw({
          topic,
          partition,
          offset: String(this.#nextOffset(`${topic}/${partition}`)),
          timestamp: record.timestamp ?? this.#now(),
          key: record.key === undefined ? null : await key.serialize(record.key, topic),
          value: await value.serialize(record.value, topic),
          headers: { ...record.headers },
        });
      },
    };
  }

  /** Queues bytes as they would sit in Kafka (for malformed-input tests). */
  pipeRaw(raw: RawRecord): void {
    this.#pending.push(raw);
  }

  /**
   * Writes everything pending in chunks per partition, at most the writer's maxBatchRecords each,
   * as the runner does; rejects with DependencyUnavailableError when the runner would pause.
   */
  async flush(): Promise<{ written: number }> {
    let written = 0;
    const chunkSize = this.sink.writer.maxBatchRecords ?? 2_000;
    const byPartition = new Map<string, RawRecord[]>();
    for (const raw of this.#pending) {
      const key = `${raw.topic}/${raw.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), raw]);
    }
    const chunks = [...byPartition].flatMap(([key, records]) =>
      Array.from({ length: Math.ceil(records.length / chunkSize) }, (_, i) => [key, records.slice(i * chunkSize, (i + 1) * chunkSize)] as const),
    );
    for (const [key, chunk] of chunks) {
      const outcome = await writeChunk(this.sink, chunk, { retry: this.#retry, events: this.events, now: this.#now });
      if (outcome.kind === 'unavailable') throw outcome.error;
      this.#deadLetters.push(...outcome.deadLetters);
      this.#committed.set(key, outcome.nextOffset);
      this.#pending = this.#pending.filter((raw) => !chunk.includes(raw));
      written += outcome.written;
    }
    return { written };
  }

  /** The next offset to read, committed after the last successful flush (undefined before). */
  committedOffset(topic: string, partition = 0): string | undefined {
    return this.#committed.get(`${topic}/${partition}`);
  }

  pendingCount(): number {
    return this.#pending.length;
  }

  deadLetters(): DeadLetter[] {
    return this.#deadLetters.map((out) => {
      const headers = decodeHeaders(out.headers);
      return { key: out.key, value: out.value, headers, reason: headers['dlq-reason'] ?? '', detail: headers['dlq-detail'] ?? '' };
    });
  }

  #nextOffset(partition: string): number {
    const next = this.#offsets.get(partition) ?? 0;
    this.#offsets.set(partition, next + 1);
    return next;
  }
}
