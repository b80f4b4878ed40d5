import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig, stageNames } from '../../../src/config/index.ts';
import { describeStages } from '../../../src/cli/commands/describe.ts';
import { StreamsBuilder, serdes } from '../../../src/streams/index.ts';
import { topologies } from '../../../src/app/index.ts';

test('describeStages: builds each registered factory without connecting and returns its graph', async () => {
  let sawResources = false;
  const descriptions = await describeStages(loadConfig({}), {
    example: (resources) => {
      sawResources = resources.config.DELIVERY === 'at-least-once' && typeof resources.schemaStore === 'function';
      const builder = new StreamsBuilder('example');
      builder.stream('in', { topics: ['a'], key: serdes.string(), value: serdes.string() }).to('out', { topic: 'b', key: serdes.string(), value: serdes.string() });
      return builder.build();
    },
  });
  assert.ok(sawResources, 'factories get the stage resources');
  assert.equal(descriptions.map((d) => d.name), ['example'], 'one description per factory');
  assert.match(String(descriptions[0]), /Source: in \(topics: \[a\]/, 'text form');
});

test('describeStages: every registered stage builds and names its consumer group bridge.<graph>, its dead letters dlq.<stage>', async () => {
  const descriptions = await describeStages(loadConfig({}));
  assert.ok(descriptions.length >= Object.keys(topologies).length, `all ${Object.keys(topologies).length} topologies described`);
  assert.ok(descriptions.some((d) => d.name === 'hydrate-backfill'), 'expected hydrate’s second graph, its backfill, described');
  for (const d of descriptions) {
    // A stage's second graph is named <stage>-<what> (hydrate-backfill) and shares the stage's dead letters.
    const stage = stageNames.find((name) => d.name === name || d.name.startsWith(`${name}-`));
    assert.ok(stage, `expected ${d.name} to belong to a stage`);
    assert.is(d.groupId, `bridge.${d.name}`, `${d.name}: group`);
    assert.is(d.deadLetterTopic, `dlq.${stage}`, `${d.name}: dead-letter topic`);
    assert.ok(d.nodes.some((n) => n.type === 'source'), `${d.name}: has a source`);
  }
});

test.run();
