/**
 * Defaults of `runTopology` that the app's configuration also offers (STAGE_TRANSACTIONAL_PRODUCERS,
 * STAGE_COMMIT_INTERVAL_MS, STAGE_LINGER_MS): written once, here. Why these values: the options' comments in
 * runner.ts and the variables' in src/config/schema.ts.
 */
export const runnerDefaults = {
  transactionalProducers: 2,
  commitIntervalMs: 100,
  lingerMs: 3,
} as const;
