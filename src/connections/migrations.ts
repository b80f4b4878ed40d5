import { fileURLToPath } from 'node:url';

/**
 * The migrations that own `vendor_connections`, recorded in their own table. Plain data (no
 * import of the runner), so the domain stays free of the sink; src/app applies them for verify,
 * and the ingress (connect routes) and `bridge connections` apply them before they write.
 */
export const connectionsMigrations = {
  directory: fileURLToPath(new URL('./migrations/', import.meta.url)),
  table: 'connections_migrations',
} as const;
