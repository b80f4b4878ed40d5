import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectOnce } from '../../../src/streams/connect-once.ts';

test('callers share one connection; a failed attempt is tried again by the next caller', async () => {
  let attempts = 0;
  let brokerUp = false;
  const connect = connectOnce(async () => {
    attempts += 1;
    if (!brokerUp) throw new Error('connection refused');
  });
  const first = await Promise.all([connect(), connect()]).catch((error: unknown) => error);
  assert.instance(first, Error, 'both callers of the failed attempt see its error');
  assert.is(attempts, 1, 'callers at once share one attempt');
  brokerUp = true;
  await connect();
  assert.is(attempts, 2, 'the failure was not kept: the next caller connected');
  await Promise.all([connect(), connect()]);
  assert.is(attempts, 2, 'once connected, nobody connects again');
});

test.run();
