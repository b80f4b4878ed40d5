import type { Kafka } from 'kafkajs';
import { createLogger } from '../../src/obs/logger.ts';
import type { CommitterOptions } from '../../src/streams/committers.ts';
import { StreamEvents } from '../../src/streams/index.ts';
import { runnerDefaults } from '../../src/streams/runner-defaults.ts';

/** A committer's options for unit tests over a scripted client: the runner's defaults, silent, one instance. */
export function testCommitterOptions(kafka: Kafka, overrides: Partial<CommitterOptions> = {}): CommitterOptions {
  return {
    kafka,
    ...runnerDefaults,
    commitOffsets: async () => {},
    stopping: () => false,
    topology: 'test',
    groupId: 'bridge.test',
    transactionalIdPrefix: 'bridge',
    instanceId: 'pod-a',
    events: new StreamEvents(),
    log: createLogger({ level: 'silent' }),
    ...overrides,
  };
}
