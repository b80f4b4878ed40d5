import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Schema } from 'avsc';
import { SignJWT } from 'jose';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { EnrichedBiometricEvent } from '../../src/events/index.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { serdes } from '../../src/streams/index.ts';
import { priorities, priorityTopic, type Priority } from '../../src/topics.ts';
import { sampleEnriched } from '../support/enriched-event.ts';
import { createTopics, schemaStore } from '../support/services.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

/** Creates the shared priority topics if this is the first test to need them. */
export async function ensurePriorityTopics(admin: Admin): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = priorities.map(priorityTopic).filter((t) => !existing.has(t));
  if (missing.length > 0) await createTopics(admin, missing, 3).catch((error: unknown) => {
    if (!String(error).includes('already exists')) throw error;
  });
}

export async function userToken(secret: string, userId: string, expiresAt: number | string = '1h'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().setExpirationTime(expiresAt).sign(new TextEncoder().encode(secret));
}

/** Writes events to the priority topics the way route does: Avro values keyed by user id, routing headers. */
export function routedWriter(kafka: Kafka, transactionalId?: string): { connect(): Promise<void>; write(userId: string, priority: Priority, count?: number): Promise<string[]>; disconnect(): Promise<void> } {
  // Transactional as exactly-once route writes: each send is a transaction, its commit marker the partition's last offset.
  const producer: Producer = transactionalId === undefined ? reliableProducer(kafka) : kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  const serde = serdes.avro<EnrichedBiometricEvent>({ store: schemaStore(), schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
  return {
    connect: () => producer.connect(),
    async write(userId, priority, count = 1) {
      const topic = priorityTopic(priority);
      const events = Array.from({ length: count }, () => ({ ...sampleEnriched({ userId }), priority }));
      const messages = await Promise.all(
        events.map(async (e) => ({ key: userId, value: await serde.serialize(e, topic), headers: { priority, has_triggers: 'false', source: 'bridge', device_type: 'oura' } })),
      );
      if (transactionalId === undefined) await producer.send({ topic, acks: -1, messages });
      else {
        const transaction = await producer.transaction();
        await transaction.send({ topic, acks: -1, messages });
        await transaction.commit();
      }
      return events.map((e) => e.event.eventId);
    },
    disconnect: () => producer.disconnect(),
  };
}

export interface SseFrame {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

/** A minimal EventSource over node:http, keeping every frame it read. */
export interface SseClient {
  readonly status: number;
  readonly body: string;
  readonly frames: SseFrame[];
  readonly closed: () => boolean;
  eventIds(): string[];
  lastId(): string | undefined;
  close(): void;
}

export function openSse(port: number, token: string | undefined, lastEventId?: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const req = request({ host: '127.0.0.1', port, path: '/events', headers }, (res: IncomingMessage) => {
      const frames: SseFrame[] = [];
      let body = '';
      let buffer = '';
      let closed = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += res.statusCode === 200 ? '' : chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          if (fields.has('data')) frames.push({ event: fields.get('event') ?? 'message', id: fields.get('id'), data: fields.get('data')! });
        }
      });
      res.on('close', () => (closed = true));
      resolve({
        status: res.statusCode ?? 0,
        get body() {
          return body;
        },
        frames,
        closed: () => closed,
        eventIds: () => frames.filter((f) => f.event === 'event').map((f) => (JSON.parse(f.data) as { event: { eventId: string } }).event.eventId),
        lastId: () => frames.at(-1)?.id,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** An SSE client that never reads: the server's writes pile up until it drops the client. */
export function openStalledSse(port: number, token: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\n\r\n`);
      socket.once('data', () => {
        socket.pause();
        resolve({ socket, closed: new Promise((done) => socket.once('close', () => done())) });
      });
    });
    socket.on('error', () => undefined); // the server resetting the connection is what is expected
    socket.once('error', reject);
  });
}
