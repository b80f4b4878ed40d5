import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type ConsumerConfig } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { createRegistryClient, registrySchemaStore, type RegistryClient } from '../../src/schemas/index.ts';
import { createPostgresPool } from '../../src/sink/index.ts';
import type { AvroSchemaStore } from '../../src/streams/index.ts';

/** The endpoints the test runner exported (native stack, containers or the user's own). */
export const config = loadConfig();

/** Fresh names per test, so tests never see each other's records or groups. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Fetch wait of the tests' own readers, ms: a reader's disconnect waits for its fetch in flight,
 * and a test stops many readers.
 */
export const testFetchWaitMs = 100;

/** A test's own reader, fetching with `testFetchWaitMs` so that stopping it is quick. */
export function testConsumer(kafka: Kafka, config: Omit<ConsumerConfig, 'maxWaitTimeInMs'>): Consumer {
  return kafka.consumer({ ...config, maxWaitTimeInMs: testFetchWaitMs });
}

export function kafkaClient(clientId = unique('test')): Kafka {
  return new Kafka({ clientId, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
}

export async function createTopics(admin: Admin, topics: string[], numPartitions = 1): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions })) });
}

/** A third-party registry client, for tests that check our wire format independently. */
export function registry(): SchemaRegistry {
  return new SchemaRegistry({ host: config.SCHEMA_REGISTRY_URL });
}

/** The project's own registry client. */
export function registryClient(): RegistryClient {
  return createRegistryClient(config.SCHEMA_REGISTRY_URL);
}

/** The schema store the stages use in production, on the real registry. */
export function schemaStore(): AvroSchemaStore {
  return registrySchemaStore(registryClient());
}

/** The project's pool factory, so a test survives an idle connection being cut like a stage does. */
export function pgPool(): pg.Pool {
  return createPostgresPool({ connectionString: config.DATABASE_URL, max: 4, logger: createLogger({ level: 'warn', name: 'test' }), applicationName: 'biometric-bridge-test' });
}

export function redis(): Redis {
  return new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
}
