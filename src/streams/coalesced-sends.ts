import type { Message, RecordMetadata, TopicMessages } from 'kafkajs';
import { mergedRequestMaxBytes, runAt } from './record-bytes.ts';

type Send = (topicMessages: TopicMessages[]) => Promise<RecordMetadata[]>;

interface Waiting {
  readonly topicMessages: readonly TopicMessages[];
  readonly bytes: number;
  readonly resolve: (written: RecordMetadata[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Sends of chunks handled at once (different input partitions) share one produce request. An
 * idempotent kafkajs producer keeps one request in flight, so a send waited for the one before it
 * anyway; now whatever queued meanwhile goes in the next request together. At a steady trickle
 * this turns a produce request per partition per fetch into one per round trip, which is most of
 * the broker's and the client's cost per record at low load.
 *
 * With a linger, the first send of a quiet spell waits that long for the other chunks of its
 * fetch (Kafka's linger.ms): they finish within a few ms of each other, and the first otherwise
 * went alone.
 *
 * A request carries at most about 1 MiB (mergedRequestMaxBytes); what does not fit goes next.
 *
 * Each caller learns the outcome of the request that carried its records: a failed request fails
 * every chunk in it, and each is retried as it would have been alone (nothing is acknowledged
 * that the broker did not take).
 */
export class CoalescedSends {
  readonly #send: Send;
  readonly #lingerMs: number;
  #waiting: Waiting[] = [];
  #busy = false;
  #lingering: NodeJS.Timeout | undefined;
  /** A drain is due at the end of this turn (a send without linger). */
  #soon = false;

  constructor(send: Send, lingerMs = 0) {
    this.#send = send;
    this.#lingerMs = lingerMs;
  }

  /**
   * Queues records of `bytes` (recordBytes) for the next request and resolves with the metadata
   * of the whole request that carried them. A send should not pass mergedRequestMaxBytes (cut it
   * with runsOfBytes): a larger one goes alone, and its batch for one partition could pass the
   * topic's max.message.bytes.
   *
   * `linger: false`: the records go in the next request without waiting for others, together with
   * whatever is queued by the end of this turn of the event loop (and ends a linger under way). A
   * chunk's changelog follows its outputs' acknowledgement, which the chunks of a fetch get from
   * one response: they queue in the same turn, and lingering again delayed each one by the linger.
   */
  send(topicMessages: readonly TopicMessages[], bytes: number, options: { readonly linger?: boolean } = {}): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ topicMessages, bytes, resolve, reject });
      if (this.#busy) return;
      const linger = options.linger ?? true;
      if (!linger && this.#lingering !== undefined) {
        clearTimeout(this.#lingering);
        this.#lingering = undefined;
      }
      if (this.#lingering !== undefined || this.#soon) return;
      if (!linger) {
        this.#soon = true;
        setImmediate(() => {
          this.#soon = false;
          if (!this.#busy) void this.#drain();
        });
      } else if (this.#lingerMs <= 0) void this.#drain();
      else {
        this.#lingering = setTimeout(() => {
          this.#lingering = undefined;
          if (!this.#busy) void this.#drain();
        }, this.#lingerMs);
      }
    });
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    while (this.#waiting.length > 0) {
      // Up to mergedRequestMaxBytes per request: merged, one partition's batch could pass the topic's limit.
      const batch = runAt(this.#waiting, 0, (waiting) => waiting.bytes, mergedRequestMaxBytes).items;
      this.#waiting.splice(0, batch.length);
      try {
        const written = await this.#send(merged(batch));
        for (const waiting of batch) waiting.resolve(written);
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.#busy = false;
  }
}

/** One list per topic, each caller's records in its order. */
function merged(batch: readonly Waiting[]): TopicMessages[] {
  if (batch.length === 1) return [...batch[0]!.topicMessages];
  const byTopic = new Map<string, Message[]>();
  for (const waiting of batch) {
    for (const { topic, messages } of waiting.topicMessages) {
      const list = byTopic.get(topic);
      if (!list) byTopic.set(topic, [...messages]);
      else for (const message of messages) list.push(message);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
