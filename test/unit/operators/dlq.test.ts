import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaMessage } from 'kafkajs';
import { deadLetterOrigin, parseDlqSource, redriveMessage, summarize } from '../../../src/operators/dlq.ts';

const letter = (reason: string | undefined, at: number, source = 'raw.oura/0/1'): KafkaMessage => ({
  key: Buffer.from('oura:user-123'),
  value: Buffer.from('{"hrv": 12}'),
  headers: {
    ...(reason ? { 'dlq-reason': Buffer.from(reason) } : {}),
    'dlq-source': Buffer.from(source),
    'dlq-detail': Buffer.from('signature did not match'),
    'x-request-id': Buffer.from('req-1'),
  },
  offset: '7',
  timestamp: String(at),
  attributes: 0,
});

test('parseDlqSource splits topic/partition/offset', () => {
  assert.equal(parseDlqSource('raw.google-health/3/1200'), { topic: 'raw.google-health', partition: 3, offset: '1200' }, 'expected the three parts');
  assert.is(parseDlqSource('raw.oura'), undefined, 'expected undefined for a malformed header');
  assert.is(parseDlqSource(undefined), undefined, 'expected undefined for a missing header');
});

test('summarize counts by reason with first and last time, most frequent first', () => {
  const rows = summarize([
    letter('bad_signature', 3_000),
    letter('stale_timestamp', 2_000, 'raw.whoop/1/5'),
    letter('bad_signature', 1_000, 'raw.polar/0/9'),
    letter(undefined, 5_000),
  ]);
  assert.equal(rows.map((r) => [r.reason, r.count]), [['bad_signature', 2], ['stale_timestamp', 1], ['unknown', 1]], 'expected counts per reason');
  assert.is(rows[0]?.first.getTime(), 1_000, 'expected the earliest time as first');
  assert.is(rows[0]?.last.getTime(), 3_000, 'expected the latest time as last');
  assert.equal(rows[0]?.sources, ['raw.oura', 'raw.polar'], 'expected the source topics');
});

test('a dead letter is dated when it failed (dlq-failed-at), not by its input’s time', () => {
  const failed = (inputAt: number, failedAt: number): KafkaMessage => {
    const m = letter('bad_signature', inputAt);
    return Object.assign(m, { headers: { ...m.headers, 'dlq-failed-at': Buffer.from(String(failedAt)) } });
  };
  const [row] = summarize([failed(1_000, 50_000), failed(9_000, 40_000)]);
  assert.is(row?.first.getTime(), 40_000);
  assert.is(row?.last.getTime(), 50_000);
});

test('summaries carry no keys or values', () => {
  const text = JSON.stringify(summarize([letter('bad_signature', 1)]));
  assert.not.match(text, 'user-123', 'expected no user id in a summary');
  assert.not.match(text, 'hrv', 'expected no reading in a summary');
});

test('redriveMessage restores the record and drops the dlq-* headers', () => {
  const message = redriveMessage('dlq.verify', 4, letter('bad_signature', 1));
  assert.is(String(message.key), 'oura:user-123', 'expected the key kept');
  assert.is(String(message.value), '{"hrv": 12}', 'expected the value kept');
  assert.equal(Object.keys(message.headers ?? {}).sort(), ['received-at', 'redriven-from', 'x-request-id'], 'expected own headers plus redriven-from, and received-at (it had none)');
  assert.is(message.headers?.['received-at'], '1', 'expected the record’s first time');
  assert.is(message.headers?.['redriven-from'], 'dlq.verify/4/7', 'expected where it was redriven from');
});

test('a record that failed again after a redrive has the origin of its first dead letter', () => {
  const first = letter('connection_revoked', 1);
  assert.is(deadLetterOrigin('dlq.hydrate', 2, first), '2/7', 'expected a first dead letter to be its own origin');
  const again = Object.assign(letter('connection_revoked', 2), { offset: '90' });
  again.headers = { ...again.headers, 'redriven-from': Buffer.from('dlq.hydrate/2/7') };
  assert.is(deadLetterOrigin('dlq.hydrate', 5, again), '2/7', 'expected the dead letter it was redriven from as its origin');
  const foreign = Object.assign(letter('connection_revoked', 3), { offset: '90' });
  foreign.headers = { ...foreign.headers, 'redriven-from': Buffer.from('dlq.verify/2/7') };
  assert.is(deadLetterOrigin('dlq.hydrate', 5, foreign), '5/90', 'expected a redrive from another dead-letter topic not to count');
});

test('a record redriven again names its first dead letter, not the one sent, so its copies share one origin whichever is read first', () => {
  const again = Object.assign(letter('connection_revoked', 2), { offset: '90' });
  again.headers = { ...again.headers, 'redriven-from': Buffer.from('dlq.hydrate/2/7') };
  assert.is(redriveMessage('dlq.hydrate', 5, again).headers?.['redriven-from'], 'dlq.hydrate/2/7', 'expected the origin carried on (it named 5/90, a chain of its own once 2/7 aged out)');
});

test.run();
