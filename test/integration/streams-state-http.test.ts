import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { SignJWT } from 'jose';
import { baselineQueryRoute } from '../../src/app/stages/enrich.ts';
import { startObsServer } from '../../src/obs/http-server.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { createMetricsRegistry } from '../../src/obs/metrics.ts';
import { runTopology, serdes, StreamEvents, StreamsBuilder } from '../../src/streams/index.ts';
import { dayMs, ruleMetrics, DayFold, type DailyValues } from '../../src/triggers/index.ts';
import { baselineStoreName, baselineWindows, dailyValuesSerde } from '../../topologies/enrich.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { produce, waitUntil } from './streams-support.ts';

interface Night {
  userId: string;
  occurredAt: number;
  hrvRmssdMs: number;
}

const today = Date.UTC(2026, 10, 20, 12);

/** enrich's baseline store on a topic of its own (biometric.events is shared by every test run). */
function baselineTopology(name: string) {
  const builder = new StreamsBuilder(name);
  const store = builder.addWindowStore<string | null, DailyValues>({ name: baselineStoreName, key: serdes.string(), windows: baselineWindows, aggregate: dailyValuesSerde });
  builder
    .stream('in', { topics: [`${name}.in`], key: serdes.string(), value: serdes.json<Night>() })
    .mapValues('remember', async (night, _record, ctx) => {
      await ctx.store(store).update(night.userId, night.occurredAt, new DayFold(night, ruleMetrics));
      return night;
    })
    .to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.json<Night>() });
  return builder.build();
}

test('GET /state/baselines/<user id> answers from the running store only when opted in', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('state-http');
  await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`], 2);
  const events = new StreamEvents();
  let processed = 0;
  events.on('processed', (e) => (processed += Object.values(e.recordsIn).reduce((a, b) => a + b, 0)));
  const running = await runTopology(baselineTopology(name), { kafka: new Kafka({ clientId: 'state-http', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING }), events });
  const log = createLogger({ level: 'silent' });
  const secret = 'state-query-test-secret-of-at-least-32-bytes';
  const serve = (optIn: boolean, secrets?: string[]) =>
    startObsServer({
      port: 0,
      registry: createMetricsRegistry(),
      version: 'test',
      log,
      connections: () => ({}),
      ready: () => running.isReady(),
      routes: { '/state/': baselineQueryRoute({ ...config, STATE_QUERY_UNAUTHENTICATED: optIn, ...(secrets ? { PUSH_JWT_SECRETS: secrets } : {}) }, () => running, () => today) },
    });
  const open = await serve(true);
  const closed = await serve(false);
  const authenticated = await serve(false, [secret]);
  try {
    const nights = [60, 62, 65, 65, 66, 68, 70].map((hrvRmssdMs, i) => ({ userId: 'athlete', occurredAt: today - (7 - i) * dayMs, hrvRmssdMs }));
    await produce(kafka, `${name}.in`, nights.map((night) => ({ key: night.userId, value: JSON.stringify(night) })));
    await waitUntil(() => processed >= nights.length && running.isReady(), 60_000, () => `${processed} of ${nights.length} nights processed`);

    const answer = await fetch(`http://127.0.0.1:${open.port}/state/baselines/athlete`);
    const body = (await answer.json()) as { userId: string; baselines: unknown[]; days: unknown[] };
    assert.is(answer.status, 200, 'the user is held here');
    assert.equal(body.baselines, [{ metric: 'hrvRmssdMs', median: 65, days: 7, windowDays: 7 }], 'the baseline today');
    assert.is(body.days.length, 7, 'one mean per logged day');

    const unknown = await fetch(`http://127.0.0.1:${open.port}/state/baselines/nobody`);
    assert.equal([unknown.status, ((await unknown.json()) as { baselines: unknown[] }).baselines], [200, []], 'a user without history has no baselines');
    // The id is decoded once: %25 is a user whose id is `%`, and a lone % is a bad request.
    const percent = await fetch(`http://127.0.0.1:${open.port}/state/baselines/%25`);
    assert.equal([percent.status, ((await percent.json()) as { userId: string }).userId], [200, '%'], 'expected the user % queried');
    const undecodable = await fetch(`http://127.0.0.1:${open.port}/state/baselines/%`);
    assert.is(undecodable.status, 400, 'expected a path that is not valid percent-encoding refused as a bad request');
    const bad = await fetch(`http://127.0.0.1:${open.port}/state/elsewhere/athlete`);
    assert.is(bad.status, 404, 'only baselines are served');
    const refused = await fetch(`http://127.0.0.1:${closed.port}/state/baselines/athlete`);
    assert.is(refused.status, 403, 'not served without STATE_QUERY_UNAUTHENTICATED=true');
    assert.not.match(await refused.text(), '65', 'and nothing of the user leaks');

    // With the users' token keys configured, a user reads their own baselines and nobody else's.
    const token = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const own = await fetch(`http://127.0.0.1:${authenticated.port}/state/baselines/athlete`, { headers: { authorization: `Bearer ${await token('athlete')}` } });
    assert.is(own.status, 200, 'expected a user’s own baselines with their token');
    const other = await fetch(`http://127.0.0.1:${authenticated.port}/state/baselines/athlete`, { headers: { authorization: `Bearer ${await token('someone-else')}` } });
    assert.is(other.status, 403, 'expected another user’s token refused');
    assert.not.match(await other.text(), '65', 'and nothing of the athlete leaks to them');
    const anonymous = await fetch(`http://127.0.0.1:${authenticated.port}/state/baselines/athlete`);
    assert.is(anonymous.status, 401, 'expected a request without a token refused');
  } finally {
    await open.close();
    await closed.close();
    await authenticated.close();
    await running.stop();
    await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`, `bridge.${name}-${baselineStoreName}-changelog`] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
