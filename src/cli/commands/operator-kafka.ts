import { Kafka, logLevel } from 'kafkajs';
import type { Env } from '../../config/index.ts';
import { OperatorError } from '../../operators/index.ts';

/** The Kafka client of an operator command; quiet, because the command prints its own lines. */
export function operatorKafka(config: Readonly<Env>): Kafka {
  return new Kafka({
    clientId: `${config.KAFKA_CLIENT_ID}.operator`,
    brokers: [...config.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  });
}

/**
 * Runs an operator action: a refusal prints its message alone and sets its exit code; anything
 * else goes on to the CLI's general handler.
 */
export async function refusable(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof OperatorError)) throw error;
    console.error(`bridge: ${error.message}`);
    process.exitCode = error.exitCode;
  }
}
