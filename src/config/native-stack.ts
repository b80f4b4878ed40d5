// Loopback endpoints of the stack `bridge stack up` runs. Ports sit away from the services'
// usual ones so a system Kafka, Postgres or Redis on the same machine is never touched.
export const nativeStack = {
  kafkaPort: 19092,
  kafkaControllerPort: 19093,
  registryPort: 18081,
  postgresPort: 15432,
  redisPort: 16379,
} as const;

export const nativeEndpoints = {
  kafkaBrokers: `127.0.0.1:${nativeStack.kafkaPort}`,
  schemaRegistryUrl: `http://127.0.0.1:${nativeStack.registryPort}/apis/ccompat/v7`,
  databaseUrl: `postgres://bridge@127.0.0.1:${nativeStack.postgresPort}/bridge`,
  redisUrl: `redis://127.0.0.1:${nativeStack.redisPort}`,
} as const;

/** The variables that, when all four are set, point the project at an existing stack. */
export const endpointVariables = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'DATABASE_URL',
  'REDIS_URL',
] as const;

export function usesExternalStack(env: NodeJS.ProcessEnv = process.env): boolean {
  return endpointVariables.every((name) => (env[name] ?? '').trim() !== '');
}
