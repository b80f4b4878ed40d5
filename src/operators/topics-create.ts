import kafkajs, { type Admin } from 'kafkajs';
import { setTopicOverride } from '../streams/topic-overrides.ts';

// kafkajs is CommonJS and these enums are not among the names Node can import from it.
const { ConfigResourceTypes } = kafkajs;

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  /** ms; -1 keeps records forever. */
  retentionMs: number;
  /** Dead letters wait for an operator, so they usually get a longer retention. */
  dlqRetentionMs: number;
  compression: string;
  /** The largest record a topic must accept, in bytes (its `max.message.bytes`); see src/topic-limits.ts. */
  maxMessageBytes: (topic: string) => number;
}

export interface TopicReport {
  topic: string;
  status: 'created' | 'exists';
  partitions: number;
  /** The topic's `max.message.bytes` after the run. */
  maxMessageBytes: number;
  /** Set when an existing topic differs from the configuration: what was changed or left alone. */
  note?: string;
}

const isDeadLetterTopic = (topic: string) => topic.startsWith('dlq.');
const maxMessageBytesName = 'max.message.bytes';

/** The topics' `max.message.bytes` (their own, or the broker's default they inherit). */
export async function topicMessageLimits(admin: Pick<Admin, 'describeConfigs'>, names: readonly string[]): Promise<Map<string, number>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [maxMessageBytesName] })),
  });
  const limits = new Map<string, number>();
  for (const resource of resources) {
    const entry = resource.configEntries.find((e) => e.configName === maxMessageBytesName);
    if (entry !== undefined) limits.set(resource.resourceName, Number(entry.configValue));
  }
  return limits;
}

/**
 * Creates the topics that are missing and reports the rest. Existing topics keep their
 * partitions (adding some would move keys to other partitions and break per-user order); the
 * only change made to them is raising a record limit that is too small, which moves nothing.
 */
export async function createTopics(admin: Admin, names: readonly string[], settings: TopicSettings): Promise<TopicReport[]> {
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((name) => !existing.has(name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: settings.partitions,
        replicationFactor: settings.replicationFactor,
        configEntries: [
          { name: 'retention.ms', value: String(isDeadLetterTopic(topic) ? settings.dlqRetentionMs : settings.retentionMs) },
          { name: 'compression.type', value: settings.compression },
          { name: maxMessageBytesName, value: String(settings.maxMessageBytes(topic)) },
        ],
      })),
    });
  }
  const limits = await topicMessageLimits(admin, names);
  const raised = new Map<string, number>();
  for (const topic of names.filter((name) => existing.has(name))) {
    const wanted = settings.maxMessageBytes(topic);
    const current = limits.get(topic) ?? 0;
    if (current >= wanted) continue;
    await setTopicOverride(admin, topic, maxMessageBytesName, String(wanted));
    raised.set(topic, current);
    limits.set(topic, wanted);
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [...names] });
  const partitionsOf = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  return names.map((topic) => {
    const partitions = partitionsOf.get(topic) ?? 0;
    const status = missing.includes(topic) ? 'created' : 'exists';
    const notes: string[] = [];
    if (status === 'exists' && partitions < settings.partitions) {
      notes.push(`has ${partitions} partition(s), config asks for ${settings.partitions}; left unchanged`);
    }
    const before = raised.get(topic);
    if (before !== undefined) notes.push(`max.message.bytes raised from ${before} to ${limits.get(topic)}`);
    return { topic, status, partitions, maxMessageBytes: limits.get(topic) ?? 0, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
  });
}
