import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Kafka } from 'kafkajs';
import { startLiveFeed } from '../../../src/push/live-feed.ts';

/** A consumer that reports the group events the test emits; nothing is fetched. */
function consumerEvents(): { kafka: Kafka; emit(event: string, payload?: Record<string, unknown>): void; disconnected: () => boolean } {
  const listeners = new Map<string, Array<(event: { payload: Record<string, unknown> }) => void>>();
  let disconnected = false;
  const events = { GROUP_JOIN: 'group-join', CRASH: 'crash', STOP: 'stop' };
  const consumer = {
    events,
    on: (event: string, listener: (event: { payload: Record<string, unknown> }) => void) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
    disconnect: async () => void (disconnected = true),
  };
  return {
    kafka: { consumer: () => consumer } as unknown as Kafka,
    emit: (event, payload = {}) => listeners.get(event)?.forEach((listener) => listener({ payload })),
    disconnected: () => disconnected,
  };
}

test('a live feed that crashes is not ready until it joins again, and one kafkajs does not restart is reported', async () => {
  const consumer = consumerEvents();
  const crashes: string[] = [];
  const feed = await startLiveFeed({ kafka: consumer.kafka, decode: async () => 'no-key', groupPrefix: 'test', publish: () => undefined, onSkipped: () => undefined, onCrashed: (error) => crashes.push(error) });
  consumer.emit('group-join');
  assert.ok(feed.isJoined(), 'expected ready once joined');
  consumer.emit('crash', { error: new Error('broker gone'), restart: true });
  assert.not.ok(feed.isJoined(), 'expected not ready while kafkajs restarts it');
  assert.equal(crashes, [], 'expected a restarted crash not reported');
  consumer.emit('group-join');
  assert.ok(feed.isJoined(), 'expected ready again after the restart joined');
  consumer.emit('crash', { error: new TypeError('bug'), restart: false });
  assert.not.ok(feed.isJoined(), 'expected not ready after a crash that is not restarted (it stayed ready)');
  assert.equal(crashes, ['TypeError'], 'expected the final crash reported');
});

test('a live feed that cannot start leaves no consumer behind for the next attempt', async () => {
  const consumer = consumerEvents();
  const kafka = { consumer: () => ({ ...(consumer.kafka.consumer({ groupId: 'x' }) as object), subscribe: async () => Promise.reject(new Error('no such topic')) }) } as unknown as Kafka;
  await startLiveFeed({ kafka, decode: async () => 'no-key', groupPrefix: 'test', publish: () => undefined, onSkipped: () => undefined }).then(
    () => assert.unreachable('expected the start to fail'),
    (error: unknown) => assert.match(String(error), 'no such topic', 'expected the start-up error'),
  );
  assert.ok(consumer.disconnected(), 'expected the consumer disconnected');
});

test.run();
