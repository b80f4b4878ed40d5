/**
 * The pipeline's graphs, one file per stage: sources → named steps → sinks / dead letters. They
 * import only the stream runtime and domain modules; src/app wires them to real clients and
 * holds the stage registry that `bridge run` and `bridge describe` read.
 */
export { verifyTopology, type VerifyOptions, type VerifyTopics } from './verify.ts';
export { normalizeTopology, type NormalizeOptions } from './normalize.ts';
export { defaultRulesFile, enrichTopology, type EnrichOptions } from './enrich.ts';
export { routeTopology, routingHeaders, toLegacyEvent, type LegacyBiometricEvent, type RouteOptions } from './route.ts';
export { sinkStage, type SinkOptions } from './sink.ts';
