import { createLogger, type Logger } from '../../obs/logger.ts';
import { deadLetterFor } from '../dead-letter.ts';
import { ErrorPolicy, type RetryOptions } from '../error-policy.ts';
import { StreamEvents } from '../events.ts';
import { decodeHeaders, type OutgoingRecord, type RawRecord } from '../record.ts';
import type { Serde } from '../serdes.ts';
import type { Topology } from '../topology.ts';

export interface DriverOptions {
  log?: Logger;
  /** Retries without real waiting by default; set to test backoff behaviour. */
  retry?: Partial<RetryOptions>;
  /** Clock for `dlq-failed-at` and default timestamps. */
  now?: () => number;
}

export interface TestInput<K, V> {
  key?: K;
  value: V;
  headers?: Record<string, string>;
  timestamp?: number;
  partition?: number;
}

export interface TestOutput<K, V> {
  key: K;
  value: V;
  headers: Record<string, string>;
  timestamp: number;
  partition: number;
  offset: string;
}

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
  detail: string;
}

/**
 * Runs a topology in memory, as Kafka Streams' TopologyTestDriver does: pipe records into a
 * source topic, read what sinks and the dead-letter path wrote. The same graph execution and
 * error policy as the Kafka runner; a DependencyUnavailableError rejects `pipe` (the runner
 * would pause the partition and try the record again later).
 */
export class TopologyTestDriver {
  readonly topology: Topology;
  /** Lifecycle events (`retried`, `dead-lettered`) as the runner emits them. */
  readonly events = new StreamEvents();
  readonly #policy: ErrorPolicy;
  readonly #now: () => number;
  readonly #topics = new Map<string, OutgoingRecord[]>();
  readonly #read = new Map<string, number>();
  readonly #offsets = new Map<string, number>();

  constructor(topology: Topology, options: DriverOptions = {}) {
    this.topology = topology;
    this.#now = options.now ?? Date.now;
    this.#policy = new ErrorPolicy(topology, {
      retry: { initialDelayMs: 0, maxDelayMs: 0, ...options.retry },
      log: options.log ?? createLogger({ level: 'silent' }),
      events: this.events,
    });
  }

  inputTopic<K, V>(topic: string, key: Serde<K>, value: Serde<V>): { pipe(record: TestInput<K, V>): Promise<void> } {
    return {
      pipe: async (record) => {
        const raw: RawRecord = {
          topic,
          partition: record.partition ?? 0,
          offset: String(this.#nextOffset(`${topic}/${record.partition ?? 0}`)),
          timestamp: record.timestamp ?? this.#now(),
          key: record.key === undefined ? null : await key.serialize(record.key, topic),
          value: await value.serialize(record.value, topic),
          headers: { ...record.headers },
        };
        await this.pipeRaw(raw);
      },
    };
  }

  /** Pipes bytes as they would sit in Kafka (for malformed-input tests). */
  async pipeRaw(raw: RawRecord): Promise<void> {
    const outcome = await this.#policy.process(raw);
    if (outcome.kind === 'unavailable') throw outcome.error;
    if (outcome.kind === 'processed') {
      for (const out of outcome.outputs) this.#append(out);
      return;
    }
    this.events.emit('dead-lettered', { topology: this.topology.name, topic: raw.topic, partition: raw.partition, offset: raw.offset, node: outcome.node, reason: outcome.reason, attempts: outcome.attempts });
    this.#append(deadLetterFor(raw, outcome, this.topology.deadLetterTopic, this.#now()));
  }

  outputTopic<K, V>(topic: string, key: Serde<K>, value: Serde<V>): { readRecords(): Promise<TestOutput<K, V>[]>; isEmpty(): boolean } {
    return {
      /** Records written since the last read, decoded. */
      readRecords: async () => {
        const all = this.#topics.get(topic) ?? [];
        const from = this.#read.get(topic) ?? 0;
        this.#read.set(topic, all.length);
        return Promise.all(
          all.slice(from).map(async (out, i) => ({
            key: await key.deserialize(out.key, topic),
            value: await value.deserialize(out.value, topic),
            headers: decodeHeaders(out.headers),
            timestamp: out.timestamp,
            partition: 0,
            offset: String(from + i),
          })),
        );
      },
      isEmpty: () => (this.#topics.get(topic)?.length ?? 0) <= (this.#read.get(topic) ?? 0),
    };
  }

  /** Every dead letter written so far, with its reason. */
  deadLetters(): DeadLetter[] {
    return (this.#topics.get(this.topology.deadLetterTopic) ?? []).map((out) => {
      const headers = decodeHeaders(out.headers);
      return { key: out.key, value: out.value, headers, reason: headers['dlq-reason'] ?? '', detail: headers['dlq-detail'] ?? '' };
    });
  }

  /** Names of every topic something was written to. */
  writtenTopics(): string[] {
    return [...this.#topics.keys()];
  }

  #append(out: OutgoingRecord): void {
    const list = this.#topics.get(out.topic) ?? [];
    list.push(out);
    this.#topics.set(out.topic, list);
  }

  #nextOffset(partition: string): number {
    const next = this.#offsets.get(partition) ?? 0;
    this.#offsets.set(partition, next + 1);
    return next;
  }
}
