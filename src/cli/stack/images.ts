/**
 * Container images matching the native stack's versions; docker-compose.yml uses the same tags.
 * Keep these, stack/pom.xml and the Apicurio release in services/registry.ts in step.
 */
export const containerImages = {
  kafka: 'apache/kafka:4.1.1',
  registry: 'apicurio/apicurio-registry:3.3.3',
  postgres: 'postgres:15',
  redis: 'redis:7.0',
} as const;
