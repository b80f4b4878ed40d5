import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventIdFor } from '../../../../src/vendors/kit/event-id.ts';

test('the same parts always give the same UUIDv5', () => {
  const id = eventIdFor(['TERRA', 'user-1', 'sleep', 'summary', 'abc']);
  assert.is(eventIdFor(['TERRA', 'user-1', 'sleep', 'summary', 'abc']), id, 'expected a stable id');
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'expected an RFC 9562 version 5 UUID');
  // A pinned value: changing the namespace or the hashing would re-key every stored event.
  assert.is(id, '03b2e46c-62b0-57f5-a3e8-36ffbc65dea2', 'expected the pinned id');
});

test('parts are separated, so shifting text between parts changes the id', () => {
  assert.is.not(eventIdFor(['ab', 'c']), eventIdFor(['a', 'bc']), 'expected part boundaries to matter');
  assert.is.not(eventIdFor(['GARMIN', 'u', 'daily', 's1']), eventIdFor(['GARMIN', 'u', 'sleep', 's1']), 'expected the data type to matter');
});

test.run();
