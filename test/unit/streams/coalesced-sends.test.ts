import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RecordMetadata, TopicMessages } from 'kafkajs';
import { CoalescedSends } from '../../../src/streams/coalesced-sends.ts';
import { recordBytes } from '../../../src/streams/record-bytes.ts';

/** A send that holds each request until released, recording what each request carried. */
function heldSend() {
  const requests: TopicMessages[][] = [];
  const releases: Array<(error?: Error) => void> = [];
  const send = (topicMessages: TopicMessages[]) =>
    new Promise<RecordMetadata[]>((resolve, reject) => {
      requests.push(topicMessages);
      const n = requests.length;
      releases.push((error) => (error ? reject(error) : resolve([{ topicName: `request-${n}`, partition: 0, errorCode: 0 }])));
    });
  return { send, requests, releases };
}

const messages = (topic: string, ...values: string[]): TopicMessages => ({ topic, messages: values.map((value) => ({ value })) });
/** Queues `topicMessages` with their bytes, as the committer does. */
const queue = (sends: CoalescedSends, ...topicMessages: TopicMessages[]) => sends.send(topicMessages, topicMessages.reduce((n, t) => t.messages.reduce((m, message) => m + recordBytes(message), n), 0));
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** The error a promise rejects with (undefined when it resolves). */
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

test('sends made while a request is in flight go together in the next one, each topic in the callers order', async () => {
  const { send, requests, releases } = heldSend();
  const sends = new CoalescedSends(send);
  const first = queue(sends, messages('a', '1'));
  const second = queue(sends, messages('a', '2'), messages('b', 'x'));
  const third = queue(sends, messages('a', '3'));
  await tick();
  assert.is(requests.length, 1, 'one request in flight at a time');
  releases[0]!();
  assert.equal((await first).map((m) => m.topicName), ['request-1']);
  await tick();
  assert.is(requests.length, 2, 'the queued sends went out as one request');
  assert.equal(
    requests[1]!.map((t) => [t.topic, t.messages.map((m) => m.value)]),
    [
      ['a', ['2', '3']],
      ['b', ['x']],
    ],
  );
  releases[1]!();
  assert.equal((await second).map((m) => m.topicName), ['request-2'], 'each caller gets the answer of the request that carried it');
  assert.equal((await third).map((m) => m.topicName), ['request-2']);
});

test('a failed request fails every send in it, and the next request still goes', async () => {
  const { send, requests, releases } = heldSend();
  const sends = new CoalescedSends(send);
  const first = queue(sends, messages('a', '1'));
  const second = rejection(queue(sends, messages('a', '2')));
  const third = rejection(queue(sends, messages('a', '3')));
  releases[0]!();
  await first;
  await tick();
  releases[1]!(new Error('NOT_LEADER_OR_FOLLOWER'));
  assert.match(String(await second), /NOT_LEADER/);
  assert.match(String(await third), /NOT_LEADER/);
  const fourth = queue(sends, messages('a', '4'));
  await tick();
  assert.is(requests.length, 3, 'a new request after the failure');
  releases[2]!();
  assert.equal((await fourth).map((m) => m.topicName), ['request-3']);
});

test('with a linger, the first send of a quiet spell waits for the sends that follow it within the linger', async () => {
  const { send, requests, releases } = heldSend();
  const sends = new CoalescedSends(send, 20);
  const first = queue(sends, messages('a', '1'));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = queue(sends, messages('a', '2'));
  await tick();
  assert.is(requests.length, 0, 'nothing sent while the first send lingers');
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.is(requests.length, 1, 'one request once the linger passed');
  assert.equal(requests[0]!.map((t) => t.messages.map((m) => m.value)), [['1', '2']], 'both sends in it');
  releases[0]!();
  assert.equal((await first).map((m) => m.topicName), ['request-1']);
  assert.equal((await second).map((m) => m.topicName), ['request-1']);
});

test('a send without linger goes at the end of its turn with the sends of that turn, and ends a linger under way', async () => {
  const { send, requests, releases } = heldSend();
  const sends = new CoalescedSends(send, 200);
  const lingering = queue(sends, messages('a', '0'));
  const size = (t: TopicMessages) => t.messages.reduce((n, m) => n + recordBytes(m), 0);
  const first = sends.send([messages('c', '1')], size(messages('c', '1')), { linger: false });
  const second = sends.send([messages('c', '2')], size(messages('c', '2')), { linger: false });
  assert.is(requests.length, 0, 'not sent within the turn: the turn may queue more');
  await tick();
  assert.is(requests.length, 1, 'sent at the end of the turn, not after the linger');
  assert.equal(
    requests[0]!.map((t) => [t.topic, t.messages.map((m) => m.value)]),
    [
      ['a', ['0']],
      ['c', ['1', '2']],
    ],
    'the lingering send and both sends of the turn in one request',
  );
  releases[0]!();
  assert.equal((await lingering).map((m) => m.topicName), ['request-1']);
  assert.equal((await first).map((m) => m.topicName), ['request-1']);
  assert.equal((await second).map((m) => m.topicName), ['request-1']);
  const later = queue(sends, messages('a', '3'));
  await tick();
  assert.is(requests.length, 1, 'a send with linger waits again afterwards');
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.is(requests.length, 2, 'and goes once its linger passed');
  releases[1]!();
  assert.equal((await later).map((m) => m.topicName), ['request-2']);
});

test('merged sends stay under about 1 MiB per request: one partition batch never passes the topic limit', async () => {
  const { send, requests, releases } = heldSend();
  const sends = new CoalescedSends(send, 10);
  const big = (name: string) => ({ topic: 'a', messages: [{ value: Buffer.alloc(400_000, name) }] });
  const pending = ['x', 'y', 'z'].map((name) => queue(sends, big(name)));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(requests.length, 1, 'one request at a time');
  assert.equal(requests[0]!.map((t) => t.messages.length), [2], 'two 400 KB sends fit in the first request');
  releases[0]!();
  await tick();
  assert.equal(requests[1]!.map((t) => t.messages.length), [1], 'the third goes in the next');
  releases[1]!();
  await Promise.all(pending);
});

test.run();
