// A signal that arrives while a topology is still starting (joined its group, not yet running)
// must stop it too: the stop once covered only the topologies already running, and one that
// finished starting afterwards kept the process alive (seen with Ctrl-C during `npm start`).
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runStages } from '../../src/cli/commands/run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { StreamsBuilder, serdes } from '../../src/streams/index.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { freePort } from './pipeline-support.ts';

test('SIGTERM while a topology joins its group stops it once it started, and the stage resolves', async () => {
  const admin = kafkaClient().admin();
  await admin.connect();
  const name = unique('stop-during-start');
  await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`], 1);
  const stage = () => {
    const builder = new StreamsBuilder(name);
    builder.stream('in', { topics: [`${name}.in`], key: serdes.string(), value: serdes.string() }).to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
    return builder.build();
  };
  const lines: string[] = [];
  // The signal goes out as the topology logs its join, before runTopology has returned it.
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString('utf8');
      lines.push(line);
      if (line.includes('"msg":"joined group"')) process.emit('SIGTERM', 'SIGTERM');
      done();
    },
  });
  const stageConfig = loadConfig({ ...process.env, METRICS_PORT: String(await freePort()), LOG_LEVEL: 'info' });
  const done = runStages(stageConfig, 'normalize', { topologies: { normalize: stage }, logDestination: destination });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    done.then(() => 'resolved', (error: unknown) => `rejected: ${String(error)}`),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running after 30 s'), 30_000))),
  ]);
  clearTimeout(timer);
  try {
    assert.is(outcome, 'resolved', 'expected the stage to stop');
    const order = (msg: string) => lines.findIndex((line) => line.includes(`"msg":"${msg}"`));
    assert.ok(order('joined group') >= 0 && order('shutting down') > order('joined group'), 'expected the signal while the topology was starting');
    assert.ok(order('topology stopped') > order('topology started'), 'expected the topology that finished starting to be stopped');
  } finally {
    // A stage that did not stop keeps this process alive: end it once uvu has reported the failure.
    if (outcome !== 'resolved') setTimeout(() => process.exit(1), 2_000).unref();
    await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`] });
    await admin.disconnect();
  }
});

test.run();
