import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createAccessLog } from '../../../src/ingress/access-log.ts';
import { createLogger } from '../../../src/obs/logger.ts';

function logTo(level: 'info' | 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level }, stream) };
}

const entry = (status: number, n = 0) => ({ requestId: `r-${n}`, vendor: 'whoop', method: 'POST', status, ms: 1.5 });
const test = suite('ingress access log');

test('every non-2xx answer is logged at info', () => {
  const { lines, logger } = logTo('info');
  const log = createAccessLog(logger, 100);
  for (const status of [400, 401, 404, 413, 415, 503]) log.write(entry(status));
  assert.equal(lines.map((l) => l['status']), [400, 401, 404, 413, 415, 503], 'one line per refusal');
  assert.ok(lines.every((l) => l['level'] === 30 && l['msg'] === 'webhook'), 'at info, as `webhook`');
});

test('successes at info: the first, then one in N, marked with the sampling rate', () => {
  const { lines, logger } = logTo('info');
  const log = createAccessLog(logger, 3);
  for (let n = 0; n < 7; n++) log.write(entry(202, n));
  assert.equal(lines.map((l) => l['requestId']), ['r-0', 'r-3', 'r-6'], 'the first and every third');
  assert.ok(lines.every((l) => l['sampled'] === 3), 'sampled: 3 on each');
});

test('at debug, every success is logged', () => {
  const { lines, logger } = logTo('debug');
  const log = createAccessLog(logger, 3);
  for (let n = 0; n < 4; n++) log.write(entry(202, n));
  assert.is(lines.length, 4, 'four lines for four successes');
});

test.run();
