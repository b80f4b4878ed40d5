import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger.ts';

/**
 * kafkajs lines through pino. kafkajs logs retriable broker answers (a coordinator still loading,
 * a routine rebalance) at ERROR; they are warnings for us, so normal operation has no ERROR lines.
 */
export function kafkaLogs(log: Logger): logCreator {
  return () => ({ namespace, level, log: entry }) => {
    const line = { namespace, broker: entry.broker, groupId: entry.groupId, error: entry.error };
    if (level <= logLevel.WARN) log.warn(line, entry.message);
    else log.debug(line, entry.message);
  };
}
