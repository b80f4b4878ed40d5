import { pino, type Logger, type DestinationStream, type Level } from 'pino';

export type { Logger };

/**
 * Paths that can carry PHI or secrets in any log object. pino removes them before a line is
 * written, so a careless `log.info({ record })` still cannot leak a user id or a reading.
 */
export const redactedPaths = [
  'userId',
  'user_id',
  'key',
  'value',
  'body',
  'headers.authorization',
  'headers["x-oura-signature"]',
  'headers["x-whoop-signature"]',
  'headers["terra-signature"]',
  'headers["x-bridge-signature"]',
  'headers["polar-webhook-signature"]',
  '*.userId',
  '*.user_id',
  '*.key',
  '*.value',
  '*.body',
  '*.password',
  '*.secret',
  '*.secrets',
];

export function createLogger(
  options: { level?: Level | 'silent'; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? 'biometric-bridge',
      level: options.level ?? 'info',
      base: { service: 'biometric-bridge' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
