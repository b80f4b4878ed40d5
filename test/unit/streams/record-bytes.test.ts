import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { recordBytes, runsOfBytes } from '../../../src/streams/record-bytes.ts';

test('runsOfBytes cuts items in order into runs under the bound; an item over it goes alone', () => {
  const runs = runsOfBytes([3, 4, 2, 9, 1, 1], (n) => n, 7);
  assert.equal(runs.map((run) => run.items), [[3, 4], [2], [9], [1, 1]]);
  assert.equal(runs.map((run) => run.bytes), [7, 2, 9, 2], 'each run with its bytes');
  assert.equal(runsOfBytes([], (n: number) => n, 7), [], 'nothing in, no run');
});

test('recordBytes counts key, value and every header value over the framing', () => {
  const bare = recordBytes({ key: null, value: null });
  assert.is(recordBytes({ key: 'ab', value: Buffer.alloc(10) }), bare + 12);
  assert.ok(recordBytes({ value: null, headers: { h: ['x', 'yy'] } }) >= bare + 2 + 3, 'expected each value of a repeated header counted');
});

test.run();
