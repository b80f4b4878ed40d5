import type { Admin } from 'kafkajs';

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  /** ms; -1 keeps records forever. */
  retentionMs: number;
  /** Dead letters wait for an operator, so they usually get a longer retention. */
  dlqRetentionMs: number;
  compression: string;
}

export interface TopicReport {
  topic: string;
  status: 'created' | 'exists';
  partitions: number;
  /** Set when an existing topic has fewer partitions than configured; we never change it. */
  note?: string;
}

const isDeadLetterTopic = (topic: string) => topic.startsWith('dlq.');

/**
 * Creates the topics that are missing and reports the rest. Existing topics are never altered:
 * adding partitions would move keys to other partitions and break per-user order.
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
        ],
      })),
    });
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [...names] });
  const partitionsOf = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  return names.map((topic) => {
    const partitions = partitionsOf.get(topic) ?? 0;
    const status = missing.includes(topic) ? 'created' : 'exists';
    const note =
      status === 'exists' && partitions < settings.partitions
        ? `has ${partitions} partition(s), config asks for ${settings.partitions}; left unchanged`
        : undefined;
    return { topic, status, partitions, ...(note ? { note } : {}) };
  });
}
