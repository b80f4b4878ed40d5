import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advance, CursorError, decodeCursor, encodeCursor, isBehind, type Cursor } from '../../../src/push/cursor.ts';
import { priorityTopic } from '../../../src/topics.ts';

const high = priorityTopic('high');
const normal = priorityTopic('normal');

test('a cursor survives the round trip through its text form', () => {
  const cursor: Cursor = new Map([
    [high, { partition: 3, offset: 120n }],
    [normal, { partition: 0, offset: -1n }],
  ]);
  const text = encodeCursor(cursor);
  assert.is(text, 'h3-120.n0--1', 'expected priority initial, partition and last offset per topic');
  assert.equal([...decodeCursor(text)], [...cursor], 'expected the same positions back');
});

test('text that this server never wrote is refused with what is expected', () => {
  for (const bad of ['', 'x3-1', 'h3', 'h3-1.h3-2', 'h3-1;drop', 'h'.repeat(300)]) {
    assert.throws(() => decodeCursor(bad), (error: unknown) => error instanceof CursorError && /resume position/.test(error.message), `expected "${bad.slice(0, 20)}" refused`);
  }
});

test('records at or before the cursor are behind it, later ones and other partitions are not', () => {
  const cursor: Cursor = new Map([[high, { partition: 2, offset: 10n }]]);
  assert.ok(isBehind(cursor, high, 2, 10n), 'expected the last delivered offset behind');
  assert.ok(isBehind(cursor, high, 2, 3n), 'expected an older offset behind');
  assert.not.ok(isBehind(cursor, high, 2, 11n), 'expected the next offset not behind');
  assert.not.ok(isBehind(cursor, high, 1, 5n), 'expected another partition (a repartitioned topic) not behind');
  assert.not.ok(isBehind(cursor, normal, 2, 5n), 'expected a topic without a position not behind');
  const next = advance(cursor, high, 2, 11n);
  assert.ok(isBehind(next, high, 2, 11n), 'expected the advanced cursor to cover the delivered record');
  assert.is(cursor.get(high)?.offset, 10n, 'expected advance to leave the old cursor as it was');
});

test.run();
