import type { IngressOptions } from '../../src/ingress/server.ts';
import { createLogger } from '../../src/obs/logger.ts';

/** Ingress settings for tests: loopback, a free port, silent logs, no vendor secrets; `overrides` on top. */
export function ingressTestOptions(overrides: Partial<IngressOptions> & Pick<IngressOptions, 'sink'>): IngressOptions {
  return {
    logger: createLogger({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
    basePath: '',
    maxBodyBytes: 1_048_576,
    bodyTimeoutMs: 15_000,
    maxInFlight: 100,
    maxInFlightBytes: 67_108_864,
    maxConnectionsPerSource: 64,
    keepAliveTimeoutMs: 65_000,
    trustProxy: false,
    shutdownGraceMs: 5_000,
    version: 'test',
    ouraVerificationToken: undefined,
    googleHealthSecrets: [],
    ...overrides,
  };
}
