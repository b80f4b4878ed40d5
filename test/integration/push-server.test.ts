import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import type { Admin } from 'kafkajs';
import { createLogger } from '../../src/obs/logger.ts';
import { startPush, type RunningPush } from '../../src/push/index.ts';
import { kafkaClient, schemaStore, unique } from '../support/services.ts';
import { refusedUpgrade } from '../support/refused-upgrade.ts';
import { waitUntil } from '../support/wait-until.ts';
import { ensurePriorityTopics, openSse, openStalledSse, routedWriter, userToken } from './push-support.ts';

const kafka = kafkaClient();
const secret = unique('push-secret-for-tests');
const oldSecret = unique('push-old-secret-for-tests');
const metrics = new Registry();
const writer = routedWriter(kafka);
let admin: Admin;
let push: RunningPush;

test.before(async () => {
  admin = kafka.admin();
  await admin.connect();
  await ensurePriorityTopics(admin);
  await writer.connect();
  push = await startPush({
    kafka,
    admin,
    schemaStore: schemaStore(),
    metrics,
    log: createLogger({ level: 'warn', name: 'push-test' }),
    auth: { secrets: [secret, oldSecret] },
    port: 0,
    host: '127.0.0.1',
    groupPrefix: unique('test.push'),
    maxBufferedBytes: 64 * 1_024, // small, so the slow client's backlog passes it quickly
    maxPending: 1_000,
    replayTimeoutMs: 60_000,
    maxConcurrentReplays: 4,
    keepAliveMs: 5_000,
  });
  await waitUntil('the push feed joined its group', () => push.isReady(), { timeoutMs: 60_000 });
});

test.after(async () => {
  await push.stop();
  await writer.disconnect();
  await admin.disconnect();
});

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

function openSocket(token: string, resume?: string): { socket: WebSocket; messages: Array<{ type: string; id: string; data: { event?: { eventId: string; userId: string } } }>; closed: Promise<{ code: number; reason: string }> } {
  const query = resume === undefined ? '' : `?resume=${encodeURIComponent(resume)}`;
  const socket = new WebSocket(`ws://127.0.0.1:${push.port}/ws${query}`, { headers: { authorization: `Bearer ${token}` } });
  const messages: Array<{ type: string; id: string; data: { event?: { eventId: string; userId: string } } }> = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as (typeof messages)[number]));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { socket, messages, closed };
}

test('two users connected: each sees only their own events, over SSE and WebSocket', async () => {
  const alice = unique('alice');
  const bob = unique('bob');
  const sse = await openSse(push.port, await userToken(secret, alice));
  const ws = openSocket(await userToken(oldSecret, bob)); // signed with the older secret: still valid while rotating
  await waitUntil('both clients ready', () => sse.frames.some((f) => f.event === 'ready') && ws.messages.some((m) => m.type === 'ready'));
  const aliceIds = [...(await writer.write(alice, 'high')), ...(await writer.write(alice, 'normal', 2))];
  const bobIds = await writer.write(bob, 'medium');
  await waitUntil('alice’s three events', () => sse.eventIds().length >= 3, { timeoutMs: 30_000 });
  await waitUntil('bob’s event', () => ws.messages.some((m) => m.type === 'event'), { timeoutMs: 30_000 });
  await new Promise((resolve) => setTimeout(resolve, 500)); // room for anything that should not come
  assert.equal(new Set(sse.eventIds()), new Set(aliceIds), 'expected alice to get exactly her events');
  const bobGot = ws.messages.filter((m) => m.type === 'event');
  assert.equal(bobGot.map((m) => m.data.event?.eventId), bobIds, 'expected bob to get exactly his event');
  assert.is(bobGot[0]?.data.event?.userId, bob, 'expected bob’s own event body');
  assert.ok((await metricValue('bridge_push_messages_total', { transport: 'sse' })) >= 3, 'expected SSE messages counted');
  sse.close();
  ws.socket.close();
});

