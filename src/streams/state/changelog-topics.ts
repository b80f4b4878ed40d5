import type { Admin } from 'kafkajs';
import type { StateStoreSpec } from './spec.ts';

/** Topic settings of every changelog: compacted, so the latest value per key is kept for ever. */
export const changelogConfig = { 'cleanup.policy': 'compact' } as const;

/**
 * Creates missing changelog topics with as many partitions as the widest source topic (input
 * partition n writes changelog partition n), and refuses to start on one with fewer partitions.
 */
export async function ensureChangelogTopics(admin: Admin, stores: readonly StateStoreSpec[], sourceTopics: ReadonlyArray<string | RegExp>, replicationFactor?: number): Promise<void> {
  if (stores.length === 0) return;
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
  if (present.length === 0) return;
  for (const topic of (await admin.fetchTopicMetadata({ topics: present })).topics) {
    if (topic.partitions.length < partitions) throw new Error(`changelog ${topic.name} has ${topic.partitions.length} partitions, the input ${partitions}: add partitions to it before starting`);
  }
}
