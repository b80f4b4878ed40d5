import type { Command } from 'commander';
import { loadConfig, type Env } from '../../config/index.ts';
import { createTopics, type TopicReport } from '../../operators/index.ts';
import { topicMessageBytes } from '../../topic-limits.ts';
import { allTopics } from '../../topics.ts';
import { operatorKafka } from './operator-kafka.ts';

/**
 * Creates every missing pipeline topic with the configured partitions, retention and compression,
 * and gives every topic a record limit that holds the ingress's largest body (INGRESS_MAX_BODY_BYTES).
 */
export async function createPipelineTopics(config: Readonly<Env>): Promise<TopicReport[]> {
  const admin = operatorKafka(config).admin();
  await admin.connect();
  try {
    return await createTopics(admin, allTopics(), {
      partitions: config.TOPIC_PARTITIONS,
      replicationFactor: config.TOPIC_REPLICATION_FACTOR,
      retentionMs: config.TOPIC_RETENTION_MS,
      dlqRetentionMs: config.DLQ_RETENTION_MS,
      compression: config.TOPIC_COMPRESSION,
      maxMessageBytes: (topic) => topicMessageBytes(config.INGRESS_MAX_BODY_BYTES, topic),
    });
  } finally {
    await admin.disconnect();
  }
}

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description('the pipeline topics of docs/design.md §2');

  topics
    .command('create')
    .description('create every pipeline topic that is missing (TOPIC_PARTITIONS, TOPIC_RETENTION_MS, TOPIC_COMPRESSION); existing ones are reported, and their max.message.bytes raised to fit INGRESS_MAX_BODY_BYTES')
    .action(async () => {
      const reports = await createPipelineTopics(loadConfig());
      for (const r of reports) {
        console.log(`${r.status.padEnd(8)} ${r.topic.padEnd(28)} ${r.partitions} partition(s), max.message.bytes ${r.maxMessageBytes}${r.note ? `  (${r.note})` : ''}`);
      }
      const created = reports.filter((r) => r.status === 'created').length;
      console.log(`${created} created, ${reports.length - created} already existed`);
    });
}
