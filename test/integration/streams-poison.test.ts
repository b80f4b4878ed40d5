import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/obs/logger.ts';
import { RecordError, StreamsBuilder, StreamEvents, runTopology, serdes } from '../../src/streams/index.ts';
import { produce, readUntil, stageTopics } from './streams-support.ts';

test('poison record: 1 bad in 1,000 → 999 outputs and 1 dead letter with its reason; later records flow', async () => {
  const { kafka, name, input, output, remove } = await stageTopics('poison', 1);

  const builder = new StreamsBuilder(name);
  builder
    .stream('numbers', { topics: [input], key: serdes.string(), value: serdes.json<{ n: number }>() })
    .map('check', (record, ctx) => {
      if (record.value.n === 500) {
        ctx.log.info({ key: record.key, value: record.value }, 'refusing a record'); // redaction must hide both
        throw new RecordError('poison_value', 'the value 500 is refused');
      }
      return record;
    })
    .mapValues('label', (value) => `out-${value.n}`)
    .to('out', { topic: output, key: serdes.string(), value: serdes.string() });
  const events = new StreamEvents();
  const lines: string[] = [];
  const log = createLogger({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  const running = await runTopology(builder.build(), { kafka, events, log, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
  try {
    await produce(kafka, input, Array.from({ length: 1_000 }, (_, n) => ({ key: `k${n}`, value: JSON.stringify({ n }), headers: { origin: 'test' } })));
    const outputs = await readUntil(kafka, output, (seen) => seen.length >= 999);
    const letters = await readUntil(kafka, `dlq.${name}`, (seen) => seen.length >= 1);
    assert.is(new Set(outputs.map((o) => o.value)).size, 999, '999 distinct outputs');
    assert.is(letters.length, 1, 'one dead letter');
    assert.not.ok(outputs.some((o) => o.value === 'out-500'), 'the poison record has no output');
    assert.ok(outputs.some((o) => o.value === 'out-999'), 'records after the poison one were processed');
    const [letter] = letters;
    const logged = lines.join('');
    assert.ok(logged.includes('refusing a record') && logged.includes('"node":"check"'), 'the step logged at info through its node logger');
    assert.not.match(logged, /k500|"n":500/, 'no key or value in the logs');
    assert.is(letter?.headers['dlq-reason'], 'poison_value', 'dead letter reason');
    assert.is(letter?.headers['dlq-detail'], 'the value 500 is refused', 'dead letter detail');
    assert.is(letter?.headers['dlq-source'], `${input}/0/500`, 'dead letter source coordinates');
    assert.is(letter?.headers['dlq-attempts'], '1', 'a RecordError is not retried');
    assert.ok(Number(letter?.headers['dlq-failed-at']) > 0, 'failure time set');
    assert.is(letter?.headers['origin'], 'test', 'original header kept');
    assert.is(letter?.value, JSON.stringify({ n: 500 }), 'value bytes unchanged');
    assert.is(letter?.key, 'k500', 'key bytes unchanged');
  } finally {
    await running.stop();
    await remove();
  }
});

test.run();
