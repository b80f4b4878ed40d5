import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { generateKeyPair, SignJWT } from 'jose';
import { createTokenVerifier, type Verified } from '../../../src/push/auth.ts';
import { createHub, type Hub, type PriorityLog } from '../../../src/push/hub.ts';
import type { RoutedRecord } from '../../../src/push/record.ts';
import { priorityTopic } from '../../../src/topics.ts';
import { sampleEnriched } from '../../support/enriched-event.ts';
import { createPushMetrics } from '../../../src/push/metrics.ts';
import { startPushServer, type PushServer } from '../../../src/push/server.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { rawRequest } from '../../support/raw-request.ts';
import { refusedUpgrade } from '../../support/refused-upgrade.ts';
import { waitUntil } from '../../support/wait-until.ts';

// Long enough for every test here; short, so a stream this file leaks ends and the process exits.
const shortLived = (): Verified => ({ ok: true, userId: 'user-1', expiresAt: Date.now() + 10_000 });

interface ServerSettings {
  readonly log?: PriorityLog;
  readonly maxPending?: number;
  readonly maxBufferedBytes?: number;
  readonly keepAliveMs?: number;
}

/** A push server on loopback with a real hub, over an empty log unless the test brings one; `verify` is the test's. */
async function pushServer(verify: (token: string | undefined) => Promise<Verified>, settings: ServerSettings = {}): Promise<{ server: PushServer; hub: Hub; connected: (transport: string) => Promise<number>; drops: (reason: string) => Promise<number> }> {
  const registry = new Registry();
  const metrics = createPushMetrics(registry);
  const emptyLog: PriorityLog = { latest: async () => new Map(), replay: async () => undefined };
  const log = settings.log ?? emptyLog;
  const hub = createHub({ log, maxPending: settings.maxPending ?? 10, onDropped: (reason) => metrics.dropped(reason) });
  const partitions = async (userId: string) => new Map([...(await log.latest(userId))].map(([topic, { partition }]) => [topic, partition]));
  const server = await startPushServer({ port: 0, host: '127.0.0.1', hub, verify, partitions, metrics, log: createLogger({ level: 'silent' }), maxBufferedBytes: settings.maxBufferedBytes ?? 64 * 1_024, keepAliveMs: settings.keepAliveMs ?? 60_000 });
  const connected = async (transport: string): Promise<number> => {
    const values = (await registry.getSingleMetric('bridge_push_connected_clients')!.get()).values;
    return values.find((v) => v.labels['transport'] === transport)?.value ?? 0;
  };
  const drops = async (reason: string): Promise<number> => {
    const values = (await registry.getSingleMetric('bridge_push_drops_total')!.get()).values;
    return values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
  };
  return { server, hub, connected, drops };
}

/** A token check that waits for the test's go-ahead the first time, and answers at once after. */
function heldFirstCheck(): { verify: (token: string | undefined) => Promise<Verified>; started: Promise<void>; release: () => void } {
  let calls = 0;
  let markStarted!: () => void;
  let release!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const verify = async (): Promise<Verified> => {
    calls += 1;
    if (calls === 1) {
      markStarted();
      await released;
    }
    return shortLived();
  };
  return { verify, started, release };
}

function openSse(port: number): { req: ClientRequest; ready: Promise<IncomingMessage> } {
  const req = request({ host: '127.0.0.1', port, path: '/events', headers: { authorization: 'Bearer t' } });
  const ready = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('event: ready')) resolve(res);
      });
    });
    req.on('error', reject);
  });
  req.end();
  return { req, ready };
}

/** The server learns of a client's close a moment after the client does; loopback takes far less than this. */
const closeReachesServer = () => new Promise((resolve) => setTimeout(resolve, 100));

