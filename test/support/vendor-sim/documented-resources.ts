import { readFileSync } from 'node:fs';
import type { VendorApiSim } from './api-server.ts';

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** The documents of the vendors' docs, as the fixtures hold them (ids match the notification fixtures). */
export const documented = {
  ouraNotification: json('src/vendors/oura/fixtures/notification.json'),
  ouraDailySleep: json('test/fixtures/vendors/oura/api/daily_sleep.json'),
  ouraDailyReadiness: json('test/fixtures/vendors/oura/api/daily_readiness.json'),
  ouraSleepOfDay: json('test/fixtures/vendors/oura/api/sleep-of-day.json'),
  whoopNotification: json('src/vendors/whoop/fixtures/notification-recovery-updated.json'),
  whoopSleep: json('src/vendors/whoop/fixtures/sleep-document.json'),
  whoopRecovery: json('src/vendors/whoop/fixtures/recovery-document.json'),
  whoopWorkout: json('test/fixtures/vendors/whoop/api/workout.json'),
  googleHealthNotification: json('src/vendors/google-health/fixtures/notification.json'),
  googleHealthHrv: json('test/fixtures/vendors/google-health/api/heart-rate-variability.json'),
  polarNotification: json('src/vendors/polar/fixtures/exercise-notification.json'),
  polarExercise: json('test/fixtures/vendors/polar/api/exercise.json'),
  withingsMeasures: json('test/fixtures/vendors/withings/api/getmeas.json'),
  withingsSleep: json('test/fixtures/vendors/withings/api/sleep-getsummary.json'),
  garminPing: json('src/vendors/garmin/fixtures/ping.json'),
  /** Garmin's pull answers with the summaries a push would carry: the push fixture's list. */
  garminDailies: json('src/vendors/garmin/fixtures/dailies-push.json')['dailies'] as Record<string, unknown>[],
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
  sim.serve('withings', '/v2/sleep', documented.withingsSleep);
  const garminUser = (documented.garminPing['dailies'] as Record<string, unknown>[])[0]!['userId'];
  sim.serve('garmin', '/wellness-api/rest/dailies', documented.garminDailies.filter((summary) => summary['userId'] === garminUser));
}
