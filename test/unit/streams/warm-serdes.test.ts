import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../../src/obs/logger.ts';
import { memorySchemaStore, serdes, StreamsBuilder, type AvroSchemaStore } from '../../../src/streams/index.ts';
import { warmSerdes } from '../../../src/streams/warm-serdes.ts';

const reading = { type: 'record' as const, name: 'Reading', namespace: 'test', fields: [{ name: 'metric', type: 'string' }] };

test('warmSerdes asks for the schema of every topic read or written by name, including a topic function’s known topics', async () => {
  const memory = memorySchemaStore();
  const registered: string[] = [];
  const lookedUp: string[] = [];
  const store: AvroSchemaStore = {
    register: (subject, schema) => (registered.push(subject), memory.register(subject, schema)),
    writerType: (id) => memory.writerType(id),
    idOf: (subject, schema) => (lookedUp.push(subject), memory.idOf!(subject, schema)),
  };
  const avro = serdes.avro<{ metric: string }>({ store, schema: reading });
  const builder = new StreamsBuilder('warm');
  const stream = builder.stream('readings', { topics: ['readings', /^pattern\..*/], key: serdes.string(), value: avro });
  stream.to('fixed', { topic: 'out.fixed', key: serdes.string(), value: avro });
  stream.to('routed', { topic: (record) => `out.${record.value.metric}`, topics: ['out.hrv', 'out.rhr'], key: serdes.string(), value: avro });
  stream.to('unknown', { topic: (record) => `elsewhere.${record.value.metric}`, key: serdes.string(), value: avro });
  await warmSerdes(builder.build(), createLogger({ level: 'silent' }));
  assert.equal(lookedUp, ['readings-value'], 'expected the source topic looked up (a pattern names no topic)');
  assert.equal(registered.sort(), ['out.fixed-value', 'out.hrv-value', 'out.rhr-value'], 'expected each sink topic known by name registered, and nothing for an open topic function');
});

test('warmSerdes never rejects: a registry that fails leaves the schemas to the first records', async () => {
  const failing: AvroSchemaStore = {
    register: () => Promise.reject(new Error('no answer')),
    writerType: () => Promise.reject(new Error('no answer')),
    idOf: () => Promise.reject(new Error('no answer')),
  };
  const avro = serdes.avro<{ metric: string }>({ store: failing, schema: reading });
  const builder = new StreamsBuilder('warm');
  builder.stream('readings', { topics: ['readings'], key: serdes.string(), value: avro }).to('out', { topic: 'out', key: serdes.string(), value: avro });
  await warmSerdes(builder.build(), createLogger({ level: 'silent' }));
  const late = avro.serialize({ metric: 'hrv' }, 'out');
  assert.instance(late, Promise, 'expected the first record to ask the registry itself');
  assert.instance(await (late as Promise<unknown>).catch((error: unknown) => error), Error, 'expected it to meet the registry’s failure');
});

test.run();