test('bad and expired tokens are refused with 401, over SSE and at the WebSocket upgrade', async () => {
  const user = unique('mallory');
  const expired = await openSse(push.port, await userToken(secret, user, Math.floor(Date.now() / 1_000) - 60));
  assert.is(expired.status, 401, 'expected an expired token refused');
  await waitUntil('the refusal body', () => expired.body.length > 0 && expired.closed());
  assert.match(expired.body, /token expired/, 'expected the reason in the body');
  const foreign = await openSse(push.port, await userToken('not-our-secret-at-all-xx', user));
  assert.is(foreign.status, 401, 'expected a token signed by someone else refused');
  const none = await openSse(push.port, undefined);
  assert.is(none.status, 401, 'expected a request without a token refused');
  const upgrade = await refusedUpgrade(`ws://127.0.0.1:${push.port}/ws`, { authorization: 'Bearer not.a.token' });
  assert.is(upgrade.status, 401, 'expected the upgrade refused with 401, not a 101 and a close');
  assert.equal(JSON.parse(upgrade.body), { error: 'invalid token' }, 'expected the reason in the body');
  assert.match(upgrade.headers['www-authenticate'] ?? '', /^Bearer error="invalid_token"/, 'expected the Bearer challenge');
  const expiredUpgrade = await refusedUpgrade(`ws://127.0.0.1:${push.port}/ws`, { authorization: `Bearer ${await userToken(secret, user, Math.floor(Date.now() / 1_000) - 60)}` });
  assert.is(expiredUpgrade.status, 401, 'expected an expired token refused at the upgrade');
  assert.ok((await metricValue('bridge_push_refusals_total', { transport: 'websocket', reason: 'expired' })) >= 1, 'expected the WebSocket refusal counted');
  assert.ok((await metricValue('bridge_push_refusals_total', { reason: 'expired' })) >= 1, 'expected the expired refusal counted');
});

test('a token that expires mid-stream ends the stream with that reason', async () => {
  const user = unique('short-lived');
  const sse = await openSse(push.port, await userToken(secret, user, Math.floor(Date.now() / 1_000) + 2));
  assert.is(sse.status, 200, 'expected a still-valid token accepted');
  await waitUntil('the stream ended at expiry', () => sse.closed(), { timeoutMs: 10_000 });
  const last = sse.frames.at(-1);
  assert.is(last?.event, 'dropped', 'expected a final dropped frame');
  assert.equal(JSON.parse(last?.data ?? '{}'), { reason: 'token-expired' }, 'expected the reason token-expired');
});

