import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { googleHealthMapping } from '../../../src/vendors/google-health/mapping.ts';
import { polarMapping } from '../../../src/vendors/polar/mapping.ts';
import { withingsMapping } from '../../../src/vendors/withings/mapping.ts';
import { fixture, json, mapError, mapValid } from './mapping-fixtures.ts';

test('google-health: data notifications need hydration; verification is acknowledged', () => {
  const error = mapError(googleHealthMapping, fixture('google-health', 'notification.json'));
  assert.is(error.reason, 'needs_hydration', 'expected needs_hydration');
  assert.match(error.detail, 'UPSERT notification for heart-rate-variability', 'expected the operation and type in the detail');
  assert.is(mapValid(googleHealthMapping, json({ type: 'verification' })).acknowledged, 'google_health_verification', 'expected verification acknowledged');
  assert.is(mapError(googleHealthMapping, json({ data: {} })).reason, 'unmappable', 'expected a notification without user unmappable');
});

test('polar: notifications need hydration; PING is acknowledged', () => {
  assert.is(mapError(polarMapping, fixture('polar', 'exercise-notification.json')).reason, 'needs_hydration', 'expected needs_hydration');
  const ping = mapValid(polarMapping, fixture('polar', 'ping.json'));
  assert.equal([ping.events, ping.acknowledged], [[], 'polar_ping'], 'expected PING acknowledged with no events');
  assert.is(mapError(polarMapping, json({ user_id: 1 })).reason, 'unmappable', 'expected a notification without event unmappable');
});

test('withings: form notifications need hydration; a body without userid is unmappable', () => {
  const error = mapError(withingsMapping, fixture('withings', 'notification.form'));
  assert.is(error.reason, 'needs_hydration', 'expected needs_hydration');
  assert.match(error.detail, 'sleep notification', 'expected appli 44 named sleep');
  assert.is(mapError(withingsMapping, json({ userid: 5, appli: 1 })).reason, 'needs_hydration', 'expected JSON accepted too');
  assert.is(mapError(withingsMapping, Buffer.from('appli=44')).reason, 'unmappable', 'expected a missing userid unmappable');
  assert.is(mapError(withingsMapping, Buffer.alloc(0)).reason, 'malformed_body', 'expected an empty body malformed');
});

test.run();
