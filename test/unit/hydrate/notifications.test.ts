import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ouraHydrator } from '../../../src/hydrate/oura.ts';
import { whoopHydrator } from '../../../src/hydrate/whoop.ts';
import type { VendorHydrator } from '../../../src/hydrate/vendor-hydrator.ts';
import { RecordError } from '../../../src/streams/errors.ts';
import { documented } from '../../support/vendor-sim/documented-resources.ts';

// Which notification asks for which fetch is decided from the body alone.

const read = (hydrator: VendorHydrator<unknown>, body: object) => hydrator.read(Buffer.from(JSON.stringify(body)));

const throwsReason = (fn: () => unknown, reason: string) => {
  try {
    fn();
  } catch (error) {
    assert.instance(error, RecordError, 'expected a RecordError');
    assert.is((error as RecordError).reason, reason, `expected reason ${reason}`);
    return;
  }
  assert.unreachable(`expected ${reason}`);
};

test('an Oura create/update notification asks for its document by data type and object id', () => {
  const request = read(ouraHydrator, documented.ouraNotification);
  assert.equal(
    request,
    [{ kind: 'fetch', vendorUserId: 'c2b1f6d0-4e7a-4b8e-9a3c-1d5e7f9a2b4c', what: { dataType: 'daily_sleep', objectId: '8f9a5221-639e-4a85-81cb-4065ef23f979' } }],
    'expected a fetch of daily_sleep/<object_id> for the notification user',
  );
});

test('an Oura delete notification becomes a deletion naming the document, with no fetch', () => {
  const request = read(ouraHydrator, { ...documented.ouraNotification, event_type: 'delete' });
  assert.equal(
    request,
    [
      {
        kind: 'delete',
        vendorUserId: 'c2b1f6d0-4e7a-4b8e-9a3c-1d5e7f9a2b4c',
        value: { user_id: 'c2b1f6d0-4e7a-4b8e-9a3c-1d5e7f9a2b4c', deleted: { type: 'daily_sleep', id: '8f9a5221-639e-4a85-81cb-4065ef23f979' } },
      },
    ],
    'expected a deletion of daily_sleep/<object_id>',
  );
});

test('an Oura inline document carries its data; a notification without user_id is malformed', () => {
  assert.equal(read(ouraHydrator, { user_id: 'u', timestamp: '2025-01-15T07:00:00Z', hrv_data: { rmssd: 40 } }), [{ kind: 'carries-data' }], 'expected the inline document to pass');
  throwsReason(() => read(ouraHydrator, { event_type: 'create', data_type: 'sleep', object_id: 'x' }), 'malformed_notification');
});

test('a WHOOP recovery.updated asks for the recovery by the sleep id it names', () => {
  assert.equal(
    read(whoopHydrator, documented.whoopNotification),
    [{ kind: 'fetch', vendorUserId: '10129', what: { resource: 'recovery', id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8' } }],
    'expected a recovery fetch keyed on the sleep id',
  );
  assert.equal(
    read(whoopHydrator, { ...documented.whoopNotification, type: 'workout.updated' }),
    [{ kind: 'fetch', vendorUserId: '10129', what: { resource: 'workout', id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8' } }],
    'expected a workout fetch',
  );
});

test('a WHOOP *.deleted becomes a deletion; unknown types are dead letters; documents carry data', () => {
  assert.equal(
    read(whoopHydrator, { ...documented.whoopNotification, type: 'sleep.deleted' }),
    [{ kind: 'delete', vendorUserId: '10129', value: { user_id: '10129', deleted: { type: 'sleep', id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8' } } }],
    'expected a deletion of the sleep',
  );
  throwsReason(() => read(whoopHydrator, { ...documented.whoopNotification, type: 'cycle.updated' }), 'unsupported_notification');
  throwsReason(() => read(whoopHydrator, { type: 'sleep.updated', trace_id: 't' }), 'malformed_notification');
  assert.equal(read(whoopHydrator, documented.whoopRecovery), [{ kind: 'carries-data' }], 'expected an inline recovery document to pass');
});

test.run();
