import { GenericContainer, Network, Wait } from 'testcontainers';
import { containerImages } from '../../src/cli/stack/images.ts';

/**
 * The same services as docker-compose.yml, for machines with a Docker engine. Containers are
 * removed by testcontainers' reaper when the test run ends.
 */
export async function startContainerStack(): Promise<Record<string, string>> {
  const network = await new Network().start();
  const postgres = await new GenericContainer(containerImages.postgres)
    .withNetwork(network)
    .withNetworkAliases('postgres')
    .withEnvironment({ POSTGRES_USER: 'bridge', POSTGRES_DB: 'bridge', POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCopyContentToContainer([{ content: 'CREATE DATABASE registry;\n', target: '/docker-entrypoint-initdb.d/registry.sql' }])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const redis = await new GenericContainer(containerImages.redis).withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)).start();
  // Kafka advertises the host port it is mapped to, so it is fixed rather than random.
  const kafkaPort = 29092;
  const kafka = await new GenericContainer(containerImages.kafka)
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const registry = await new GenericContainer(containerImages.registry)
    .withNetwork(network)
    .withEnvironment({
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL: 'jdbc:postgresql://postgres:5432/registry',
      APICURIO_DATASOURCE_USERNAME: 'bridge',
      APICURIO_DATASOURCE_PASSWORD: 'trust-auth',
      APICURIO_CCOMPAT_USE_CANONICAL_HASH: 'true',
    })
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
    .start();
  const registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  const rule = await fetch(`${registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: 'BACKWARD_TRANSITIVE' }),
  });
  if (!rule.ok) throw new Error(`registry refused the global compatibility rule: ${rule.status}`);
  return {
    KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    SCHEMA_REGISTRY_URL: registryUrl,
    DATABASE_URL: `postgres://bridge@${postgres.getHost()}:${postgres.getMappedPort(5432)}/bridge`,
    REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
  };
}
