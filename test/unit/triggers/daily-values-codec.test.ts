import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dailyValuesLength, decodeDailyValues, encodeDailyValues, writeDailyValues, type DailyValues } from '../../../src/triggers/index.ts';

test('a stored day reads back with every metric, sum and count as written', () => {
  const day: DailyValues = { hrvRmssdMs: { sum: 131.25, count: 3 }, restingHeartRateBpm: { sum: 52, count: 1 }, stressLevel: { sum: 0, count: 1 } };
  assert.equal(decodeDailyValues(encodeDailyValues(day)), day);
  assert.equal(decodeDailyValues(encodeDailyValues({})), {}, 'an empty day');
});

test('the layout is fixed: metric codes are part of the changelog format', () => {
  // Written by this layout for { hrvRmssdMs: 65 over 1, temperatureDeltaC: -0.25 over 2 }.
  const stored = Buffer.from('02' + '01' + '0000000000405040' + '01000000' + '06' + '000000000000d0bf' + '02000000', 'hex');
  assert.equal(decodeDailyValues(stored), { hrvRmssdMs: { sum: 65, count: 1 }, temperatureDeltaC: { sum: -0.25, count: 2 } }, 'decoded from fixed bytes');
  assert.equal(encodeDailyValues({ hrvRmssdMs: { sum: 65, count: 1 }, temperatureDeltaC: { sum: -0.25, count: 2 } }).toString('hex'), stored.toString('hex'), 'encoded to the same bytes');
});

test('a day written in place into a larger buffer is the bytes encodeDailyValues gives, at the offset asked', () => {
  const days: DailyValues[] = [{}, { sleepScore: { sum: 70, count: 1 } }, { hrvRmssdMs: { sum: 131.25, count: 3 }, restingHeartRateBpm: undefined, stressLevel: { sum: 0, count: 1 } }];
  for (const day of days) {
    const out = Buffer.alloc(3 + dailyValuesLength(day) + 2, 0xee);
    const end = writeDailyValues(day, out, 3);
    assert.is(end, 3 + dailyValuesLength(day), 'returns the offset after the day');
    assert.is(out.subarray(3, end).toString('hex'), encodeDailyValues(day).toString('hex'), `the same bytes for ${JSON.stringify(day)}`);
    assert.is(out.subarray(0, 3).toString('hex') + out.subarray(end).toString('hex'), 'eeeeeeeeee', 'nothing written outside it');
  }
  assert.is(encodeDailyValues({ hrvRmssdMs: undefined })[0], 0, 'a metric set to undefined is not stored');
});

test('a damaged day is an error that says what is wrong', () => {
  assert.throws(() => decodeDailyValues(Buffer.from([2, 1, 0])), /a stored day of 3 bytes does not hold 2 metrics/);
  assert.throws(() => decodeDailyValues(Buffer.alloc(0)), /a stored day is empty/);
  const unknown = Buffer.from('01' + '63' + '0000000000405040' + '01000000', 'hex');
  assert.throws(() => decodeDailyValues(unknown), /unknown metric code 99/);
});

test.run();
