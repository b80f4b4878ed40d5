// What `bridge run` tells the operator about the broker's group.initial.rebalance.delay.ms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupJoinDelayWarning } from '../../../src/app/group-join-delay.ts';

test('Kafka’s default of 3 s is named with what waits for it and what to set', () => {
  const warning = groupJoinDelayWarning(3_000, 'state restore');
  assert.ok(warning, 'expected a warning for a 3,000 ms delay');
  assert.match(warning!, /by 3000 ms \(group\.initial\.rebalance\.delay\.ms\)/);
  assert.match(warning!, /each state restore waits that long; set it to 0/);
});

test('no delay, or none that could be read, gives no warning', () => {
  assert.is(groupJoinDelayWarning(0, 'state restore'), undefined);
  assert.is(groupJoinDelayWarning(undefined, 'state restore'), undefined);
});

test.run();
