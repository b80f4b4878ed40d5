// The patched client's incremental fetch sessions (KIP-227): which partitions each request lists,
// which it asks the broker to forget, and how the session id and epoch move. The broker test
// `kafka-fetch-sessions` shows a real broker answering them.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
interface Position {
  partition: number;
  fetchOffset: string;
  maxBytes: number;
}
interface Wanted {
  topic: string;
  partitions: Position[];
}
interface SessionRequest {
  sessionId: number;
  sessionEpoch: number;
  topics: Wanted[];
  forgottenTopics: Array<{ topic: string; partitions: number[] }>;
}
interface FetchSession {
  next(requests: Wanted[]): SessionRequest;
  answered(request: SessionRequest, sessionId: number): void;
  reset(options?: { forgetId?: boolean }): void;
  fetchOffset(request: SessionRequest, topic: string, partition: number): string | undefined;
}
const FetchSession = require('kafkajs/src/consumer/fetchSession.js') as new () => FetchSession;

const at = (offsets: Record<string, number[]>): Wanted[] =>
  Object.entries(offsets).map(([topic, list]) => ({
    topic,
    partitions: list.map((offset, partition) => ({ partition, fetchOffset: String(offset), maxBytes: 1024 })),
  }));
const listed = (request: SessionRequest) =>
  request.topics.flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}-${p.partition}@${p.fetchOffset}`)).sort();

test('the first fetch is full and opens a session; the next lists only the partitions that moved', () => {
  const session = new FetchSession();
  const first = session.next(at({ a: [0, 0, 0], b: [5] }));
  assert.is(first.sessionId, 0);
  assert.is(first.sessionEpoch, 0, 'epoch 0 asks the broker to open a session');
  assert.equal(listed(first), ['a-0@0', 'a-1@0', 'a-2@0', 'b-0@5']);
  session.answered(first, 77);

  const second = session.next(at({ a: [0, 3, 0], b: [5] }));
  assert.is(second.sessionId, 77);
  assert.is(second.sessionEpoch, 1);
  assert.equal(listed(second), ['a-1@3'], 'only the partition whose position moved');
  assert.equal(second.forgottenTopics, []);
  assert.is(session.fetchOffset(second, 'a', 0), '0', 'a partition left out keeps the position the session holds');
  session.answered(second, 77);

  const idle = session.next(at({ a: [0, 3, 0], b: [5] }));
  assert.is(idle.sessionEpoch, 2);
  assert.equal(idle.topics, [], 'nothing moved: an empty request');
});

test('a partition no longer fetched (paused, revoked) is forgotten, and listed again when it returns', () => {
  const session = new FetchSession();
  session.answered(session.next(at({ a: [1, 1], b: [1] })), 9);
  const paused = session.next([{ topic: 'a', partitions: [{ partition: 0, fetchOffset: '1', maxBytes: 1024 }] }]);
  assert.equal(paused.forgottenTopics, [
    { topic: 'a', partitions: [1] },
    { topic: 'b', partitions: [0] },
  ]);
  assert.equal(paused.topics, []);
  session.answered(paused, 9);
  const resumed = session.next(at({ a: [1, 1], b: [1] }));
  assert.equal(listed(resumed), ['a-1@1', 'b-0@1']);
  assert.equal(resumed.forgottenTopics, []);
});

test('a failed request makes the next fetch full, replacing the session; a lost session opens a new one', () => {
  const session = new FetchSession();
  session.answered(session.next(at({ a: [0, 0] })), 42);
  session.answered(session.next(at({ a: [4, 0] })), 42);
  session.reset();
  const replacing = session.next(at({ a: [4, 0] }));
  assert.is(replacing.sessionId, 42, 'the old id: the broker closes it instead of leaving it to expire');
  assert.is(replacing.sessionEpoch, 0);
  assert.equal(listed(replacing), ['a-0@4', 'a-1@0'], 'every partition, as the broker may not have applied the failed one');

  session.reset({ forgetId: true });
  const fresh = session.next(at({ a: [4, 0] }));
  assert.is(fresh.sessionId, 0, 'a session the broker no longer knows is not named');
  assert.is(fresh.sessionEpoch, 0);
});

test('a broker that cannot open a session (answers id 0) gets full fetches', () => {
  const session = new FetchSession();
  session.answered(session.next(at({ a: [0, 0] })), 0);
  const again = session.next(at({ a: [1, 0] }));
  assert.is(again.sessionEpoch, 0);
  assert.equal(listed(again), ['a-0@1', 'a-1@0']);
});

test.run();
