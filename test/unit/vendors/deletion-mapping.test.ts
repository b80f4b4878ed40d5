import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ouraHydrator } from '../../../src/hydrate/oura.ts';
import { whoopHydrator } from '../../../src/hydrate/whoop.ts';
import type { HydrationRequest } from '../../../src/hydrate/vendor-hydrator.ts';
import { normalizeDeletion } from '../../../src/vendors/normalize-record.ts';
import { RecordError } from '../../../src/streams/errors.ts';
import { bridgeSchemas } from '../../../src/schemas/index.ts';
import type { BiometricEvent } from '../../../src/events/index.ts';
import { oura } from '../../../src/vendors/oura/index.ts';
import { whoop } from '../../../src/vendors/whoop/index.ts';
import { context, fixture, json, mapOne } from './mapping-fixtures.ts';

const receivedAt = String(context.receivedAt);

/** What hydrate writes for a deletion notification, read back as normalize reads it. */
function deletionOf(request: HydrationRequest<unknown> | undefined, vendor: 'oura' | 'whoop'): BiometricEvent {
  assert.ok(request?.kind === 'delete', `expected the ${vendor} notification read as a deletion`);
  const { events } = normalizeDeletion({
    key: `${vendor}:${request.vendorUserId}`,
    topic: `hydrated.${vendor}`,
    value: Buffer.from(JSON.stringify(request.value)),
    headers: { op: 'delete', 'received-at': receivedAt },
    timestamp: 0,
  });
  assert.is(events.length, 1, `expected one ${vendor} deletion event`);
  const event = events[0]!;
  const invalid: string[] = [];
  bridgeSchemas().BiometricEvent.type.isValid(event, { errorHook: (path) => invalid.push(path.join('.')) });
  assert.equal(invalid, [], 'expected a valid BiometricEvent');
  return event;
}

test('an Oura delete names the event its document gave: same eventId, op DELETE, no values', () => {
  const userId = 'oura-user-1042';
  const document = JSON.parse(fixture('oura', 'api/daily_sleep.json').toString()) as { id: string };
  const live = mapOne(oura, json({ user_id: userId, data_type: 'daily_sleep', documents: { daily_sleep: [document] } }));
  const [request] = ouraHydrator.read(json({ event_type: 'delete', data_type: 'daily_sleep', object_id: document.id, user_id: userId }));
  const deleted = deletionOf(request, 'oura');
  assert.is(deleted.eventId, live.eventId, 'expected the deletion to carry the live event’s id');
  assert.is(deleted.op, 'DELETE', 'expected op DELETE');
  assert.is(live.op, 'UPSERT', 'expected the live event to be an UPSERT');
  assert.is(deleted.dataType, 'sleep', 'expected the mapped data type');
  assert.is(deleted.sleepScore, null, 'expected no values on a deletion');
  assert.equal(deleted.readings, [], 'expected no readings on a deletion');
  assert.is(deleted.occurredAt, context.receivedAt, 'expected occurredAt from the deletion’s arrival');
});

test('an Oura sleep period of type deleted is the deletion of the event the period gave, as a delete notification is', () => {
  const userId = 'oura-user-1042';
  const period = (JSON.parse(fixture('oura', 'api/sleep-of-day.json').toString()) as { data: Record<string, unknown>[] }).data[0]!;
  const sleepEnvelope = (doc: unknown) => json({ user_id: userId, data_type: 'sleep', documents: { sleep: [doc] } });
  const live = mapOne(oura, sleepEnvelope(period));
  const deleted = mapOne(oura, sleepEnvelope({ ...period, type: 'deleted' }));
  assert.is(deleted.op, 'DELETE', 'expected op DELETE, not live UPSERT data');
  assert.is(deleted.eventId, live.eventId, 'expected the eventId of the period’s live event');
  assert.equal([deleted.hrvRmssdMs, deleted.restingHeartRateBpm, deleted.readings], [null, null, []], 'expected no values on a deletion');
  assert.is(deleted.occurredAt, context.receivedAt, 'expected occurredAt from the deletion’s arrival, as every deletion');
  const [request] = ouraHydrator.read(json({ event_type: 'delete', data_type: 'sleep', object_id: period['id'], user_id: userId }));
  assert.is(deletionOf(request, 'oura').eventId, deleted.eventId, 'expected the same deletion as Oura’s delete notification of the period');
  // A value hydrated earlier holds the day's periods beside its daily_sleep: a deleted one is no night.
  const daily = JSON.parse(fixture('oura', 'api/daily_sleep.json').toString()) as unknown;
  const night = mapOne(oura, json({ user_id: userId, data_type: 'daily_sleep', documents: { daily_sleep: [daily], sleep: [{ ...period, type: 'deleted', average_hrv: 12 }] } }));
  assert.equal([night.op, night.hrvRmssdMs], ['UPSERT', null], 'expected the daily_sleep not to take a deleted period’s HRV');
});

for (const [resource, document] of [
  ['recovery', 'recovery-document.json'],
  ['sleep', 'sleep-document.json'],
  ['workout', 'api/workout.json'],
] as const) {
  test(`a WHOOP ${resource}.deleted names the event the ${resource} document gave`, () => {
    const live = mapOne(whoop, fixture('whoop', document));
    // The fixtures share one sleep UUID: a recovery is named by its sleep's id (model v2).
    const [request] = whoopHydrator.read(json({ user_id: 10129, id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8', type: `${resource}.deleted`, trace_id: 't-1' }));
    const deleted = deletionOf(request, 'whoop');
    assert.is(deleted.eventId, live.eventId, `expected the ${resource} deletion to carry the live event’s id`);
    assert.is(deleted.dataType, live.dataType, 'expected the same data type');
    assert.is(deleted.op, 'DELETE', 'expected op DELETE');
  });
}

test('a WHOOP model v1 recovery deletion (numeric cycle id) is a dead letter that says why', () => {
  const [request] = whoopHydrator.read(json({ user_id: 10129, id: 93845, type: 'recovery.deleted', trace_id: 't-2' }));
  try {
    deletionOf(request, 'whoop');
    assert.unreachable('expected a RecordError');
  } catch (error) {
    assert.instance(error, RecordError, 'expected a RecordError');
    assert.is((error as RecordError).reason, 'unmappable', 'expected reason unmappable');
    assert.match((error as RecordError).detail, 'cycle id', 'expected the detail to name the cycle id');
  }
});

test('a vendor without deletions answers deletion_unsupported, and a deletion without an id is unmappable', () => {
  const read = (key: string, value: unknown) => () =>
    normalizeDeletion({ key, topic: 'hydrated.x', value: Buffer.from(JSON.stringify(value)), headers: { op: 'delete' }, timestamp: 1 });
  const reasonOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as RecordError).reason;
    }
    return 'no error';
  };
  assert.is(reasonOf(read('healthkit:u1', { user_id: 'u1', deleted: { type: 'x', id: 'y' } })), 'deletion_unsupported', 'expected HealthKit deletions unsupported');
  assert.is(reasonOf(read('oura:u1', { user_id: 'u1', deleted: { type: 'daily_sleep' } })), 'unmappable', 'expected a deletion without id unmappable');
});

test.run();
