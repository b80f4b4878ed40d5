import type { IncomingMessage } from 'node:http';
import { baselineStoreName, baselineWindows, defaultRulesFile, enrichTopology } from '../../../topologies/enrich.ts';
import type { Env } from '../../config/index.ts';
import type { ObsRoute } from '../../obs/http-server.ts';
import { DependencyUnavailableError, windowsOf, type RunningTopology, type StateQueryAnswer, type Topology, type Windowed } from '../../streams/index.ts';
import { baselinesAt, loadRuleSet, ruleMetrics, type DailyValues } from '../../triggers/index.ts';
import { createTokenVerifier, type TokenVerifier } from '../../push/auth.ts';
import type { StageResources } from '../resources.ts';

/** `bridge run enrich`: rules from TRIGGER_RULES_FILE (or the shipped file), validated before any record. */
export async function enrichStage(resources: StageResources): Promise<Topology> {
  const rules = await loadRuleSet(resources.config.TRIGGER_RULES_FILE ?? defaultRulesFile);
  resources.log.info({ rules: rules.rules.length }, 'trigger rules loaded');
  return enrichTopology({ rules, schemaStore: resources.schemaStore(), metrics: resources.metrics });
}

/** What the query needs of the running enrich; a RunningTopology is one. */
export type BaselineSource = Pick<RunningTopology, 'isReady' | 'queryStore'> & { readonly stateStores?: unknown };

/** The users' bearer JWTs, as the push server verifies them (PUSH_JWT_SECRETS or PUSH_JWKS_URL); undefined when neither is set. */
function userTokens(config: Readonly<Env>): TokenVerifier | undefined {
  if ((config.PUSH_JWT_SECRETS ?? []).length === 0 && config.PUSH_JWKS_URL === undefined) return undefined;
  return createTokenVerifier({
    ...(config.PUSH_JWT_SECRETS ? { secrets: config.PUSH_JWT_SECRETS } : {}),
    ...(config.PUSH_JWKS_URL ? { jwksUrl: config.PUSH_JWKS_URL } : {}),
    ...(config.PUSH_JWT_ISSUER ? { issuer: config.PUSH_JWT_ISSUER } : {}),
    ...(config.PUSH_JWT_AUDIENCE ? { audience: config.PUSH_JWT_AUDIENCE } : {}),
  });
}

/** Longer ids are no user's: the query refuses them before any token check or lookup. */
const maxUserIdLength = 200;

function bearer(req: IncomingMessage): string | undefined {
  const match = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * `GET /state/baselines/<user id>`: the user's baselines as enrich would judge an event now,
 * from this instance's store, or the instance that holds the user. A user reads only their own:
 * a bearer JWT whose `sub` is the user id, verified like the push server's. Without token keys
 * configured it answers only with STATE_QUERY_UNAUTHENTICATED=true (a private port).
 */
export function baselineQueryRoute(config: Readonly<Env>, enrich: () => BaselineSource | undefined, now: () => number = Date.now): ObsRoute {
  const tokens = userTokens(config);
  return async (segments, req) => {
    // The user id arrives decoded (a `%` in it is sent as %25): it is used as it is.
    const [kind, userId, ...more] = segments;
    if (tokens === undefined && !config.STATE_QUERY_UNAUTHENTICATED) {
      return { status: 403, body: { error: 'state queries are off: set PUSH_JWT_SECRETS or PUSH_JWKS_URL (users query their own), or STATE_QUERY_UNAUTHENTICATED=true on a private port' } };
    }
    if (kind !== 'baselines' || userId === undefined || userId.length === 0 || more.length > 0) {
      return { status: 404, body: { error: 'expected /state/baselines/<user id> (a / or % in the id percent-encoded: %2F, %25)' } };
    }
    if (userId.length > maxUserIdLength) return { status: 400, body: { error: `a user id is at most ${maxUserIdLength} characters; this one has ${userId.length}` } };
    if (tokens !== undefined && !config.STATE_QUERY_UNAUTHENTICATED) {
      const verified = await tokens(bearer(req));
      // The key set could not be fetched: the token may be good, so ask again, not log in again.
      if (!verified.ok && verified.unavailable) return { status: 503, headers: { 'retry-after': '5' }, body: { error: 'the token keys (PUSH_JWKS_URL) cannot be fetched right now; try again shortly' } };
      if (!verified.ok) return { status: 401, body: { error: `bearer token ${verified.reason}` } };
      if (verified.userId !== userId) return { status: 403, body: { error: 'a token reads only its own user’s baselines' } };
    }
    const running = enrich();
    if (!running) return { status: 503, headers: { 'retry-after': '1' }, body: { error: 'enrich is starting (waiting for Kafka or the registry)' } };
    if (!running.stateStores) return { status: 404, body: { error: 'this process does not run enrich with a baseline store' } };
    if (!running.isReady()) return { status: 503, headers: { 'retry-after': '1' }, body: { error: 'enrich is not ready (joining its group or restoring state)' } };
    let answer: StateQueryAnswer;
    try {
      answer = await running.queryStore(baselineStoreName, userId);
    } catch (error) {
      if (error instanceof DependencyUnavailableError) return { status: 503, headers: { 'retry-after': String(Math.ceil(error.retryAfterMs / 1_000)) }, body: { error: `${error.dependency} does not answer; try again shortly` } };
      throw error;
    }
    if (answer.where === 'elsewhere') {
      const url = answer.owner.endpoint === undefined ? undefined : new URL(`state/baselines/${encodeURIComponent(userId)}`, answer.owner.endpoint.endsWith('/') ? answer.owner.endpoint : `${answer.owner.endpoint}/`).href;
      return { status: 409, body: { userId, partition: answer.partition, instance: answer.owner, ...(url === undefined ? {} : { url }), error: 'the user is held by another enrich instance; ask it' } };
    }
    if (answer.where === 'unassigned') return { status: 503, headers: { 'retry-after': '1' }, body: { userId, partition: answer.partition, error: 'no instance holds the user right now (rebalancing)' } };
    if (answer.where === 'restoring') return { status: 503, headers: { 'retry-after': '1' }, body: { userId, partition: answer.partition, error: "the user's partition is being restored here" } };
    // The days enrich itself would fetch: those still within the store's retention.
    const windows = windowsOf(baselineWindows, answer.value as Windowed<DailyValues> | undefined);
    const baselines = baselinesAt(windows, now(), ruleMetrics);
    return {
      status: 200,
      body: {
        userId,
        partition: answer.partition,
        baselines,
        days: windows.map((w) => ({ start: new Date(w.start).toISOString(), means: Object.fromEntries(Object.entries(w.value).map(([m, v]) => [m, v.sum / v.count])) })),
      },
    };
  };
}
