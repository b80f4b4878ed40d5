// eachInOrder runs a record's hops one after another: synchronously while every call is, and once a
// call answers with a promise, the rest after it settles, in order. Arrays (walked by index) and
// other iterables behave alike.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eachInOrder } from '../../../src/streams/index.ts';

const shapes: Array<[string, (items: number[]) => Iterable<number>]> = [
  ['an array', (items) => items],
  ['a set', (items) => new Set(items)],
  [
    'a generator',
    function* (items) {
      yield* items;
    },
  ],
];

for (const [name, of] of shapes) {
  test(`${name}: every item in order, synchronously while every call is`, () => {
    const seen: number[] = [];
    const result = eachInOrder(of([1, 2, 3]), (item) => {
      seen.push(item);
      return undefined;
    });
    assert.is(result, undefined, 'no promise when nothing waited');
    assert.equal(seen, [1, 2, 3]);
  });

  test(`${name}: the items after a promise run once it settled, in order`, async () => {
    const seen: string[] = [];
    let release!: () => void;
    const result = eachInOrder(of([1, 2, 3, 4]), (item) => {
      seen.push(`start ${item}`);
      if (item === 2) return new Promise<void>((resolve) => (release = resolve)).then(() => void seen.push('settled 2'));
      return undefined;
    });
    assert.instance(result, Promise);
    assert.equal(seen, ['start 1', 'start 2'], 'nothing after the waiting item runs before it settles');
    release();
    await result;
    assert.equal(seen, ['start 1', 'start 2', 'settled 2', 'start 3', 'start 4']);
  });

  test(`${name}: a rejection stops the walk and is the answer`, async () => {
    const seen: number[] = [];
    const result = eachInOrder(of([1, 2, 3]), (item) => {
      seen.push(item);
      return item === 2 ? Promise.reject(new Error('step 2 failed')) : undefined;
    });
    assert.instance(result, Promise);
    await result!.then(
      () => assert.unreachable('the walk should fail'),
      (error: unknown) => assert.is((error as Error).message, 'step 2 failed'),
    );
    assert.equal(seen, [1, 2], 'the item after the failed one does not run');
  });
}

test.run();
