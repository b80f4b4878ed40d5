import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRedisClient } from '../../src/app/redis-client.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { config, unique } from '../support/services.ts';
import { logLines } from '../support/log-lines.ts';
import { tcpRelay } from '../support/tcp-relay.ts';
import { waitUntil } from '../support/wait-until.ts';

const redisTarget = new URL(config.REDIS_URL);

/** The command's rejection, or 'still waiting' once `ms` passed. */
const settledWithin = async (command: Promise<unknown>, ms: number): Promise<unknown> => {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)));
  try {
    return await Promise.race([command.then((value) => ({ value }), (error: unknown) => error), waited]);
  } finally {
    clearTimeout(timer);
  }
};

test('while Redis is away a command fails within seconds rather than waiting for it, and works again once Redis is back', async () => {
  const { lines, destination } = logLines();
  const link = await tcpRelay({ host: redisTarget.hostname, port: Number(redisTarget.port) });
  const redis = createRedisClient(`redis://127.0.0.1:${link.port}`, createLogger({ level: 'warn' }, destination));
  const key = unique('redis-client');
  try {
    assert.is(await redis.set(key, 'before'), 'OK', 'expected the command to work through the relay');

    await link.down();
    const failed = await settledWithin(redis.get(key), 5_000);
    assert.instance(failed, Error, `expected the command to fail while Redis is away, got ${String(failed)}`);
    await waitUntil('the refused reconnect logged as a warning', () => lines.some((line) => line.includes('redis connection error') && line.includes('"level":40')), { timeoutMs: 5_000 });

    await link.up();
    const back = await settledWithin(
      (async () => {
        for (;;) {
          try {
            return await redis.get(key);
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      })(),
      5_000,
    );
    assert.equal(back, { value: 'before' }, 'expected commands to work again once Redis is back');
  } finally {
    redis.disconnect();
    await link.down().catch(() => undefined);
  }
});

test('a Redis that accepts the connection but never answers fails the command after the command timeout', async () => {
  const silent = createServer(() => undefined); // accepts, reads nothing, answers nothing
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const redis = createRedisClient(`redis://127.0.0.1:${port}`, createLogger({ level: 'silent' }), { commandTimeoutMs: 300 });
  try {
    const failed = await settledWithin(redis.get('any'), 5_000);
    assert.instance(failed, Error, `expected the command to time out, got ${String(failed)}`);
    assert.match((failed as Error).message, /timed out/i);
  } finally {
    redis.disconnect();
    silent.close();
  }
});

test.run();
