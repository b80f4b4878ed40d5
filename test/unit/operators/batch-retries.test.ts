import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Kafka, KafkaMessage, Message } from 'kafkajs';
import { redriveDeadLetters } from '../../../src/operators/dlq.ts';
import { copyRange } from '../../../src/operators/replay-copy.ts';

// kafkajs delivers a batch again when the handler threw (its runner retries from the last offset
// it resolved). Operators must then neither count nor send twice what a first attempt sent. The
// client below does only that: one partition, one batch, delivered until the handler resolves.

interface Sent {
  topic: string;
  key: string;
  timestamp: string | undefined;
  receivedAt: string | undefined;
}

function retryingKafka(topic: string, messages: KafkaMessage[], failSend: (topic: string, attempt: number) => boolean, topics: string[]): { kafka: Kafka; sent: Sent[] } {
  const sent: Sent[] = [];
  let sends = 0;
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => [topic, ...topics],
      fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: String(messages.length), offset: String(messages.length) }],
    }),
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (request: { topic: string; messages: Message[] }) => {
        sends += 1;
        if (failSend(request.topic, sends)) throw new Error('NOT_ENOUGH_REPLICAS');
        for (const m of request.messages) sent.push({ topic: request.topic, key: String(m.key), timestamp: m.timestamp, receivedAt: m.headers?.['received-at']?.toString() });
      },
    }),
    consumer: () => {
      const listeners = new Map<string, (event: { payload: unknown }) => void>();
      return {
        events: { END_BATCH_PROCESS: 'end', CRASH: 'crash' },
        on: (event: string, listener: (event: { payload: unknown }) => void) => {
          listeners.set(event, listener);
          return () => undefined;
        },
        connect: async () => undefined,
        subscribe: async () => undefined,
        seek: () => undefined,
        pause: () => undefined,
        disconnect: async () => undefined,
        run: async ({ eachBatch }: { eachBatch: (payload: { batch: { partition: number; messages: KafkaMessage[] } }) => Promise<void> }) => {
          setImmediate(async () => {
            for (let attempt = 0; attempt < 5; attempt += 1) {
              try {
                await eachBatch({ batch: { partition: 0, messages } });
                break;
              } catch {
                // delivered again, as kafkajs does
              }
            }
            listeners.get('end')?.({ payload: { topic, partition: 0, lastOffset: String(messages.length - 1) } });
          });
        },
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, sent };
}

const letter = (offset: number, source: string): KafkaMessage => ({
  offset: String(offset),
  timestamp: String(1_700_000_000_000 + offset),
  key: Buffer.from(`k${offset}`),
  value: Buffer.from('{}'),
  headers: { 'dlq-reason': Buffer.from('unmappable'), 'dlq-source': Buffer.from(`${source}/0/${offset}`) },
  attributes: 0,
});

test('a redrive whose send failed once sends each dead letter back once, counts it once, received when it was', async () => {
  const letters = [letter(0, 'verified.oura'), letter(1, 'verified.oura'), letter(2, 'verified.whoop')];
  let whoopFailed = false;
  const { kafka, sent } = retryingKafka('dlq.normalize', letters, (topic) => topic === 'verified.whoop' && !whoopFailed && (whoopFailed = true), ['verified.oura', 'verified.whoop']);
  const result = await redriveDeadLetters(kafka, 'dlq.normalize');
  assert.equal(sent.map((s) => `${s.topic}:${s.key}`), ['verified.oura:k0', 'verified.oura:k1', 'verified.whoop:k2'], 'each record sent back once');
  assert.equal(result.byTopic, { 'verified.oura': 2, 'verified.whoop': 1 });
  assert.is(result.repeats, 0, 'nothing taken for a record that failed again');
  assert.equal(sent.map((s) => s.receivedAt), letters.map((l) => l.timestamp), 'first received when the record was, not at the redrive');
  assert.equal(sent.map((s) => s.timestamp), [undefined, undefined, undefined], 'written at the redrive’s time, within the topic’s retention');
});

test('a replay copy whose second chunk failed once copies every record once, received when it was', async () => {
  const records: KafkaMessage[] = Array.from({ length: 1_200 }, (_, i) => Object.assign(letter(i, 'raw.oura'), { headers: {} }));
  const { kafka, sent } = retryingKafka('raw.oura', records, (_topic, attempt) => attempt === 2, ['raw.oura-replay']);
  const result = await copyRange(kafka, { topic: 'raw.oura', ranges: [{ partition: 0, start: '0', end: '1200' }], total: 1_200 }, { toTopic: 'raw.oura-replay' });
  assert.is(sent.length, 1_200, 'no chunk sent twice');
  assert.is(new Set(sent.map((s) => s.key)).size, 1_200, 'every record once');
  assert.is(result.copied, 1_200);
  assert.equal(sent.slice(0, 3).map((s) => s.receivedAt), records.slice(0, 3).map((r) => r.timestamp), 'first received when the record was');
});

test.run();
