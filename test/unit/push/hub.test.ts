import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCursor, type Cursor } from '../../../src/push/cursor.ts';
import { createHub, type DropReason, type PriorityLog, type Subscriber } from '../../../src/push/hub.ts';
import type { Frame, RoutedRecord } from '../../../src/push/record.ts';
import { priorityTopic } from '../../../src/topics.ts';
import { sampleEnriched } from '../../support/enriched-event.ts';

const high = priorityTopic('high');

function record(userId: string, offset: bigint, topic = high): RoutedRecord {
  return { topic, partition: 0, offset, userId, priority: 'high', enriched: sampleEnriched({ userId }), routedAt: Date.now() };
}

function subscriber(userId: string, accepts = Number.POSITIVE_INFINITY): Subscriber & { frames: Frame[]; dropped: DropReason[] } {
  const frames: Frame[] = [];
  const dropped: DropReason[] = [];
  return { userId, transport: 'sse', frames, dropped, send: (frame) => frames.push(frame) <= accepts, drop: (reason) => void dropped.push(reason) };
}

/** A log at offset 4 of partition 0 of the high topic, holding `stored` for replays. */
function log(stored: RoutedRecord[] = [], replayGate?: Promise<void>): PriorityLog {
  return {
    latest: async () => new Map([[high, { partition: 0, offset: 4n }]]),
    replay: async (userId, from: Cursor, deliver) => {
      await replayGate;
      const after = from.get(high)?.offset ?? -1n;
      for (const r of stored) if (r.userId === userId && r.offset > after) deliver(r);
    },
  };
}

test('each user receives only their own records, after a ready frame carrying the position', async () => {
  const hub = createHub({ log: log(), maxPending: 10 });
  const alice = subscriber('alice');
  const bob = subscriber('bob');
  await hub.subscribe(alice);
  await hub.subscribe(bob);
  hub.publish(record('alice', 5n));
  hub.publish(record('bob', 6n));
  assert.equal(alice.frames.map((f) => f.kind), ['ready', 'event'], 'expected alice: ready, then her one event');
  assert.is(alice.frames[0]?.id, 'h0-4', 'expected the ready id at the log end');
  assert.is(alice.frames[1]?.id, 'h0-5', 'expected the event id at its offset');
  assert.match(alice.frames[1]?.data ?? '', /"userId":"alice"/, 'expected alice’s event body');
  assert.equal(bob.frames.map((f) => f.id), ['h0-4', 'h0-6'], 'expected bob to see only his record');
  assert.is(hub.size(), 2, 'expected two connected clients');
});

test('a new client gets what the live feed brings after it subscribed, even behind the log end it read', async () => {
  const hub = createHub({ log: log(), maxPending: 10 });
  const early = subscriber('dora');
  await hub.subscribe(early);
  hub.publish(record('dora', 3n)); // routed before the log end was read (4), fed only now
  assert.equal(early.frames.map((f) => `${f.kind}@${f.id}`), ['ready@h0-4', 'event@h0-3'], 'expected the lagging record delivered, its position as the id');
  hub.publish(record('erin', 9n));
  const late = subscriber('dora');
  await hub.subscribe(late);
  assert.is(late.frames[0]?.id, 'h0-9', 'expected a later client to start after what the feed already handed over');
  hub.publish(record('dora', 10n));
  assert.equal(late.frames.map((f) => f.id), ['h0-9', 'h0-10'], 'expected the next record after the feed position');
});

test('a resume replays what was missed, holds live records meanwhile, and sends each once', async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const stored = [record('alice', 2n), record('bob', 3n), record('alice', 4n)];
  const hub = createHub({ log: log(stored, gate), maxPending: 10 });
  const alice = subscriber('alice');
  const subscribed = hub.subscribe(alice, decodeCursor('h0-1'));
  await Promise.resolve();
  hub.publish(record('alice', 4n)); // also in the replay: must not arrive twice
  hub.publish(record('alice', 7n));
  open();
  await subscribed;
  assert.equal(alice.frames.map((f) => `${f.kind}@${f.id}`), ['event@h0-2', 'event@h0-4', 'ready@h0-4', 'event@h0-7'], 'expected replayed, ready, then the held live record, without duplicates');
});

test('a client that cannot keep up is dropped as slow and counted', async () => {
  const drops: DropReason[] = [];
  const hub = createHub({ log: log(), maxPending: 10, onDropped: (reason) => drops.push(reason) });
  const slow = subscriber('carol', 2);
  await hub.subscribe(slow);
  hub.publish(record('carol', 5n));
  hub.publish(record('carol', 6n));
  hub.publish(record('carol', 7n));
  assert.equal(slow.dropped, ['slow-client'], 'expected the client told it was dropped as slow');
  assert.equal(drops, ['slow-client'], 'expected the drop reported once');
  assert.is(slow.frames.length, 3, 'expected nothing written after the drop');
  assert.is(hub.size(), 0, 'expected the dropped client no longer connected');
});

test('live records beyond the pending limit during a replay drop the client; a failed replay drops it too', async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const hub = createHub({ log: log([], gate), maxPending: 1 });
  const alice = subscriber('alice');
  const subscribed = hub.subscribe(alice, decodeCursor('h0-1'));
  await Promise.resolve();
  hub.publish(record('alice', 5n));
  hub.publish(record('alice', 6n));
  open();
  await subscribed;
  assert.equal(alice.dropped, ['replay-overflow'], 'expected the client dropped when its held records overflowed');
  assert.is(alice.frames.length, 0, 'expected nothing sent to a dropped client');

  const failing = createHub({ log: { latest: async () => new Map(), replay: async () => Promise.reject(new Error('broker gone')) }, maxPending: 1 });
  const bob = subscriber('bob');
  await failing.subscribe(bob, decodeCursor('h0-1'));
  assert.equal(bob.dropped, ['replay-failed'], 'expected a failed replay to drop the client with that reason');
});

test('a deletion, which route writes to every priority topic, reaches a client once', async () => {
  const hub = createHub({ log: log(), maxPending: 10 });
  const fay = subscriber('fay');
  await hub.subscribe(fay);
  const enriched = sampleEnriched({ userId: 'fay', op: 'DELETE' });
  for (const [priority, offset] of [['high', 5n], ['medium', 6n], ['normal', 7n]] as const) {
    hub.publish({ topic: priorityTopic(priority), partition: 0, offset, userId: 'fay', priority, enriched: { ...enriched, priority }, routedAt: Date.now() });
  }
  const events = fay.frames.filter((frame) => frame.kind === 'event');
  assert.is(events.length, 1, 'expected one frame for the three copies');
  assert.match(events[0]?.data ?? '', /"op":"DELETE"/, 'expected the frame to say DELETE');
  assert.match(events[0]?.id ?? '', /h0-5/, 'expected the cursor past the skipped high copy too, so a resume does not re-read it');
});

test.run();
