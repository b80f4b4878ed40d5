import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { isKafkaUnavailable } from '../../../src/streams/index.ts';

const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;
// kafkajs's type declarations omit the constructors' arguments these two take.
const KafkaJSGroupCoordinatorNotFound = kafkajs.KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error & { retriable: boolean };
const NonRetriableWrapper = KafkaJSNonRetriableError as unknown as new (error: Error, options: { cause: Error }) => Error;

// kafkajs builds protocol errors from its table of broker answers; these are two of its rows.
const brokerAnswer = (row: { type: string; code: number; retriable: boolean; message: string }): Error => Object.assign(new Error(row.message), row);
const unknownTopicOrPartition = brokerAnswer({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true, message: 'This server does not host this topic-partition' });
const topicAuthorizationFailed = brokerAnswer({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'Not authorized to access topics: [Topic authorization failed]' });

test('a topic created a moment ago without a leader, a broker away: unavailable, so start-up waits', () => {
  assert.ok(isKafkaUnavailable(new KafkaJSProtocolError(unknownTopicOrPartition)), 'expected UNKNOWN_TOPIC_OR_PARTITION to wait');
  assert.ok(isKafkaUnavailable(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092')), 'expected a refused connection to wait');
});

test('no broker answering the coordinator lookup (a broker restart) is retriable, so consumers restart instead of crashing (patches/kafkajs)', () => {
  const notFound = new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator');
  assert.is(notFound.retriable, true, 'expected the patched kafkajs to mark it retriable');
  assert.ok(isKafkaUnavailable(notFound), 'expected start-up to wait on it');
  // kafkajs's retrier wraps what it does not retry; its consumer reads the wrapped cause.
  assert.ok(isKafkaUnavailable(new NonRetriableWrapper(notFound, { cause: notFound })), 'expected the wrapped lookup failure to wait');
});

test('kafkajs giving up after its own retries: the retriable cause decides', () => {
  const exhausted = new KafkaJSNumberOfRetriesExceeded(new KafkaJSProtocolError(unknownTopicOrPartition), { retryCount: 5, retryTime: 3_000 });
  assert.is(exhausted.retriable, false, 'kafkajs marks the wrapper itself not retriable');
  assert.ok(isKafkaUnavailable(exhausted), 'expected the wrapped retriable answer to wait');
  const refused = new KafkaJSNumberOfRetriesExceeded(new KafkaJSProtocolError(topicAuthorizationFailed), { retryCount: 5, retryTime: 3_000 });
  assert.not.ok(isKafkaUnavailable(refused), 'expected a wrapped authorization failure to stop start-up');
});

test('configuration and programming errors stop start-up', () => {
  assert.not.ok(isKafkaUnavailable(new KafkaJSProtocolError(topicAuthorizationFailed)), 'expected an authorization failure not to wait');
  assert.not.ok(isKafkaUnavailable(new KafkaJSNonRetriableError('Invalid topic')), 'expected a non-retriable kafkajs error not to wait');
  assert.not.ok(isKafkaUnavailable(new Error('changelog x has 1 partitions, the input 3')), 'expected a plain error not to wait');
  assert.not.ok(isKafkaUnavailable('a string'), 'expected a non-error not to wait');
});

test.run();
