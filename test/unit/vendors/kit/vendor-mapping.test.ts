import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordError } from '../../../../src/streams/errors.ts';
import { buildEvent, type EventDraft } from '../../../../src/vendors/kit/vendor-mapping.ts';

const context = { receivedAt: Date.UTC(2025, 0, 15, 12) };
const draft: EventDraft = {
  source: 'WITHINGS',
  userId: 'u1',
  dataType: 'body',
  occurredAt: Date.UTC(2025, 0, 15, 7),
  identity: ['measuregrp', '7'],
  headlines: { restingHeartRateBpm: 52 },
  readings: [{ metric: 'weight', value: 72.3, unit: 'kg' }, undefined],
};

function refusal(build: () => unknown): RecordError {
  try {
    build();
  } catch (error) {
    assert.instance(error, RecordError, `expected a RecordError, got ${String(error)}`);
    return error as RecordError;
  }
  assert.unreachable('expected the draft refused');
  throw new Error('unreachable');
}

test('a draft of finite numbers becomes its event', () => {
  const event = buildEvent(draft, context);
  assert.equal([event.restingHeartRateBpm, event.readings], [52, [{ metric: 'weight', value: 72.3, unit: 'kg' }]], 'expected the headline and the reading present');
});

test('a reading that is NaN or infinite is refused as unmappable, naming the metric and not the value', () => {
  for (const value of [NaN, Infinity, -Infinity]) {
    const error = refusal(() => buildEvent({ ...draft, readings: [{ metric: 'weight', value, unit: 'kg' }] }, context));
    assert.is(error.reason, 'unmappable', `expected ${value} refused, not stored as null`);
    assert.is(error.detail, 'withings body event has a weight reading that is not a finite number', 'expected the detail to name the event and metric');
  }
});

test('a headline that is not finite, or a time that is not, is refused as unmappable', () => {
  const headline = refusal(() => buildEvent({ ...draft, headlines: { sleepScore: Infinity } }, context));
  assert.equal([headline.reason, headline.detail], ['unmappable', 'withings body event has a sleepScore that is not a finite number'], 'expected the headline named');
  const time = refusal(() => buildEvent({ ...draft, occurredAt: -Infinity }, context));
  assert.equal([time.reason, time.detail], ['unmappable', 'withings body event has no finite time'], 'expected the time refused');
});

test.run();
