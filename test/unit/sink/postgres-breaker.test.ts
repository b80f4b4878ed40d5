import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPostgresBreaker, isPostgresUnavailable } from '../../../src/sink/index.ts';
import { DependencyUnavailableError } from '../../../src/streams/errors.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:15432'), { code: 'ECONNREFUSED' });
const badData = () => Object.assign(new Error('invalid input syntax for type timestamp'), { code: '22007' });

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (error) {
    return error;
  }
}

test('connection errors are recognised; data errors are not', () => {
  assert.ok(isPostgresUnavailable(refused()), 'expected ECONNREFUSED to mean unavailable');
  assert.ok(isPostgresUnavailable(Object.assign(new Error('x'), { code: '57P01' })), 'expected admin shutdown to mean unavailable');
  assert.ok(isPostgresUnavailable(Object.assign(new Error('x'), { code: '08006' })), 'expected SQLSTATE class 08 to mean unavailable');
  assert.ok(isPostgresUnavailable(new Error('Connection terminated unexpectedly')), 'expected a lost connection to mean unavailable');
  for (const [code, what] of [['57014', 'a statement timeout'], ['25006', 'a read-only server after a failover'], ['53100', 'a full disk'], ['28P01', 'a refused password'], ['42501', 'a revoked permission']] as const) {
    assert.ok(isPostgresUnavailable(Object.assign(new Error('x'), { code })), `expected ${what} (${code}) to pause, not to dead-letter every row`);
  }
  assert.ok(isPostgresUnavailable(new Error('Query read timeout')), 'expected the pool’s query timeout to mean unavailable');
  assert.not.ok(isPostgresUnavailable(Object.assign(new Error('x'), { code: '23505' })), 'expected a constraint violation (one row) not to mean unavailable');
  assert.not.ok(isPostgresUnavailable(badData()), 'expected a data error not to mean unavailable');
  assert.not.ok(isPostgresUnavailable('ECONNREFUSED'), 'expected non-errors not to count');
});

test('five consecutive outages open the breaker; while open, work is not even tried', async () => {
  const breaker = createPostgresBreaker({ halfOpenAfterMs: 60_000 });
  let calls = 0;
  for (let i = 0; i < 5; i += 1) {
    const error = await outcome(() => breaker.run(async () => { calls += 1; throw refused(); }));
    assert.instance(error, DependencyUnavailableError, `expected failure ${i + 1} to ask for a pause, not a retry/DLQ`);
  }
  assert.is(breaker.state(), 'open', 'expected the breaker open after 5 consecutive failures');
  const error = await outcome(() => breaker.run(async () => { calls += 1; return 'never'; }));
  assert.instance(error, DependencyUnavailableError, 'expected an open breaker to ask for a pause');
  assert.is((error as DependencyUnavailableError).dependency, 'postgres', 'expected the dependency named');
  assert.ok((error as DependencyUnavailableError).retryAfterMs > 59_000, 'expected the wait to be about the half-open delay');
  assert.is(calls, 5, 'expected no call to Postgres while open');
});

test('after the half-open delay one success closes the breaker', async () => {
  const breaker = createPostgresBreaker({ halfOpenAfterMs: 50 });
  const states: string[] = [];
  breaker.onStateChange((s) => states.push(s));
  for (let i = 0; i < 5; i += 1) await outcome(() => breaker.run(async () => { throw refused(); }));
  assert.is(breaker.state(), 'open', 'expected open');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.is(await breaker.run(async () => 'ok'), 'ok', 'expected the trial call to run after the delay');
  assert.is(breaker.state(), 'closed', 'expected the success to close the breaker');
  assert.equal(states, ['open', 'half-open', 'closed'], 'expected open → half-open → closed');
});

test('data errors pass through unchanged and never open the breaker', async () => {
  const breaker = createPostgresBreaker();
  for (let i = 0; i < 8; i += 1) {
    const error = await outcome(() => breaker.run(async () => { throw badData(); }));
    assert.not.instance(error, DependencyUnavailableError, 'expected a data error to stay a normal (retry, then DLQ) error');
    assert.is((error as { code?: string }).code, '22007', 'expected the original error');
  }
  assert.is(breaker.state(), 'closed', 'expected the breaker to stay closed on data errors');
});

test('a success between failures resets the count', async () => {
  const breaker = createPostgresBreaker();
  for (let i = 0; i < 4; i += 1) await outcome(() => breaker.run(async () => { throw refused(); }));
  await breaker.run(async () => 'ok');
  for (let i = 0; i < 4; i += 1) await outcome(() => breaker.run(async () => { throw refused(); }));
  assert.is(breaker.state(), 'closed', 'expected failures to have to be consecutive');
});

test.run();
