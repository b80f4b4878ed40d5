import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { googleHealth } from '../../../src/vendors/google-health/index.ts';
import { polar } from '../../../src/vendors/polar/index.ts';
import { withings } from '../../../src/vendors/withings/index.ts';
import { fixture, json, mapError, mapValid } from './mapping-fixtures.ts';

test('google-health: data notifications need hydration; verification is acknowledged', () => {
  const error = mapError(googleHealth, fixture('google-health', 'notification.json'));
  assert.is(error.reason, 'needs_hydration', 'expected needs_hydration');
  assert.match(error.detail, 'UPSERT notification for heart-rate-variability', 'expected the operation and type in the detail');
  assert.is(mapValid(googleHealth, json({ type: 'verification' })).acknowledged, 'google_health_verification', 'expected verification acknowledged');
  assert.is(mapError(googleHealth, json({ data: {} })).reason, 'unmappable', 'expected a notification without user unmappable');
});

test('polar: notifications need hydration; PING is acknowledged', () => {
  assert.is(mapError(polar, fixture('polar', 'exercise-notification.json')).reason, 'needs_hydration', 'expected needs_hydration');
  const ping = mapValid(polar, fixture('polar', 'ping.json'));
  assert.equal([ping.events, ping.acknowledged], [[], 'polar_ping'], 'expected PING acknowledged with no events');
  assert.is(mapError(polar, json({ user_id: 1 })).reason, 'unmappable', 'expected a notification without event unmappable');
});

test('withings: form notifications need hydration; a body without userid is unmappable', () => {
  const error = mapError(withings, fixture('withings', 'notification.form'));
  assert.is(error.reason, 'needs_hydration', 'expected needs_hydration');
  assert.match(error.detail, 'sleep notification', 'expected appli 44 named sleep');
  assert.is(mapError(withings, json({ userid: 5, appli: 1 }), 'application/json').reason, 'needs_hydration', 'expected JSON accepted too when declared as JSON');
  assert.is(mapError(withings, Buffer.from('appli=44')).reason, 'unmappable', 'expected a missing userid unmappable');
  assert.is(mapError(withings, Buffer.alloc(0)).reason, 'malformed_body', 'expected an empty body malformed');
});

test.run();