test('an SSE client that leaves while its token is checked leaves no stream, hub entry or gauge count behind', async () => {
  const check = heldFirstCheck();
  const { server, hub, connected } = await pushServer(check.verify);
  try {
    const leaving = openSse(server.port);
    leaving.ready.catch(() => undefined); // it never becomes ready: it leaves first
    await check.started;
    const gone = new Promise((resolve) => leaving.req.once('close', resolve));
    leaving.req.destroy();
    await gone;
    await closeReachesServer();
    check.release();

    // A second client, served after the first's check ended, shows the first is fully handled.
    const staying = openSse(server.port);
    const res = await staying.ready;
    assert.is(hub.size(), 1, 'expected only the client still connected in the hub');
    assert.is(await connected('sse'), 1, 'expected only the client still connected counted');
    res.destroy();
    await waitUntil('the second client gone', async () => hub.size() === 0 && (await connected('sse')) === 0, { timeoutMs: 5_000 });
  } finally {
    await server.close();
  }
});

test('a WebSocket client that leaves while its token is checked, before the upgrade, leaves nothing behind either', async () => {
  const check = heldFirstCheck();
  const { server, hub, connected } = await pushServer(check.verify);
  try {
    const leaving = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { authorization: 'Bearer t' } });
    leaving.on('error', () => undefined); // it leaves before the handshake ends
    let opened = false;
    leaving.once('open', () => (opened = true));
    await check.started;
    const gone = new Promise((resolve) => leaving.once('close', resolve));
    leaving.terminate();
    await gone;
    assert.not.ok(opened, 'expected no upgrade before the token was checked');
    await closeReachesServer();
    check.release();

    const staying = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { authorization: 'Bearer t' } });
    await new Promise<void>((resolve) => staying.on('message', (data) => String(data).includes('"type":"ready"') && resolve()));
    assert.is(hub.size(), 1, 'expected only the client still connected in the hub');
    assert.is(await connected('websocket'), 1, 'expected only the client still connected counted');
    staying.terminate();
    await waitUntil('the second client gone', async () => hub.size() === 0 && (await connected('websocket')) === 0, { timeoutMs: 5_000 });
  } finally {
    await server.close();
  }
});

test('a token without exp is refused with 401 and the reason, over SSE and at the WebSocket upgrade', async () => {
  const secret = 'push-server-test-secret-of-32-bytes';
  const { server, connected } = await pushServer(createTokenVerifier({ secrets: [secret] }));
  try {
    const neverExpiring = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuedAt().sign(new TextEncoder().encode(secret));
    const answer = await fetch(`http://127.0.0.1:${server.port}/events`, { headers: { authorization: `Bearer ${neverExpiring}` } });
    assert.is(answer.status, 401, 'expected a token without exp refused');
    assert.equal(await answer.json(), { error: 'token has no expiry: an exp claim is required' }, 'expected the reason in the body');
    assert.match(answer.headers.get('www-authenticate') ?? '', 'no expiry', 'expected the reason in WWW-Authenticate');
    const upgrade = await refusedUpgrade(`ws://127.0.0.1:${server.port}/ws`, { authorization: `Bearer ${neverExpiring}` });
    assert.is(upgrade.status, 401, 'expected the upgrade refused with 401, not a 101 and a close');
    assert.equal(JSON.parse(upgrade.body), { error: 'token has no expiry: an exp claim is required' }, 'expected the reason in the body');
    assert.match(upgrade.headers['www-authenticate'] ?? '', 'no expiry', 'expected the reason in WWW-Authenticate');
    assert.is((await connected('sse')) + (await connected('websocket')), 0, 'expected no client counted as connected');
  } finally {
    await server.close();
  }
});

