/**
 * The one way to the schema registry: the project's .avsc files, the registry client, and the
 * Avro schema store every stage, operator command and the NEUROS consumer use.
 */
export { bridgeSchemas, loadSchemas, schemaDir, schemaFiles } from './load-schemas.ts';
export type { AvroSchemaJson, BridgeSchemas, LoadedSchema, SchemaName } from './load-schemas.ts';
export { pipelineSubjects, registerSchemas, SchemaRegistrationError } from './register-schemas.ts';
export type { RegisterOptions, SubjectRegistration } from './register-schemas.ts';
export { createRegistryClient, RegistryError } from './registry-client.ts';
export type { RegisteredVersion, RegistryClient, RegistryClientOptions } from './registry-client.ts';
export { defaultCompatibility, ensureRegistered, registryFailure, registrySchemaStore } from './schema-store.ts';
export { fileSchemaCache, type SchemaCache } from './schema-cache.ts';
export type { EnsuredSchema, RegistrySchemaStoreOptions } from './schema-store.ts';
