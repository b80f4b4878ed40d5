import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../../src/obs/logger.ts';
import { DependencyUnavailableError, RecordError, StreamEvents, StreamsBuilder, serdes, type RawRecord } from '../../../src/streams/index.ts';
import { ErrorPolicy } from '../../../src/streams/error-policy.ts';
import { deadLetterFor, deadLetterHeaders } from '../../../src/streams/dead-letter.ts';

const raw = (value: string): RawRecord => ({ topic: 'in', partition: 2, offset: '41', timestamp: 5, key: Buffer.from('k'), value: Buffer.from(value), headers: { h: 'v' } });

function policyFor(step: (value: string | null) => void, retry = { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 1_000 }) {
  const builder = new StreamsBuilder('policy');
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() })
    .peek('step', (record) => step(record.value))
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const events = new StreamEvents();
  return { policy: new ErrorPolicy(builder.build(), { retry, log: createLogger({ level: 'silent' }), events }), events };
}

test('transient errors: retried with growing backoff, then dead-lettered with the node and attempts', async () => {
  const times: number[] = [];
  const { policy } = policyFor(() => {
    times.push(performance.now());
    throw new TypeError('flaky');
  });
  const outcome = await policy.process(raw('x'));
  assert.equal(outcome.kind === 'dead-letter' && [outcome.reason, outcome.node, outcome.attempts], ['processing_failed', 'step', 3], 'dead letter after 1 + 2 attempts');
  assert.is(times.length, 3, 'three attempts');
  const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
  assert.ok(gaps.every((g) => g >= 0) && gaps[0]! < 1_000 && gaps[1]! < 1_000, `bounded backoff (${gaps.map(Math.round).join(', ')} ms)`);
  assert.ok(outcome.kind === 'dead-letter' && outcome.detail === 'step: TypeError after 3 attempts', 'detail names the error class, never its message');
});

test('a transient error that clears on retry yields outputs, once', async () => {
  let calls = 0;
  const { policy, events } = policyFor(() => {
    calls += 1;
    if (calls === 1) throw new Error('blip');
  });
  const retried: string[] = [];
  events.on('retried', (e) => retried.push(`${e.node}#${e.attempt}`));
  const outcome = await policy.process(raw('x'));
  assert.is(outcome.kind, 'processed', 'processed on the second attempt');
  assert.is(outcome.kind === 'processed' && outcome.outputs.length, 1, 'exactly one output (the failed attempt left none)');
  assert.equal(retried, ['step#2'], 'one retried event');
});

test('RecordError and DependencyUnavailableError are not retried', async () => {
  let calls = 0;
  const fatal = policyFor(() => {
    calls += 1;
    throw new RecordError('bad_signature', 'no secret matched');
  });
  const dead = await fatal.policy.process(raw('x'));
  assert.equal(dead.kind === 'dead-letter' && [dead.reason, dead.detail, dead.attempts], ['bad_signature', 'no secret matched', 1], 'dead letter now');
  assert.is(calls, 1, 'one call');
  const down = policyFor(() => {
    throw new DependencyUnavailableError('postgres', 250);
  });
  const paused = await down.policy.process(raw('x'));
  assert.equal(paused.kind === 'unavailable' && [paused.error.dependency, paused.error.retryAfterMs, paused.node], ['postgres', 250, 'step'], 'reported for a pause');
});

test('dead letter: input bytes and headers unchanged, plus every dlq header', () => {
  const letter = deadLetterFor(raw('payload'), { node: 'step', reason: 'r', detail: 'd', attempts: 2 }, 'dlq.policy', 1_000);
  assert.is(letter.topic, 'dlq.policy', 'dead-letter topic');
  assert.is(letter.value?.toString(), 'payload', 'value unchanged');
  assert.is(letter.key?.toString(), 'k', 'key unchanged');
  assert.is(letter.timestamp, 5, 'timestamp unchanged');
  assert.is(letter.headers['h'], 'v', 'original header kept');
  for (const name of deadLetterHeaders) assert.ok(letter.headers[name] !== undefined, `${name} present`);
  assert.equal(
    [letter.headers['dlq-reason'], letter.headers['dlq-detail'], letter.headers['dlq-source'], letter.headers['dlq-attempts'], letter.headers['dlq-failed-at']],
    ['r', 'd', 'in/2/41', '2', '1000'],
    'header values',
  );
  assert.is(letter.headers['dlq-node'], 'step', 'the failing node named');
  assert.equal(deadLetterHeaders, ['dlq-reason', 'dlq-detail', 'dlq-source', 'dlq-attempts', 'dlq-failed-at', 'dlq-node'], 'the header names docs/design.md §2 documents, and no other');
});

test.run();
