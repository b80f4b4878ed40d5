import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIngress, createKafkaRawSink } from '../../src/ingress/index.ts';
import { collector, cuttableKafka, eventually, header, isolatedTopics, testIngressOptions, whoopRequest } from './ingress-support.ts';

const test = suite('ingress while Kafka is unreachable (real broker, network cut in the client)');

test('503s within a bounded time while cut; every 202 is on Kafka after it returns', async () => {
  const topics = await isolatedTopics();
  const network = cuttableKafka();
  const timeoutMs = 1_000;
  const ingress = createIngress(testIngressOptions(topics, { sink: createKafkaRawSink({ kafka: network.kafka, timeoutMs, breakerFailures: 2, halfOpenAfterMs: 1_000 }) }));
  const { port } = await ingress.listen();
  const accepted: string[] = [];
  const post = async (n: number) => {
    const { headers, body } = whoopRequest({ user_id: n, id: `id-${n}`, type: 'sleep.updated', trace_id: `t-${n}` });
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/whoop`, { method: 'POST', headers, body: new Uint8Array(body) });
    const answer = (await res.json()) as { id?: string };
    if (res.status === 202 && answer.id) accepted.push(answer.id);
    return { status: res.status, ms: Date.now() - started, retryAfter: res.headers.get('retry-after') };
  };
  try {
    for (let n = 0; n < 5; n++) assert.is((await post(n)).status, 202, 'accepted before the outage');

    network.cut();
    const during = await Promise.all(Array.from({ length: 20 }, (_, i) => post(100 + i)));
    during.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => post(200 + i)))));
    for (const r of during) {
      assert.ok(r.status === 503 || r.status === 202, `only 503 or 202 during the outage, got ${r.status}`);
      assert.ok(r.ms < 3 * timeoutMs, `answered in ${r.ms} ms, bounded by the Kafka timeout`);
      if (r.status === 503) assert.ok(Number(r.retryAfter) >= 1, 'a 503 carries Retry-After');
    }
    assert.ok(during.filter((r) => r.status === 503).length >= 20, 'requests during the outage were refused');

    network.restore();
    assert.ok(await eventually(async () => (await post(300)).status === 202, 60_000), 'accepted again once Kafka is reachable');
    for (let n = 400; n < 405; n++) assert.is((await post(n)).status, 202, 'accepted after recovery');

    const raw = await collector([topics.raw('whoop')]);
    try {
      const ids = () => new Set(raw.records.map((r) => header(r.message, 'x-request-id')));
      assert.ok(await eventually(() => accepted.every((id) => ids().has(id)), 30_000), `every 202 is on raw.whoop (${accepted.filter((id) => ids().has(id)).length}/${accepted.length})`);
    } finally {
      await raw.stop();
    }
  } finally {
    network.restore();
    await ingress.close();
    await topics.remove();
  }
});

test.run();
