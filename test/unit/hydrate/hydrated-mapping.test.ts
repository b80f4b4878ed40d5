import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hydrateNotification, type Hydration } from '../../../src/hydrate/hydrate-notification.ts';
import { whoopMapping } from '../../../src/vendors/whoop/mapping.ts';
import { MemoryTokenSource } from '../../support/memory-token-source.ts';
import { startVendorApiSim, type VendorApiSim } from '../../support/vendor-sim/api-server.ts';
import { documented, serveDocumented } from '../../support/vendor-sim/documented-resources.ts';
import { simHydration } from '../../support/vendor-sim/sim-hydration.ts';

// What hydrate writes is what normalize's existing vendor mapping reads.

let sim: VendorApiSim;
let hydration: Hydration;
const context = { receivedAt: Date.UTC(2025, 0, 15, 12) };

test.before(async () => {
  sim = await startVendorApiSim();
  serveDocumented(sim);
  sim.grant('whoop-token');
  const tokens = new MemoryTokenSource();
  tokens.connect('whoop', '10129', 'whoop-token');
  hydration = simHydration(sim.baseUrl, tokens);
});
test.after(() => sim.close());

/** The hydrated value as normalize decodes it from hydrated.<vendor>: JSON bytes, parsed. */
const hydratedValue = async (notification: object): Promise<unknown> => {
  const [result] = await hydrateNotification(hydration, 'whoop', Buffer.from(JSON.stringify(notification)));
  if (result?.kind !== 'document') throw new Error(`expected a document, got ${result?.kind}`);
  return JSON.parse(JSON.stringify(result.value)) as unknown;
};

test('a hydrated WHOOP recovery (sleep → cycle → recovery) maps to a recovery event with its HRV and score', async () => {
  const { events } = whoopMapping.map(await hydratedValue(documented.whoopNotification), context);
  assert.is(events.length, 1, 'expected one event');
  const event = events[0]!;
  assert.is(event.dataType, 'recovery', 'expected a recovery event');
  assert.is(event.userId, '10129', 'expected the WHOOP user');
  assert.is(event.hrvRmssdMs, 31.813562, 'expected hrv_rmssd_milli as the HRV');
  assert.is(event.recoveryScore, 44, 'expected recovery_score');
  assert.is(event.restingHeartRateBpm, 64, 'expected resting_heart_rate');
});

test('a hydrated WHOOP sleep maps to a sleep event with its performance score', async () => {
  const { events } = whoopMapping.map(await hydratedValue({ ...documented.whoopNotification, type: 'sleep.updated' }), context);
  assert.is(events.length, 1, 'expected one event');
  assert.is(events[0]!.dataType, 'sleep', 'expected a sleep event');
  assert.is(events[0]!.sleepScore, 98, 'expected sleep_performance_percentage');
});

test('a hydrated WHOOP workout maps to an activity event with its strain, not an empty sleep', async () => {
  const { events } = whoopMapping.map(await hydratedValue({ ...documented.whoopNotification, type: 'workout.updated' }), context);
  assert.is(events.length, 1, 'expected one event');
  assert.is(events[0]!.dataType, 'activity', 'expected an activity event');
  assert.is(events[0]!.readings.find((r) => r.metric === 'strain')?.value, 8.2463, 'expected the workout strain');
});

test.run();