test('reconnecting with Last-Event-ID (SSE) or a resume token (WebSocket) misses nothing', async () => {
  const alice = unique('alice');
  const token = await userToken(secret, alice);
  const first = await openSse(push.port, token);
  await waitUntil('ready', () => first.frames.some((f) => f.event === 'ready'));
  const before = await writer.write(alice, 'high');
  await waitUntil('the first event', () => first.eventIds().length === 1, { timeoutMs: 30_000 });
  const lastId = first.lastId()!;
  first.close();
  await waitUntil('the server to see the client gone', async () => (await metricValue('bridge_push_connected_clients', { transport: 'sse' })) === 0);
  const missed = [...(await writer.write(alice, 'high', 2)), ...(await writer.write(alice, 'medium')), ...(await writer.write(alice, 'normal'))];
  await writer.write(unique('someone-else'), 'high', 3);
  const second = await openSse(push.port, token, lastId);
  const later = await writer.write(alice, 'normal');
  await waitUntil('the missed and the later events', () => second.eventIds().length >= missed.length + later.length, { timeoutMs: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(new Set(second.eventIds()), new Set([...missed, ...later]), 'expected exactly the missed and the later events');
  assert.is(second.eventIds().length, missed.length + later.length, 'expected each once');
  assert.not.ok(second.eventIds().includes(before[0]!), 'expected the event before Last-Event-ID not sent again');
  const resumeToken = second.lastId()!;
  second.close();

  const afterSse = await writer.write(alice, 'medium', 2);
  const ws = openSocket(token, resumeToken);
  await waitUntil('the events written while away, over WebSocket', () => ws.messages.filter((m) => m.type === 'event').length >= afterSse.length, { timeoutMs: 60_000 });
  assert.equal(ws.messages.filter((m) => m.type === 'event').map((m) => m.data.event?.eventId), afterSse, 'expected the WebSocket resume to send exactly what was missed, in order');
  ws.socket.close();
});

test('a resume on a partition written in transactions ends at its commit marker, not at the replay timeout', async () => {
  const dana = unique('dana');
  const transactional = routedWriter(kafka, unique('push-test-route'));
  await transactional.connect();
  const resumeReady = async (lastId: string | undefined) => {
    const started = Date.now();
    const sse = await openSse(push.port, token, lastId);
    await waitUntil('the resumed stream ready', () => sse.frames.some((f) => f.event === 'ready'), { timeoutMs: 20_000 }); // the replay timeout here is 60 s
    return { sse, took: Date.now() - started };
  };
  const token = await userToken(secret, dana);
  try {
    const first = await openSse(push.port, token);
    await waitUntil('ready', () => first.frames.some((f) => f.event === 'ready'));
    await transactional.write(dana, 'high');
    await waitUntil('the first event', () => first.eventIds().length === 1, { timeoutMs: 30_000 });
    first.close();
    // Missed while away: a data record, then the commit marker, which the replay never sees as a message.
    const missed = await transactional.write(dana, 'high');
    const second = await resumeReady(first.lastId());
    assert.equal(second.sse.eventIds(), missed, 'expected the missed event');
    assert.ok(second.took < 10_000, `expected the replay to end at the commit marker, took ${second.took} ms`);
    second.sse.close();
    // From the last data record itself: only the marker is left to read.
    const third = await resumeReady(second.sse.lastId());
    assert.is(third.sse.eventIds().length, 0, 'expected nothing sent again');
    third.sse.close();
  } finally {
    await transactional.disconnect();
  }
});

test('a slow client is dropped with a reason instead of buffered without bound', async () => {
  const carol = unique('carol');
  const dropsBefore = await metricValue('bridge_push_drops_total', { reason: 'slow-client' });
  const stalled = await openStalledSse(push.port, await userToken(secret, carol));
  await new Promise((resolve) => setTimeout(resolve, 300)); // subscribed before the flood
  for (let batch = 0; batch < 10; batch++) await writer.write(carol, 'normal', 500);
  await waitUntil('the slow client dropped', async () => (await metricValue('bridge_push_drops_total', { reason: 'slow-client' })) > dropsBefore, { timeoutMs: 60_000 });
  stalled.socket.resume(); // read the backlog so the server's close reaches us
  await stalled.closed;
  assert.ok(stalled.socket.destroyed, 'expected the connection closed by the server');
});

test('one process holds 1,000 idle connections and still delivers to the right one', async () => {
  const users = Array.from({ length: 1_000 }, (_, i) => `${unique('idle')}-${i}`);
  const baseline = await metricValue('bridge_push_connected_clients', { transport: 'websocket' });
  const sockets = await Promise.all(users.map(async (user) => openSocket(await userToken(secret, user))));
  await waitUntil('1,000 sockets connected', async () => (await metricValue('bridge_push_connected_clients', { transport: 'websocket' })) - baseline >= 1_000, { timeoutMs: 120_000 });
  await waitUntil('1,000 sockets ready', () => sockets.every((s) => s.messages.some((m) => m.type === 'ready')), { timeoutMs: 120_000 });
  const target = sockets[777]!;
  const ids = await writer.write(users[777]!, 'high');
  await waitUntil('the event at connection 777', () => target.messages.some((m) => m.type === 'event'), { timeoutMs: 30_000 });
  assert.equal(target.messages.filter((m) => m.type === 'event').map((m) => m.data.event?.eventId), ids, 'expected the event at its user’s connection');
  assert.is(sockets.filter((s) => s.messages.some((m) => m.type === 'event')).length, 1, 'expected no other connection to get it');
  assert.is(sockets.filter((s) => s.socket.readyState === WebSocket.OPEN).length, 1_000, 'expected every connection still open');
  for (const s of sockets) s.socket.terminate();
});

test.run();
