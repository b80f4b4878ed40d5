import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createProgress, formatDuration, formatProgress } from '../../../src/operators/progress.ts';

test('formatProgress shows count, percent, rate and ETA', () => {
  const line = formatProgress(250, 1_000, 5_000);
  assert.match(line, '250/1000', 'expected done/total');
  assert.match(line, '25%', 'expected the percentage');
  assert.match(line, '50 rec/s', 'expected the average rate');
  assert.match(line, 'ETA 15s', 'expected 750 records at 50/s = 15 s left');
});

test('formatProgress draws a bar when given a width', () => {
  assert.match(formatProgress(5, 10, 1_000, 10), '[#####.....]', 'expected a half-full bar');
});

test('formatDuration reads like a clock', () => {
  assert.is(formatDuration(59_000), '59s', 'seconds alone under a minute');
  assert.is(formatDuration(125_000), '2m05s', 'minutes and seconds');
  assert.is(formatDuration(3_725_000), '1h02m', 'hours and minutes');
});

function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

test('without a terminal, progress is plain lines without carriage returns', () => {
  let now = 0;
  const out = capture(false);
  const progress = createProgress({ total: 10, label: 'copy', stream: out.stream, now: () => now, lineEveryMs: 1_000 });
  for (let i = 0; i < 10; i++) {
    now += 500;
    progress.advance(1);
  }
  progress.done();
  assert.not.match(out.text(), '\r', 'expected no carriage return when not on a terminal');
  assert.is(out.text().trim().split('\n').length, 6, 'expected a line per second of 5 s plus the final line');
  assert.match(out.text(), 'copy 10/10 100%', 'expected the final line to show completion');
});

test('on a terminal, progress redraws one line', () => {
  const out = capture(true);
  const progress = createProgress({ total: 2, label: 'copy', stream: out.stream });
  progress.advance(1);
  progress.advance(1);
  progress.done();
  assert.match(out.text(), '\r', 'expected carriage returns to redraw the bar');
  assert.is(out.text().split('\n').length, 2, 'expected one newline at the end only');
});

test.run();
