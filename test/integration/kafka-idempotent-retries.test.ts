// An idempotent producer whose produce request reached the broker but whose answer was lost
// retries it with the same sequence numbers, so the broker writes it once. A second send of the
// same producer, made while the first waits to retry, must not take those sequence numbers: the
// broker would acknowledge its records as duplicates of the first send's without writing them.
// (The ingress sends a new batch on a producer whose previous send outlived its timeout.) A send
// that fails for good after its request was written gave its sequence numbers back too: the
// producer is replaced, so the next send is written. And a send still retrying when its producer
// disconnects gives up rather than reconnecting.
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import { ReplaceableProducer } from '../../src/streams/replaceable-producer.ts';
import { config, createTopics, kafkaClient, testConsumer, unique } from '../support/services.ts';
import { waitUntil } from './streams-support.ts';

const PRODUCE_API_KEY = 0;

const connectionReset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

/**
 * Sockets to the real broker. `loseNextProduceAnswer` lets one produce request through and drops
 * its connection before the answer is read; `cut` resets every connection until `restore`.
 */
function lossyTransport() {
  let armed: (() => void) | undefined;
  let down = false;
  const open = new Set<net.Socket>();
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    if (down) process.nextTick(() => socket.destroy(connectionReset()));
    const write = socket.write.bind(socket) as (chunk: Buffer, encoding: BufferEncoding) => boolean;
    socket.write = ((chunk: Buffer, encoding: BufferEncoding) => {
      const dropped = armed;
      if (dropped !== undefined && Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === PRODUCE_API_KEY) {
        armed = undefined;
        // The broker gets the request and writes the records; the client never reads the answer.
        socket.pause();
        setTimeout(() => {
          // kafkajs learns of a lost connection from 'error' or 'end', as with a reset by the peer.
          socket.destroy(connectionReset());
          dropped();
        }, 300);
      }
      return write(chunk, encoding);
    }) as typeof socket.write;
    return socket;
  };
  return {
    socketFactory,
    loseNextProduceAnswer: () => new Promise<void>((resolve) => (armed = resolve)),
    cut() {
      down = true;
      for (const socket of open) socket.destroy(connectionReset());
    },
    restore: () => void (down = false),
    openSockets: () => open.size,
  };
}

/** A one-partition topic, and a client that reaches the broker through a lossy transport. */
async function topicBehindLossyTransport(prefix: string, clientRetry?: { retries: number; initialRetryTime: number; maxRetryTime: number }) {
  const admin = kafkaClient().admin();
  await admin.connect();
  const topic = unique(prefix);
  await createTopics(admin, [topic], 1);
  const transport = lossyTransport();
  const kafka = new Kafka({ clientId: unique(prefix), brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING, socketFactory: transport.socketFactory, ...(clientRetry ? { retry: clientRetry } : {}) });
  const remove = async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  };
  return { topic, transport, kafka, remove };
}

test('a send made while an earlier send waits to retry is written, not acknowledged as a duplicate', async () => {
  const { topic, transport, kafka, remove } = await topicBehindLossyTransport('idempotent-retries');
  // The first retry waits about a second: the second send is made within that time.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { initialRetryTime: 1_000, maxRetryTime: 2_000, retries: 5 } });
  const consumer = testConsumer(kafkaClient(), { groupId: unique('idempotent-retries-reader') });
  const read: string[] = [];
  try {
    await producer.connect();
    const lost = transport.loseNextProduceAnswer();
    const first = producer.send({ topic, acks: -1, messages: [{ value: 'first' }] });
    await lost;
    const second = producer.send({ topic, acks: -1, messages: [{ value: 'second' }] });
    await Promise.all([first, second]);

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void read.push(message.value?.toString() ?? '') });
    await waitUntil(() => read.length >= 2, 20_000, () => `${read.length} of 2 records read`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(read.sort(), ['first', 'second'], `the topic holds ${JSON.stringify(read)}`);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await remove();
  }
});

/** Every value on `topic`, read from the beginning until `count` arrived and half a second more passed. */
async function valuesOn(topic: string, count: number, group: string): Promise<string[]> {
  const consumer = testConsumer(kafkaClient(), { groupId: unique(group) });
  const read: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void read.push(message.value?.toString() ?? '') });
    await waitUntil(() => read.length >= count, 20_000, () => `${read.length} of ${count} records read: ${JSON.stringify(read)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return read.sort();
  } finally {
    await consumer.disconnect();
  }
}

test('a send that fails for good after the broker wrote it: the producer is replaced, so the next send is written', async () => {
  // The client gives up reconnecting after two tries: a broker away longer than that (a restart)
  // fails the send for good, as the fault soak's 14 s broker restart did.
  const { topic, transport, kafka, remove } = await topicBehindLossyTransport('idempotent-failed-send', { retries: 2, initialRetryTime: 100, maxRetryTime: 200 });
  const replaced: string[] = [];
  // As the ingress and the at-least-once stages make theirs.
  const producer = new ReplaceableProducer(
    () => kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 1_000 } }),
    (reason) => replaced.push(reason),
  );
  try {
    await producer.connect();
    const lost = transport.loseNextProduceAnswer();
    const first = producer.send({ topicMessages: [{ topic, messages: [{ value: 'first' }] }], acks: -1 }).then(
      () => 'acknowledged',
      (error: Error) => error.name,
    );
    await lost;
    transport.cut();
    assert.is(await first, 'KafkaJSNonRetriableError', 'the send gave up while the broker could not be reached');
    transport.restore();
    // The first send's records are on the topic, its sequence numbers given back: the same
    // producer would send these records under them, and the broker would acknowledge them as
    // duplicates of the first send's without writing them.
    await producer.send({ topicMessages: [{ topic, messages: [{ value: 'second' }] }], acks: -1 });
    assert.equal(await valuesOn(topic, 2, 'idempotent-failed-send-reader'), ['first', 'second'], 'both sends are on the topic');
    assert.equal(replaced, ['send_failed'], 'the producer was replaced once, naming why');
  } finally {
    transport.restore();
    await producer.disconnect();
    await remove();
  }
});

test('a send still retrying when its producer disconnects fails, and leaves no connection open', async () => {
  const { topic, transport, kafka, remove } = await topicBehindLossyTransport('idempotent-disconnect');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 500 } });
  try {
    await producer.connect();
    transport.cut();
    const sending = producer.send({ topic, acks: -1, messages: [{ value: 'during the cut' }] }).then(
      () => 'written',
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    transport.restore();
    await producer.disconnect();
    const outcome = await sending;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.match(outcome, /disconnected while the send was retrying/, 'the send failed for the disconnect');
    assert.is(transport.openSockets(), 0, 'no broker connection outlives disconnect()');
  } finally {
    transport.restore();
    await producer.disconnect();
    await remove();
  }
});

test.run();
