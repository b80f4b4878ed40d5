/** Test utilities, kept out of the runtime's import graph (as Kafka Streams' test-utils). */
export { TopologyTestDriver, type DriverOptions, type TestInput, type TestInputTopic, type TestOutput, type DeadLetter } from './driver.ts';
export { memorySchemaStore } from '../avro-serde.ts';
