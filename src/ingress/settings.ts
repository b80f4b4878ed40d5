import type { Env } from '../config/schema.ts';

/** The ingress options that come from configuration (the entry point adds sink, logger, version). */
export function ingressSettings(config: Env) {
  return {
    host: config.INGRESS_HOST,
    port: config.INGRESS_PORT,
    basePath: config.INGRESS_BASE_PATH,
    maxBodyBytes: config.INGRESS_MAX_BODY_BYTES,
    bodyTimeoutMs: config.INGRESS_BODY_TIMEOUT_MS,
    maxInFlight: config.INGRESS_MAX_IN_FLIGHT,
    maxInFlightBytes: config.INGRESS_MAX_IN_FLIGHT_BYTES,
    maxConnectionsPerSource: config.INGRESS_MAX_CONNECTIONS_PER_SOURCE,
    keepAliveTimeoutMs: config.INGRESS_KEEP_ALIVE_TIMEOUT_MS,
    trustProxy: config.INGRESS_TRUST_PROXY,
    shutdownGraceMs: config.INGRESS_SHUTDOWN_GRACE_MS,
    ouraVerificationToken: config.OURA_VERIFICATION_TOKEN,
    googleHealthSecrets: config.GOOGLE_HEALTH_WEBHOOK_SECRETS,
  } as const;
}
