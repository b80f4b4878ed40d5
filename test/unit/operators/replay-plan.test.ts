import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OperatorError, exitCodes } from '../../../src/operators/errors.ts';
import { checkWindow, parseOffsets, parseTime } from '../../../src/operators/replay-plan.ts';
import { replayMessage } from '../../../src/operators/replay-copy.ts';

function refusal(fn: () => unknown): OperatorError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OperatorError) return error;
    throw error;
  }
  throw new Error('expected an OperatorError');
}

test('parseOffsets reads partition:start-end lists', () => {
  assert.equal(
    parseOffsets('0:100-200, 3:0-5'),
    [
      { partition: 0, start: '100', end: '200' },
      { partition: 3, start: '0', end: '5' },
    ],
    'expected two ranges',
  );
});

test('parseOffsets refuses malformed, reversed and repeated ranges as usage errors', () => {
  assert.match(refusal(() => parseOffsets('0:100')).message, '<partition>:<start>-<end>', 'expected the format in the message');
  const reversed = refusal(() => parseOffsets('1:200-100'));
  assert.match(reversed.message, 'end 100 is before start 200', 'expected the reversed range named');
  assert.is(reversed.exitCode, exitCodes.usage, 'expected the usage exit code');
  assert.match(refusal(() => parseOffsets('1:0-1,1:2-3')).message, 'partition 1 twice', 'expected the repeat named');
});

test('parseTime accepts ISO-8601 and refuses the rest', () => {
  assert.is(parseTime('--start', '2025-01-31T08:00:00Z').toISOString(), '2025-01-31T08:00:00.000Z', 'expected the instant');
  const bad = refusal(() => parseTime('--start', 'yesterday'));
  assert.match(bad.message, '--start "yesterday" is not an ISO-8601 time', 'expected the option and value named');
});

test('checkWindow refuses an end before the start', () => {
  const error = refusal(() => checkWindow(new Date('2025-02-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z')));
  assert.match(error.message, 'is before --start', 'expected the reason');
  assert.is(error.exitCode, exitCodes.usage, 'expected the usage exit code');
});

test('replayMessage keeps key, value and headers and adds replayed-from', () => {
  const message = replayMessage('raw.oura', 2, {
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    headers: { 'x-request-id': Buffer.from('r1') },
    offset: '41',
    timestamp: '0',
    attributes: 0,
  });
  assert.is(String(message.key), 'k', 'expected the key kept');
  assert.is(String(message.value), 'v', 'expected the value kept');
  assert.is(String(message.headers?.['x-request-id']), 'r1', 'expected the headers kept');
  assert.is(message.headers?.['replayed-from'], 'raw.oura/2/41', 'expected topic/partition/offset of the source');
});

test.run();
