import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { commitRetryDelayMs, onCommitFailure } from '../../../src/streams/commit-failure.ts';

// kafkajs is CommonJS: its error classes are read off the default export.
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = kafkajs;
const require = createRequire(import.meta.url);
/** kafkajs's own: a broker's error code as the client raises it. */
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };

const codes: Record<string, number> = { INVALID_PRODUCER_EPOCH: 47, INVALID_TXN_STATE: 48, PRODUCER_FENCED: 90, REBALANCE_IN_PROGRESS: 27, ILLEGAL_GENERATION: 22, UNKNOWN_MEMBER_ID: 25, FENCED_INSTANCE_ID: 82, TOPIC_AUTHORIZATION_FAILED: 29, MESSAGE_TOO_LARGE: 10 };
const broker = (type: string) => createErrorFromCode(codes[type]!);
/** As kafkajs's retrier gives up on an error it does not retry. */
const wrapped = (cause: Error) => Object.assign(new KafkaJSNonRetriableError(cause), { cause });

test('a transaction the coordinator ended, or Kafka away, is waited for; wrapped ones too', () => {
  for (const error of [broker('INVALID_PRODUCER_EPOCH'), wrapped(broker('INVALID_PRODUCER_EPOCH')), broker('PRODUCER_FENCED'), broker('INVALID_TXN_STATE')]) {
    assert.is(onCommitFailure(error), 'wait', `${(error as Error).message}`);
  }
  const away = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: ECONNREFUSED'), { retryCount: 5, retryTime: 1_000 });
  assert.is(onCommitFailure(away), 'wait', 'a send that gave up while the broker was away');
});

test('a rebalance goes to kafkajs, wrapped or not, static membership’s fencing too', () => {
  for (const type of ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']) {
    assert.is(onCommitFailure(broker(type)), 'rethrow', type);
    assert.is(onCommitFailure(wrapped(broker(type))), 'rethrow', `${type} wrapped`);
  }
});

test('what waiting cannot mend is not looped over: authorization, a deleted topic, a bug', () => {
  for (const error of [broker('TOPIC_AUTHORIZATION_FAILED'), broker('MESSAGE_TOO_LARGE'), new TypeError('cannot read properties of undefined')]) {
    assert.is(onCommitFailure(error), 'rethrow', (error as Error).message);
  }
});

test('the pause doubles from 1 s and stops at 30 s', () => {
  assert.equal([1, 2, 3, 4, 5, 6, 50].map(commitRetryDelayMs), [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
});

test.run();
