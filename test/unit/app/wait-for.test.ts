import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../../../src/app/wait-for.ts';
import { createLogger } from '../../../src/obs/logger.ts';

interface Line {
  readonly level: number;
  readonly attempt: number;
  readonly waitedMs: number;
}

function capturedLog(): { log: ReturnType<typeof createLogger>; lines: Line[] } {
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  return { log: createLogger({ level: 'debug' }, destination), lines };
}

const down = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const warnLevel = 40;
const debugLevel = 20;

test('a long wait warns at its first attempt and then once per warnEveryMs, the attempts between at debug', async () => {
  const { log, lines } = capturedLog();
  let clock = 0;
  let attempts = 0;
  const answer = await waitFor(
    async () => {
      attempts += 1;
      // Each attempt ten seconds after the last, as a dependency that times out would take.
      clock += 10_000;
      if (attempts < 8) throw down();
      return 'up';
    },
    { log, dependency: 'postgres', what: 'to apply the migrations', isUnavailable: () => true, initialDelayMs: 1, maxDelayMs: 2, warnEveryMs: 30_000, now: () => clock },
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(answer, 'up');
  assert.is(lines.length, 7, 'expected a line per failed attempt');
  assert.equal(
    lines.map((line) => [line.attempt, line.level]),
    [
      [1, warnLevel],
      [2, debugLevel],
      [3, debugLevel],
      [4, warnLevel],
      [5, debugLevel],
      [6, debugLevel],
      [7, warnLevel],
    ],
    'expected warnings at 10 s, 40 s and 70 s of the wait',
  );
  assert.equal(
    lines.map((line) => line.waitedMs),
    [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000],
    'expected each line to say how long the wait has lasted',
  );
});

test.run();
