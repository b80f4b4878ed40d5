import kafkajs, { type Admin } from 'kafkajs';
import type { Logger } from '../obs/logger.ts';
import { errorName } from '../streams/index.ts';

// kafkajs is CommonJS: its enums come through the default export only.
const { ConfigResourceTypes } = kafkajs;
const setting = 'group.initial.rebalance.delay.ms';

/** The broker's `group.initial.rebalance.delay.ms`, read from the first broker the cluster lists. */
export async function readGroupJoinDelayMs(admin: Admin): Promise<number | undefined> {
  const broker = (await admin.describeCluster()).brokers[0];
  if (!broker) return undefined;
  const answer = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(broker.nodeId), configNames: [setting] }] });
  const value = answer.resources[0]?.configEntries.find((entry) => entry.configName === setting)?.configValue;
  return value === undefined ? undefined : Number(value);
}

/** What to tell the operator about a delay of `delayMs`, or nothing when there is none. */
export function groupJoinDelayWarning(delayMs: number | undefined, reads: string): string | undefined {
  if (delayMs === undefined || !(delayMs > 0)) return undefined;
  return `the broker holds back a new consumer group's first join by ${delayMs} ms (${setting}), so each ${reads} waits that long; set it to 0 on the brokers (docs/operations.md, Topics)`;
}

/**
 * Warns when the broker holds back the first join of a new consumer group (Kafka's default is
 * 3 s). A state restore and a push replay each read through a group of their own, so each waits
 * that long: a 100-entry restore took 32–69 ms with the setting at 0 and 3.1–3.2 s at 3,000.
 * Best effort: a broker that does not let us read its configuration gets no warning.
 */
export async function warnOfGroupJoinDelay(admin: Admin, log: Logger, reads: string): Promise<void> {
  try {
    const delayMs = await readGroupJoinDelayMs(admin);
    const warning = groupJoinDelayWarning(delayMs, reads);
    if (warning) log.warn({ [setting]: delayMs }, warning);
  } catch (error) {
    log.debug({ error: errorName(error) }, `could not read the broker's ${setting}`);
  }
}