test('a refused token never gets a WebSocket: the upgrade is answered 401 with the reason and a Bearer challenge, and closed', async () => {
  const { server, hub } = await pushServer(async (token) => (token === undefined ? { ok: false, reason: 'missing' } : { ok: false, reason: 'expired' }));
  const upgradeWith = (authorization: string) =>
    rawRequest(server.port, `GET /ws HTTP/1.1\r\nhost: x\r\n${authorization}connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  try {
    const expired = await upgradeWith('authorization: Bearer t\r\n'); // resolves once the server closed
    assert.match(expired, /^HTTP\/1\.1 401 Unauthorized\r\n/, 'expected 401 instead of 101');
    assert.match(expired, 'www-authenticate: Bearer error="invalid_token", error_description="token expired"', 'expected the Bearer challenge with the reason');
    assert.match(expired, '{"error":"token expired"}', 'expected the reason in the body');
    const missing = await upgradeWith('');
    assert.match(missing, /^HTTP\/1\.1 401 Unauthorized\r\n/, 'expected 401 without a token');
    assert.match(missing, 'www-authenticate: Bearer\r\n', 'expected the bare Bearer challenge without a token');
    assert.is(hub.size(), 0, 'expected no client in the hub');
  } finally {
    await server.close();
  }
});

test('a request target that is not a URL path gets 400, over plain HTTP and on upgrade, and the server serves on', async () => {
  const { server } = await pushServer(async () => shortLived());
  try {
    for (const target of ['//', '//[', 'http://']) {
      // Unhandled, the upgrade's URL error escaped its event handler and ended the process.
      const upgrade = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      assert.match(upgrade, /^HTTP\/1\.1 400 /, `expected an upgrade to ${target} refused as a bad request`);
      const plain = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.match(plain, /^HTTP\/1\.1 400 /, `expected GET ${target} refused as a bad request`);
      assert.match(plain, 'not a valid URL path', `expected the reason for GET ${target}`);
    }
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { authorization: 'Bearer t' } });
    await new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('"type":"ready"') && resolve()));
    socket.terminate();
  } finally {
    await server.close();
  }
});

test('clients that reset their connection while an upgrade is refused do not end the server', async () => {
  const { server } = await pushServer(async () => shortLived());
  try {
    // The answer's write meets the reset only in some rounds; a few hundred make it all but certain.
    for (let round = 0; round < 300; round += 1) {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(`GET ${round % 2 === 0 ? '/elsewhere' : '//'} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n`);
          socket.resetAndDestroy();
          resolve();
        });
        socket.on('error', () => resolve());
      });
    }
    const answer = await fetch(`http://127.0.0.1:${server.port}/events`);
    assert.is(answer.status, 200, 'expected the server still serving after the resets');
    await answer.body?.cancel();
  } finally {
    await server.close();
  }
});

const expiringIn = (ms: number) => async (): Promise<Verified> => ({ ok: true, userId: 'user-1', expiresAt: Date.now() + ms });

function record(offset: number): RoutedRecord {
  return { topic: priorityTopic('high'), partition: 0, offset: BigInt(offset), userId: 'user-1', priority: 'high', enriched: sampleEnriched({ userId: 'user-1' }), routedAt: Date.now() };
}

/** A log at offset 4 of the high topic whose replay waits for `gate`. */
function gatedLog(gate: Promise<void>): PriorityLog {
  return { latest: async () => new Map([[priorityTopic('high'), { partition: 0, offset: 4n }]]), replay: () => gate };
}

