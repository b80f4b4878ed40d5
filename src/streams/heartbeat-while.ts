/**
 * Runs `work` while heartbeating the group every `intervalMs`, as the Java client's background
 * heartbeat thread does: a chunk that waits on a slow dependency (a Postgres statement, a Redis
 * command near its timeout) longer than the session timeout must not cost the member its
 * partitions. Without it the broker dropped the member mid-chunk, its offset commits were
 * refused, and the group read the chunk again.
 */
export async function heartbeatWhile<T>(heartbeat: () => Promise<void>, intervalMs: number, work: () => Promise<T>): Promise<T> {
  // A refused heartbeat (the group rebalancing) is the consumer's to act on at its next fetch;
  // the chunk loop sees the rebalance through isRunning/isStale.
  const timer = setInterval(() => void heartbeat().catch(() => undefined), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
