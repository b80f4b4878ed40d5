import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bridge = fileURLToPath(new URL('../../../bin/bridge.js', import.meta.url));

function bridgeWith(...args: string[]) {
  return spawnSync(process.execPath, [bridge, ...args], { encoding: 'utf8' });
}

test('arguments the parser refuses exit 64, as the commands own usage refusals do; help exits 0', () => {
  for (const args of [['replay', '--bogus'], ['run'], ['dlq', 'list', 'a', 'b'], ['no-such-command']]) {
    const run = bridgeWith(...args);
    assert.is(run.status, 64, `expected bridge ${args.join(' ')} to exit 64, got ${run.status}: ${run.stderr}`);
    assert.ok(run.stderr.length > 0, `expected bridge ${args.join(' ')} to say why`);
  }
  assert.is(bridgeWith('--help').status, 0);
  assert.is(bridgeWith('replay', '--help').status, 0);
});

test.run();