/** An SSE client that reads the headers and then nothing: what the server writes piles up. */
function stalledSse(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\n\r\n'));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined); // the server cutting the connection is what is expected
    socket.once('data', () => {
      socket.pause();
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

test('an SSE client that stops reading and is dropped gets no write after the end and is cut off after the grace', async () => {
  const { server, hub, connected, drops } = await pushServer(expiringIn(1_500), { maxBufferedBytes: 256 * 1_024 * 1_024, keepAliveMs: 20 });
  try {
    const stalled = await stalledSse(server.port);
    await waitUntil('the client in the hub', () => hub.size() === 1, { timeoutMs: 5_000 });
    // Far more than loopback buffers, so the end cannot drain and the response's close waits.
    for (let offset = 5; offset < 40_000; offset += 1) hub.publish(record(offset));
    // Expiry ends the response; keep-alives tick every 20 ms after it (they ended the process).
    await waitUntil('the server to cut the connection', async () => (await connected('sse')) === 0, { timeoutMs: 1_500 + 1_000 + 1_000 }); // expiry, close grace, margin
    assert.is(hub.size(), 0, 'expected the client out of the hub');
    assert.is(await drops('token-expired'), 1, 'expected the drop counted once');
    stalled.socket.resume(); // read the backlog, so the server's close reaches the client
    await stalled.closed;
  } finally {
    await server.close();
  }
});

test('a token expiring while the resume is still read ends the stream; the resume finishing later writes nothing', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { server, hub, drops } = await pushServer(expiringIn(300), { log: gatedLog(gate) });
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/events', headers: { authorization: 'Bearer t', 'last-event-id': 'h0-1' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    await new Promise((resolve) => res.once('end', resolve));
    assert.match(text, 'token-expired', 'expected the stream ended by the expiry');
    assert.is(hub.size(), 0, 'expected the client out of the hub at once');
    release(); // the resume finishes: it wrote its ready frame after the end, which ended the process
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.is(await drops('token-expired'), 1, 'expected one drop');
  } finally {
    await server.close();
  }
});

/** Completes a WebSocket handshake by hand, so the test can write frames no client library would. */
function rawWebSocket(port: number, query = ''): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /ws${query} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined); // the server cutting the connection is what is expected
    socket.once('data', (chunk) => (String(chunk).startsWith('HTTP/1.1 101') ? resolve({ socket, closed }) : reject(new Error(String(chunk)))));
  });
}

test('a client breaking the WebSocket protocol is cut off and counted, and the server serves on', async () => {
  const { server, hub, connected, drops } = await pushServer(async () => shortLived());
  try {
    // Over maxPayload (4,096 bytes): ws answers 1009 and reports an error on the socket.
    const large = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { authorization: 'Bearer t' } });
    await new Promise<void>((resolve) => large.on('message', (data) => String(data).includes('"type":"ready"') && resolve()));
    const largeClosed = new Promise<number>((resolve) => large.once('close', (code) => resolve(code)));
    large.send('x'.repeat(5_000));
    assert.is(await largeClosed, 1009, 'expected the too-big close code');
    const mask = [0, 0, 0, 0]; // a zero mask leaves the payload as written
    const frames: Array<[string, number[]]> = [
      ['unmasked', [0x81, 0x02, 0x68, 0x69]],
      ['bad opcode', [0x83, 0x80, ...mask]],
      ['invalid UTF-8', [0x81, 0x82, ...mask, 0xff, 0xfe]],
    ];
    for (const [what, bytes] of frames) {
      const raw = await rawWebSocket(server.port);
      raw.socket.write(Buffer.from(bytes));
      await raw.closed; // the close frame, then the connection ends within the close grace
      assert.ok(raw.socket.destroyed, `expected the ${what} client cut off`);
    }
    await waitUntil('every broken client gone', async () => hub.size() === 0 && (await connected('websocket')) === 0, { timeoutMs: 5_000 });
    assert.is(await drops('protocol-error'), 4, 'expected each broken client counted as a protocol-error drop');
    const answer = await fetch(`http://127.0.0.1:${server.port}/events`);
    assert.is(answer.status, 200, 'expected the server still serving');
    await answer.body?.cancel();
  } finally {
    await server.close();
  }
});

test('a client the hub dropped is not counted again when its token expires before it is gone', async () => {
  const { server, hub, drops } = await pushServer(expiringIn(300), { log: gatedLog(new Promise(() => undefined)), maxPending: 1 });
  try {
    // A client that never answers the close frame: it stays until the close grace (1 s) cuts it.
    const raw = await rawWebSocket(server.port, '?resume=h0-1');
    await waitUntil('the client in the hub', () => hub.size() === 1, { timeoutMs: 5_000 });
    hub.publish(record(5));
    hub.publish(record(6)); // more than maxPending while the resume is read
    await raw.closed;
    assert.is(await drops('replay-overflow'), 1, 'expected the overflow counted');
    assert.is(await drops('token-expired'), 0, 'expected the expiry after the drop not counted');
  } finally {
    await server.close();
  }
});

