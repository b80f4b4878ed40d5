import type { Admin } from 'kafkajs';
import { addMissingOverrides } from '../topic-overrides.ts';
import type { StateStoreSpec } from './spec.ts';

/**
 * Topic settings of every changelog: compacted, so the latest value per key is kept for ever.
 * Kafka never compacts a partition's active segment, and by default a segment stays active up to
 * 1 GiB or 7 days: a store written at every record kept each update for days, and a restore (a
 * new instance, one without local state, the memory backend) read all of them: 1.0M records of
 * enrich's baselines for 5,000 users after a few benchmark runs. A segment closes after 10 minutes
 * or 50 MiB here (what Kafka Streams gives its repartition topics), so a restore reads about each
 * key's latest value and the last minutes of updates.
 */
export const changelogConfig = { 'cleanup.policy': 'compact', 'segment.ms': '600000', 'segment.bytes': '52428800' } as const;

/** A changelog that existed without some of `changelogConfig` and got them. */
export interface ChangelogSettingsAdded {
  readonly topic: string;
  readonly settings: readonly string[];
}

/**
 * Creates missing changelog topics with as many partitions as the widest source topic (input
 * partition n writes changelog partition n), and refuses to start on one with fewer partitions.
 * An existing changelog gets the settings of `changelogConfig` it does not override (one created
 * before a setting was added here); its own values, an operator's included, stay.
 */
export async function ensureChangelogTopics(admin: Admin, stores: readonly StateStoreSpec[], sourceTopics: ReadonlyArray<string | RegExp>, replicationFactor?: number): Promise<ChangelogSettingsAdded[]> {
  if (stores.length === 0) return [];
  const existing = await admin.listTopics();
  const inputs = existing.filter((topic) => sourceTopics.some((t) => (typeof t === 'string' ? t === topic : new RegExp(t.source, t.flags).test(topic))));
  if (inputs.length === 0) throw new Error(`none of the source topics (${sourceTopics.map(String).join(', ')}) exists, so changelog partitions cannot be sized`);
  const metadata = await admin.fetchTopicMetadata({ topics: inputs });
  const partitions = Math.max(...metadata.topics.map((t) => t.partitions.length));
  const missing = stores.filter((s) => !existing.includes(s.changelogTopic));
  if (missing.length > 0) {
    await admin
      .createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.changelogTopic,
          numPartitions: partitions,
          ...(replicationFactor ? { replicationFactor } : {}),
          configEntries: Object.entries(changelogConfig).map(([name, value]) => ({ name, value })),
        })),
      })
      .catch((error: unknown) => {
        // Another instance may have created it a moment ago.
        if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
      });
  }
  const present = stores.filter((s) => existing.includes(s.changelogTopic)).map((s) => s.changelogTopic);
  if (present.length === 0) return [];
  for (const topic of (await admin.fetchTopicMetadata({ topics: present })).topics) {
    if (topic.partitions.length < partitions) throw new Error(`changelog ${topic.name} has ${topic.partitions.length} partitions, the input ${partitions}: add partitions to it before starting`);
  }
  const added: ChangelogSettingsAdded[] = [];
  for (const topic of present) {
    const settings = await addMissingOverrides(admin, topic, changelogConfig);
    if (settings.length > 0) added.push({ topic, settings });
  }
  return added;
}
