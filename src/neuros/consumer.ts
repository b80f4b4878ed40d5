import type { Schema } from 'avsc';
import type { Consumer, Kafka } from 'kafkajs';
import type { EnrichedBiometricEvent } from '../events/index.ts';
import { bridgeSchemas } from '../schemas/index.ts';
import { fetchMaxWaitMs, RecordError, serdes, type AvroSchemaStore } from '../streams/index.ts';
import { priorities, priorityTopic, type Priority } from '../topics.ts';

/** One routed event as NEUROS sees it: the decoded value plus the routing headers. */
export interface NeurosMessage {
  readonly priority: Priority;
  /** The user id (the record key). */
  readonly userId: string | null;
  readonly enriched: EnrichedBiometricEvent;
  /** Routing headers (priority, device_type, source, has_triggers, triggers) and upstream ones. */
  readonly headers: Readonly<Record<string, string>>;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface NeurosConsumerOptions {
  readonly kafka: Kafka;
  /** Where writer schemas are looked up by id: `registrySchemaStore(createRegistryClient(url))`. */
  readonly schemaStore: AvroSchemaStore;
  /** NEUROS's own consumer group; every group gets every routed event once. */
  readonly groupId: string;
  /** Which priority topics to read; all three by default. */
  readonly priorities?: readonly Priority[];
  /**
   * A new group starts at the oldest retained record unless this is false; then it starts at the
   * end of each partition as of its first fetch, just after the join.
   */
  readonly fromBeginning?: boolean;
  /** How long to wait for the first group join before giving up, in ms. */
  readonly joinTimeoutMs?: number; // thirty seconds
  /**
   * A name for this instance that stays the same across its restarts and differs between the
   * group's instances (a pod or host name). With it the consumer is a static member (KIP-345):
   * after its own crash or a broker restart it takes its partitions back at once. Without it, a
   * member that could not leave (the broker was down) keeps the group waiting for its session to
   * time out before anyone reads again: about 30 s after each broker restart in the fault soak.
   */
  readonly groupInstanceId?: string;
  /** How long the group waits for a member that stopped heartbeating, in ms. */
  readonly sessionTimeoutMs?: number; // thirty seconds
  /**
   * Called once per event, in order per user. The offset is committed only after it resolves,
   * so a crash redelivers (at-least-once): make it idempotent on `enriched.event.eventId` and
   * `receivedAt` (a later version of a vendor record keeps its eventId with a later receivedAt).
   */
  handle(message: NeurosMessage): Promise<void>;
  /**
   * A record that does not decode as EnrichedBiometricEvent (not from the bridge, or a schema the
   * registry does not have). It is skipped after this call; by default the error is thrown,
   * which stops the consumer on the record. A registry that does not answer is never reported
   * here: the record is retried.
   */
  onUndecodable?(info: { topic: string; partition: number; offset: string; error: Error }): void | Promise<void>;
}

export interface NeurosConsumer {
  stop(): Promise<void>;
}

const priorityOfTopic = new Map(priorities.map((p) => [priorityTopic(p), p]));

/**
 * Reads `neuros.priority.*` and hands each record to `handle` as a typed EnrichedBiometricEvent.
 * Values are decoded with the writer's schema from the registry and resolved into the schema this
 * code was built with, so events written by older or newer bridge versions read the same.
 */
export async function startNeurosConsumer(options: NeurosConsumerOptions): Promise<NeurosConsumer> {
  // The same Avro codec the stages use, so NEUROS reads exactly what route wrote.
  const values = serdes.avro<EnrichedBiometricEvent>({ store: options.schemaStore, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
  const topicsToRead = (options.priorities ?? priorities).map(priorityTopic);
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: fetchMaxWaitMs,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    ...(options.groupInstanceId === undefined ? {} : { groupInstanceId: options.groupInstanceId }),
  });
  // Resolving only once partitions are assigned means "started" really is reading, not still
  // joining. A group starting at the end positions each partition at its first fetch, so records
  // written in the same instant as the start may fall before that position.
  let joined!: () => void;
  const firstJoin = new Promise<void>((resolve) => (joined = resolve));
  const removeJoinListener = consumer.on(consumer.events.GROUP_JOIN, () => joined());
  const joinTimeoutMs = options.joinTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  // Armed before run(): kafkajs's run() itself waits for the first join.
  const joinTimeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no partitions assigned to ${options.groupId} within ${joinTimeoutMs} ms`)), joinTimeoutMs);
  });
  let running: Promise<void> | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topicsToRead, fromBeginning: options.fromBeginning ?? true });
    running = consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const position = { topic, partition, offset: message.offset };
        let enriched: EnrichedBiometricEvent;
        try {
          if (message.value === null) throw new RecordError('deserialization_failed', 'record has no value');
          enriched = await values.deserialize(message.value, topic);
        } catch (error) {
          // Only a record that can never decode is skipped; a registry that does not answer is
          // thrown, so kafkajs retries the record instead of losing it.
          if (!(error instanceof RecordError) || !options.onUndecodable) throw error;
          await options.onUndecodable({ ...position, error: error as Error });
          return;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const first = Array.isArray(value) ? value[0] : value;
          if (first !== undefined) headers[name] = first.toString();
        }
        await options.handle({
          ...position,
          priority: priorityOfTopic.get(topic) ?? enriched.priority,
          userId: message.key?.toString('utf8') ?? null,
          enriched,
          headers,
        });
      },
    });
    await Promise.race([running.then(() => firstJoin), joinTimeout]);
  } catch (error) {
    // A disconnect while kafkajs is still joining does not stop it: the join, once done, starts
    // fetching anyway. So the join ends first, either way.
    await running?.catch(() => undefined);
    await consumer.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
    removeJoinListener();
  }
  return { stop: () => consumer.disconnect() };
}
