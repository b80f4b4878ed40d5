import type { Redis } from 'ioredis';

export interface ReplayGuard {
  /**
   * 'first' when this delivery was not seen before, or was claimed by this very source record
   * (its earlier attempt failed before the commit, so forwarding again is right);
   * 'repeat' when another record carried it: the vendor retried a delivery that already went on.
   */
  claim(vendor: string, deliveryId: string, claimant: string, ttlSeconds: number): Promise<'first' | 'repeat'>;
}

/**
 * Replay guard on Redis: `SET key <claimant> NX EX ttl GET` claims a delivery id atomically and
 * tells who held it (Redis ≥ 7.0). The claimant is the raw record's topic/partition/offset, so a
 * record processed twice by at-least-once delivery is not mistaken for the vendor's retry.
 */
export function redisReplayGuard(redis: Redis, prefix = 'bridge:verify:seen'): ReplayGuard {
  return {
    async claim(vendor, deliveryId, claimant, ttlSeconds) {
      const previous = (await redis.call('SET', `${prefix}:${vendor}:${deliveryId}`, claimant, 'NX', 'EX', String(ttlSeconds), 'GET')) as string | null;
      return previous === null || previous === claimant ? 'first' : 'repeat';
    },
  };
}

/** The same contract in memory, for topology tests. */
export function memoryReplayGuard(): ReplayGuard {
  const seen = new Map<string, string>();
  return {
    async claim(vendor, deliveryId, claimant) {
      const key = `${vendor}:${deliveryId}`;
      const previous = seen.get(key);
      if (previous === undefined) seen.set(key, claimant);
      return previous === undefined || previous === claimant ? 'first' : 'repeat';
    },
  };
}
