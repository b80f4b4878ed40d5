import type { IncomingMessage } from 'node:http';
import { baselineStoreName, baselineWindows, defaultRulesFile, enrichTopology } from '../../../topologies/enrich.ts';
import type { Env } from '../../config/index.ts';
import type { RunningTopology, TimeWindow, Topology } from '../../streams/index.ts';
import { baselineDays, baselinesAt, loadRuleSet, ruleMetrics, type DailyValues } from '../../triggers/index.ts';
import type { StageResources } from '../resources.ts';

/** `bridge run enrich`: rules from TRIGGER_RULES_FILE (or the shipped file), validated before any record. */
export async function enrichStage(resources: StageResources): Promise<Topology> {
  const rules = await loadRuleSet(resources.config.TRIGGER_RULES_FILE ?? defaultRulesFile);
  resources.log.info({ rules: rules.rules.length }, 'trigger rules loaded');
  return enrichTopology({ rules, schemaStore: resources.schemaStore(), metrics: resources.metrics });
}

type Route = (rest: string, req: IncomingMessage) => Promise<{ status: number; body: unknown }>;

/**
 * `GET /state/baselines/<user id>`: the user's baselines as enrich would judge an event now,
 * from this instance's store, or the instance that holds the user. Served only with
 * STATE_QUERY_UNAUTHENTICATED=true until the port has bearer-token authentication.
 */
export function baselineQueryRoute(config: Readonly<Env>, enrich: () => RunningTopology | undefined, now: () => number = Date.now): Route {
  return async (rest) => {
    if (!config.STATE_QUERY_UNAUTHENTICATED) return { status: 403, body: { error: 'state queries are off: they need STATE_QUERY_UNAUTHENTICATED=true on a private port' } };
    const match = /^baselines\/([^/]{1,200})$/.exec(rest);
    if (!match) return { status: 404, body: { error: 'expected /state/baselines/<user id>' } };
    const running = enrich();
    if (!running?.stateStores) return { status: 404, body: { error: 'this process does not run enrich with a baseline store' } };
    if (!running.isReady()) return { status: 503, body: { error: 'enrich is not ready (joining its group or restoring state)' } };
    const userId = match[1]!;
    const answer = await running.queryStore(baselineStoreName, userId);
    if (answer.where === 'elsewhere') return { status: 409, body: { userId, partition: answer.partition, instance: answer.owner, error: 'the user is held by another enrich instance; ask it' } };
    if (answer.where === 'unassigned') return { status: 503, body: { userId, partition: answer.partition, error: 'no instance holds the user right now (rebalancing)' } };
    const value = answer.value as { observedUntil: number; windows: ReadonlyArray<readonly [number, DailyValues]> } | undefined;
    const windows: Array<TimeWindow<DailyValues>> = (value?.windows ?? []).map(([start, day]) => ({ start, end: start + baselineWindows.sizeMs, value: day }));
    const baselines = baselinesAt(windows, now(), ruleMetrics);
    return {
      status: 200,
      body: {
        userId,
        partition: answer.partition,
        baselines: Object.entries(baselines).map(([metric, b]) => ({ metric, median: b.median, days: b.days, windowDays: baselineDays })),
        days: windows.map((w) => ({ start: new Date(w.start).toISOString(), means: Object.fromEntries(Object.entries(w.value).map(([m, v]) => [m, v.sum / v.count])) })),
      },
    };
  };
}
