import type { Admin } from 'kafkajs';
import { ConfigError } from '../config/index.ts';
import type { Logger } from '../obs/logger.ts';
import { waitFor } from '../app/wait-for.ts';
import { isKafkaUnavailable } from '../streams/kafka-unavailable.ts';
import { topicMessageLimits } from '../operators/topics-create.ts';
import { rawTopicMessageBytes } from '../topic-limits.ts';

/**
 * The raw topics cannot hold the largest body the ingress accepts. A configuration error (exit 78)
 * with one line that says what to change, because starting would answer such bodies 413 forever.
 */
export class RawTopicLimitError extends ConfigError {
  constructor(line: string) {
    super([line]);
    this.name = 'RawTopicLimitError';
    this.message = line;
  }
}

/** Raw topics are missing or Kafka did not answer: wait for them, as for any dependency. */
class NotYetError extends Error {}

/**
 * Reads the raw topics' `max.message.bytes` and returns the smallest, once each is at least what
 * a body of `maxBodyBytes` needs; rejects with RawTopicLimitError when one is smaller. Waits for
 * Kafka and for the topics (`bridge topics create` may still be running) with a logged backoff.
 */
export async function checkRawTopicLimits(
  admin: Pick<Admin, 'connect' | 'listTopics' | 'describeConfigs'>,
  rawTopics: readonly string[],
  maxBodyBytes: number,
  log: Logger,
): Promise<number> {
  return waitFor(async () => {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = rawTopics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new NotYetError(`raw topics missing (${missing.join(', ')}): run \`bridge topics create\``);
    const limits = await topicMessageLimits(admin, rawTopics);
    const needed = rawTopicMessageBytes(maxBodyBytes);
    const short = rawTopics.filter((topic) => (limits.get(topic) ?? 0) < needed);
    if (short.length > 0) {
      const first = short[0]!;
      const more = short.length > 1 ? ` (and ${short.length - 1} more)` : '';
      throw new RawTopicLimitError(
        `INGRESS_MAX_BODY_BYTES=${maxBodyBytes} needs max.message.bytes >= ${needed} on the raw topics, but ${first} allows ${limits.get(first) ?? 'nothing'}${more}: run \`bridge topics create\` or lower INGRESS_MAX_BODY_BYTES`,
      );
    }
    return Math.min(...rawTopics.map((topic) => limits.get(topic)!));
  }, {
    log,
    dependency: 'kafka',
    what: "to read the raw topics' record limits",
    // Missing topics and a Kafka that does not answer are waited for; a topic too small, an
    // authorization failure or any answer no retry changes stops the start with its reason.
    isUnavailable: (error) => error instanceof NotYetError || isKafkaUnavailable(error),
  });
}