test('a resume position on a partition that is not the user\'s is refused: 400 over SSE, close 1008 over WebSocket, and nothing is replayed', async () => {
  let replays = 0;
  const log: PriorityLog = { latest: async () => new Map([[priorityTopic('high'), { partition: 0, offset: 4n }]]), replay: async () => void (replays += 1) };
  const { server, connected } = await pushServer(async () => shortLived(), { log });
  try {
    const answer = await fetch(`http://127.0.0.1:${server.port}/events`, { headers: { authorization: 'Bearer t', 'last-event-id': 'h2-1' } });
    assert.is(answer.status, 400, 'expected a position on another partition refused');
    assert.match(((await answer.json()) as { error: string }).error, 'partition 2 of neuros.priority.high; this user\'s is 0', 'expected the reason');
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws?resume=h2-1`, { headers: { authorization: 'Bearer t' } });
    const [code, reason] = await new Promise<[number, string]>((resolve) => socket.once('close', (c, r) => resolve([c, r.toString()])));
    assert.is(code, 1008, 'expected the policy close code');
    assert.match(reason, 'partition 2 of neuros.priority.high', 'expected the reason in the close frame');
    assert.ok(Buffer.byteLength(reason) <= 123, 'expected the reason to fit a close frame');
    assert.is(replays, 0, 'expected no replay of another partition');
    assert.is((await connected('sse')) + (await connected('websocket')), 0, 'expected no client counted as connected');
    const own = await fetch(`http://127.0.0.1:${server.port}/events`, { headers: { authorization: 'Bearer t', 'last-event-id': 'h0-1' } });
    assert.is(own.status, 200, 'expected a position on the user\'s own partition accepted');
    await own.body?.cancel();
  } finally {
    await server.close();
  }
});

test('a JWKS that cannot be fetched gets 503 with Retry-After over SSE and at the WebSocket upgrade, not a token refusal', async () => {
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  const { port } = gone.address() as AddressInfo;
  await new Promise((resolve) => gone.close(resolve)); // nothing listens there now
  const { server, connected } = await pushServer(createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` }));
  const { privateKey } = await generateKeyPair('ES256');
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('user-1').setExpirationTime('5m').sign(privateKey);
  try {
    const answer = await fetch(`http://127.0.0.1:${server.port}/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(answer.status, 503, 'expected service unavailable, not 401 or 500');
    assert.ok(Number(answer.headers.get('retry-after')) > 0, 'expected Retry-After');
    assert.match(((await answer.json()) as { error: string }).error, 'try again later', 'expected the reason');
    const upgrade = await refusedUpgrade(`ws://127.0.0.1:${server.port}/ws`, { authorization: `Bearer ${token}` });
    assert.is(upgrade.status, 503, 'expected the upgrade refused as service unavailable, not 401 or a 101 and a close');
    assert.ok(Number(upgrade.headers['retry-after']) > 0, 'expected Retry-After on the upgrade too');
    assert.match(upgrade.body, 'try again later', 'expected the reason');
    assert.is((await connected('sse')) + (await connected('websocket')), 0, 'expected no client counted as connected');
  } finally {
    await server.close();
  }
});

test('a stop while a WebSocket upgrade’s token is being checked ends that connection too, rather than streaming to it and waiting for it to leave', async () => {
  const check = heldFirstCheck();
  const { server } = await pushServer(check.verify);
  const client = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { authorization: 'Bearer t' } });
  let opened = false;
  client.on('open', () => (opened = true));
  client.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await check.started;
  const closing = server.close();
  check.release();
  const outcome = await Promise.race([closing.then(() => 'closed'), new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 3_000))]);
  assert.is(outcome, 'closed', 'expected the stop to end within seconds');
  await ended;
  assert.not.ok(opened, 'expected the upgrade never completed');
});

test.run();
