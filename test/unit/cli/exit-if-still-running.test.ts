import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// A stopped stage whose process something still holds (here an interval) exits, naming it.
const script = `
import { exitIfStillRunning } from './src/cli/commands/run.ts';
import { createLogger } from './src/obs/logger.ts';
setInterval(() => undefined, 1_000);
exitIfStillRunning(createLogger({ level: 'warn', name: 'bridge-test' }), 200);
`;

test('a process still held after the stages stopped exits within the grace and logs what held it', async () => {
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.is(code, 0, `expected exit 0, got ${code}: ${output}`);
  assert.match(output, /still holds the process; exiting/);
  assert.match(output, /Timeout/, 'the log names the timer that held it');
  assert.ok(Date.now() - started < 10_000, 'exited before the test gave up');
});

test.run();
