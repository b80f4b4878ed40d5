import { readFileSync } from 'node:fs';
import type { HydratedVendorId } from '../../../src/topics.ts';
import { MemoryTokenSource } from '../memory-token-source.ts';
import { collectionStyles, startVendorApiSim, type VendorApiSim } from './api-server.ts';

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** The documents of the vendors' docs, as the fixtures hold them (ids match the notification fixtures). */
export const documented = {
  ouraNotification: json('test/fixtures/vendors/oura/notification.json'),
  ouraDailySleep: json('test/fixtures/vendors/oura/api/daily_sleep.json'),
  ouraDailyReadiness: json('test/fixtures/vendors/oura/api/daily_readiness.json'),
  ouraSleepOfDay: json('test/fixtures/vendors/oura/api/sleep-of-day.json'),
  whoopNotification: json('test/fixtures/vendors/whoop/notification-recovery-updated.json'),
  whoopSleep: json('test/fixtures/vendors/whoop/sleep-document.json'),
  whoopRecovery: json('test/fixtures/vendors/whoop/recovery-document.json'),
  whoopWorkout: json('test/fixtures/vendors/whoop/api/workout.json'),
  googleHealthNotification: json('test/fixtures/vendors/google-health/notification.json'),
  googleHealthHrv: json('test/fixtures/vendors/google-health/api/heart-rate-variability.json'),
  polarNotification: json('test/fixtures/vendors/polar/exercise-notification.json'),
  polarExercise: json('test/fixtures/vendors/polar/api/exercise.json'),
  withingsMeasures: json('test/fixtures/vendors/withings/api/getmeas.json'),
  withingsSleep: json('test/fixtures/vendors/withings/api/sleep-getsummary.json'),
  garminPing: json('test/fixtures/vendors/garmin/ping.json'),
  /** Garmin's pull answers with the summaries a push would carry: the push fixture's list. */
  garminDailies: json('test/fixtures/vendors/garmin/dailies-push.json')['dailies'] as Record<string, unknown>[],
};

/** Serves every documented resource at the path its vendor serves it. */
export function serveDocumented(sim: VendorApiSim): void {
  sim.serve('oura', `/v2/usercollection/daily_sleep/${String(documented.ouraDailySleep['id'])}`, documented.ouraDailySleep);
  sim.serve('oura', `/v2/usercollection/daily_readiness/${String(documented.ouraDailyReadiness['id'])}`, documented.ouraDailyReadiness);
  sim.serve('oura', '/v2/usercollection/sleep', documented.ouraSleepOfDay);
  sim.serve('whoop', `/v2/activity/sleep/${String(documented.whoopSleep['id'])}`, documented.whoopSleep);
  sim.serve('whoop', `/v2/activity/workout/${String(documented.whoopWorkout['id'])}`, documented.whoopWorkout);
  sim.serve('whoop', `/v2/cycle/${String(documented.whoopRecovery['cycle_id'])}/recovery`, documented.whoopRecovery);
  sim.serve('google-health', '/v4/users/me/dataTypes/heart-rate-variability/dataPoints', documented.googleHealthHrv);
  sim.serve('polar', `/v3/exercises/${String(documented.polarExercise['id'])}`, documented.polarExercise);
  sim.serve('withings', '/measure', documented.withingsMeasures);
  // Listed as Withings lists nights: by `lastupdate` (live notifications) or by days (backfill).
  sim.collection('withings', '/v2/sleep', collectionStyles.withingsSleep, (documented.withingsSleep['body'] as { series: Record<string, unknown>[] }).series);
  const garminUser = (documented.garminPing['dailies'] as Record<string, unknown>[])[0]!['userId'];
  sim.serve('garmin', '/wellness-api/rest/dailies', documented.garminDailies.filter((summary) => summary['userId'] === garminUser));
}

/** The vendor user each notification fixture names. */
export const documentedUsers: Readonly<Record<HydratedVendorId, string>> = {
  oura: 'c2b1f6d0-4e7a-4b8e-9a3c-1d5e7f9a2b4c',
  whoop: '10129',
  'google-health': '118234567890123456789',
  polar: '475',
  withings: '38271645',
  garmin: '4aacafe82427c251df9c9592d0c06768',
};

/** Connects every documented user with the token `<vendor>-token`, which the simulator accepts. */
export function connectDocumentedUsers(sim: VendorApiSim, tokens: MemoryTokenSource): void {
  for (const [vendor, user] of Object.entries(documentedUsers) as [HydratedVendorId, string][]) {
    sim.grant(`${vendor}-token`);
    tokens.connect(vendor, user, `${vendor}-token`);
  }
}

/** A simulator serving every documented resource, and a token source with every documented user connected. */
export async function startDocumentedSim(): Promise<{ sim: VendorApiSim; tokens: MemoryTokenSource }> {
  const sim = await startVendorApiSim();
  serveDocumented(sim);
  const tokens = new MemoryTokenSource((token) => sim.grant(token));
  connectDocumentedUsers(sim, tokens);
  return { sim, tokens };
}
