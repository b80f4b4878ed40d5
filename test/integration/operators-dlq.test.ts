import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { dlqTopic } from '../../src/topics.ts';
import { bridge, readTopic } from './operators-cli.ts';

// The CLI reads the real dlq.<stage>, which other processes share: each test uses a reason of
// its own, so it sees only its own dead letters.
const kafka: Kafka = kafkaClient();
let admin: Admin;
let producer: Producer;

test.before(async () => {
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: dlqTopic('enrich'), numPartitions: 6 }] });
});

test.after(async () => {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
});

async function deadLetters(reason: string, source: string, count: number, when: number, extraHeaders: Record<string, string> = {}): Promise<void> {
  await producer.send({
    topic: dlqTopic('enrich'),
    messages: Array.from({ length: count }, (_, i) => ({
      key: 'user-secret-id',
      value: `{"hrvRmssdMs": 1${i}}`,
      timestamp: String(when + i * 1_000),
      headers: {
        'dlq-reason': reason,
        'dlq-detail': 'test dead letter',
        'dlq-source': `${source}/0/${i}`,
        'dlq-attempts': '3',
        'x-request-id': `req-${i}`,
        ...extraHeaders,
      },
    })),
  });
}

test('dlq list counts by reason with first and last time, and shows no keys or values', async () => {
  const reason = unique('test_reason').replace('-', '_');
  const source = unique('dlq-src');
  await createTopics(admin, [source]);
  const when = Date.parse('2025-04-01T10:00:00Z');
  await deadLetters(reason, source, 3, when);

  const run = await bridge('dlq', 'list', 'enrich');
  assert.is(run.code, 0, `expected exit 0: ${run.stderr}`);
  const line = run.stdout.split('\n').find((l) => l.startsWith(reason)) ?? '';
  assert.match(line, /\s3\s/, `expected a count of 3 on the ${reason} line, got "${line}"`);
  assert.match(line, '2025-04-01T10:00:00.000Z', 'expected the first time');
  assert.match(line, '2025-04-01T10:00:02.000Z', 'expected the last time');
  assert.match(line, source, 'expected the source topic');
  assert.not.match(run.stdout, 'user-secret-id', 'expected no key printed');
  assert.not.match(run.stdout, 'hrvRmssdMs', 'expected no value printed');
});

test('dlq redrive --reason sends matching records back to their source topic; --dry-run sends nothing', async () => {
  const reason = unique('test_reason').replace('-', '_');
  const other = unique('other_reason').replace('-', '_');
  const source = unique('dlq-src');
  await createTopics(admin, [source]);
  await deadLetters(reason, source, 2, Date.now());
  await deadLetters(other, source, 1, Date.now());

  const dry = await bridge('dlq', 'redrive', 'enrich', '--reason', reason, '--dry-run');
  assert.is(dry.code, 0, `expected exit 0: ${dry.stderr}`);
  assert.match(dry.stdout, `would redrive 2 to ${source}`, 'expected the count per source topic');
  assert.is((await admin.fetchTopicOffsets(source))[0]?.high, '0', 'expected nothing sent by a dry run');

  const run = await bridge('dlq', 'redrive', 'enrich', '--reason', reason);
  assert.is(run.code, 0, `expected exit 0: ${run.stderr}`);
  assert.match(run.stdout, `redrove 2 to ${source}`, 'expected 2 records redriven');
  const back = await readTopic(kafka, source, 2);
  assert.equal(back.map((m) => String(m.value)).sort(), ['{"hrvRmssdMs": 10}', '{"hrvRmssdMs": 11}'], 'expected the original values');
  assert.ok(back.every((m) => String(m.key) === 'user-secret-id'), 'expected the original key');
  assert.ok(back.every((m) => m.headers?.['dlq-reason'] === undefined), 'expected dlq-* headers removed');
  assert.ok(back.every((m) => String(m.headers?.['redriven-from']).startsWith('dlq.enrich/')), 'expected redriven-from');
  assert.is((await admin.fetchTopicOffsets(source))[0]?.high, '2', 'expected the other reason left in the DLQ');
});

test('dlq redrive sends a record that failed again after an earlier redrive back once, not once per failure', async () => {
  const reason = unique('test_reason').replace('-', '_');
  const source = unique('dlq-src');
  await createTopics(admin, [source]);
  await deadLetters(reason, source, 1, Date.now());
  const first = await bridge('dlq', 'redrive', 'enrich', '--reason', reason);
  assert.match(first.stdout, `redrove 1 to ${source}`, `expected the first redrive to send the record: ${first.stdout}`);
  // It fails again: the stage dead-letters the redriven record, whose headers name the first dead letter.
  const [redriven] = await readTopic(kafka, source, 1);
  await deadLetters(reason, source, 1, Date.now(), { 'redriven-from': String(redriven!.headers?.['redriven-from']) });

  const second = await bridge('dlq', 'redrive', 'enrich', '--reason', reason);
  assert.is(second.code, 0, `expected exit 0: ${second.stderr}`);
  assert.match(second.stdout, `redrove 1 to ${source}`, `expected the record sent back once: ${second.stdout}`);
  assert.match(second.stdout, 'skipped 1 of records that failed again', 'expected the repeat counted');
  assert.is((await admin.fetchTopicOffsets(source))[0]?.high, '2', 'expected two records on the source in all: one per redrive');
});

test('dlq list refuses an unknown stage', async () => {
  const run = await bridge('dlq', 'list', 'nosuchstage');
  assert.is.not(run.code, 0, 'expected a non-zero exit');
  assert.match(run.stderr, 'nosuchstage', 'expected the bad stage named');
});

test.run();
