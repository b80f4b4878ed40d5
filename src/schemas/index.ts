export { bridgeSchemas, loadSchemas, schemaDir, schemaFiles } from './load-schemas.ts';
export type { AvroSchemaJson, BridgeSchemas, LoadedSchema, SchemaName } from './load-schemas.ts';
export { pipelineSubjects, registerSchemas, SchemaRegistrationError } from './register-schemas.ts';
export type { RegisterOptions, SubjectRegistration } from './register-schemas.ts';
export { registerSubject } from './register-schemas.ts';
export { pipelineSchemaStore, type PipelineSchemaStoreOptions } from './schema-store.ts';
