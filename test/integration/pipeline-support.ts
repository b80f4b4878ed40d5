// Helpers for the whole-pipeline tests and bench/pipeline.ts (not a test file: no `.test.ts`):
// vendor request signing as each vendor does it, posting webhooks, free ports, a `bridge run …`
// child process, consumer-group lag and waits that say where records stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { Admin, Kafka } from 'kafkajs';
import { projectRoot } from '../../src/cli/stack/paths.ts';
import { vendorIds } from '../../src/config/schema.ts';
import { dlqTopic, hydratedVendorIds, rawTopic, topics, verifiedTopic } from '../../src/topics.ts';
import { vendorInputTopic } from '../../topologies/normalize.ts';
import { StopWaiting, waitUntil } from '../support/wait-until.ts';
import { testConsumer } from '../support/services.ts';

export type SignedHeaders = Record<string, string>;

/** Our iOS app: hex HMAC-SHA256 over `<unix ms>.<body>` (docs/vendors.md, Apple HealthKit). */
export function healthkitHeaders(body: Buffer, secret: string, signedAtMs: number): SignedHeaders {
  const timestamp = String(signedAtMs);
  return {
    'content-type': 'application/json',
    'x-bridge-timestamp': timestamp,
    'x-bridge-signature': createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex'),
  };
}

/** Terra: `t=<unix s>,v1=<hex HMAC-SHA256 over "<t>.<body>">`; the trace id is stable across retries. */
export function terraHeaders(body: Buffer, secret: string, signedAtMs: number, traceId: string): SignedHeaders {
  const t = String(Math.floor(signedAtMs / 1000));
  return {
    'content-type': 'application/json',
    'terra-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`,
    'x-terra-trace-id': traceId,
  };
}

/** Oura: upper-case hex HMAC-SHA256 over `<unix s><body>`, no separator. */
export function ouraHeaders(body: Buffer, secret: string, signedAtMs: number): SignedHeaders {
  const timestamp = String(Math.floor(signedAtMs / 1000));
  return {
    'content-type': 'application/json',
    'x-oura-timestamp': timestamp,
    'x-oura-signature': createHmac('sha256', secret).update(timestamp).update(body).digest('hex').toUpperCase(),
  };
}

/** WHOOP (webhook model v2): base64 HMAC-SHA256 over `<unix ms><body>`, no separator. */
export function whoopHeaders(body: Buffer, secret: string, signedAtMs: number): SignedHeaders {
  const timestamp = String(signedAtMs);
  return {
    'content-type': 'application/json',
    'x-whoop-signature-timestamp': timestamp,
    'x-whoop-signature': createHmac('sha256', secret).update(timestamp).update(body).digest('base64'),
  };
}

/** Garmin signs nothing: its pushes carry our consumer key in `garmin-client-id`. */
export function garminHeaders(clientId: string): SignedHeaders {
  return { 'content-type': 'application/json', 'garmin-client-id': clientId };
}

export interface IngressAnswer {
  readonly status: number;
  readonly body: string;
}

/** POSTs a webhook to `<ingressUrl>/webhooks/<vendor>` as the vendor sends it. */
export function postWebhook(ingressUrl: string, vendor: string, headers: SignedHeaders, body: Buffer): Promise<IngressAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${ingressUrl}/webhooks/${vendor}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A port nothing listens on right now (the OS picks it), for a child process to bind. */
export { freePort } from '../support/free-port.ts';

export interface BridgeProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Polls `GET /ready` on the metrics port until it answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code (SIGKILL and a thrown error if it does not exit in time). */
  stop(timeoutMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** `node bin/bridge.js <args>` as a long-running child, with its own environment on top of ours. */
export function startBridge(args: readonly string[], env: Record<string, string>, metricsPort: number): BridgeProcess {
  // STAGE_NODE_ARGS: Node.js flags for the spawned processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
  // to profile each stage of a benchmark (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = process.env['STAGE_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, 'bin/bridge.js', ...args], {
    cwd: projectRoot,
    env: { ...process.env, FORCE_COLOR: '0', ...env, METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | 'running' = 'running';
  void exited.then((code) => (exitCode = code));
  return {
    child,
    exited,
    output: () => output,
    async waitReady(timeoutMs = 60_000) {
      await waitUntil(
        `bridge ${args.join(' ')} to answer /ready`,
        async () => {
          if (exitCode !== 'running') throw new StopWaiting(`exited with ${exitCode}: ${output.slice(-2_000)}`);
          const res = await fetch(`http://127.0.0.1:${metricsPort}/ready`, { signal: AbortSignal.timeout(1_000) });
          return res.status === 200;
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
    async stop(timeoutMs = 30_000) {
      if (exitCode !== 'running') return exitCode;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const result = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
      if (result === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`bridge ${args.join(' ')} did not exit within ${timeoutMs} ms of SIGTERM`);
      }
      return result;
    },
  };
}

/**
 * Records the group has not committed past, summed over the topics' partitions. A partition whose
 * last offset is a transaction marker (an exactly-once writer was there) can never be committed
 * past that marker, so a gap of exactly one is not counted: the waits that use this follow waits
 * for the actual records, so a real one-record backlog is caught by those.
 */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  let lag = 0;
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const done = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    for (const end of ends) {
      const at = done.get(end.partition);
      const behind = Number(end.high) - (at === undefined || at < 0 ? Number(end.low) : at);
      lag += behind === 1 ? 0 : behind;
    }
  }
  return lag;
}

/** Every stage's consumer group and the topics it reads, in pipeline order. */
export const stageInputs: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['bridge.verify', vendorIds.map(rawTopic)],
  ['bridge.hydrate', hydratedVendorIds.map(verifiedTopic)],
  ['bridge.normalize', [...vendorIds.map(vendorInputTopic), topics.terraEvents]],
  ['bridge.enrich', [topics.events]],
  ['bridge.route', [topics.enriched]],
  ['bridge.sink', [topics.enriched]],
];

/** Each stage group's uncommitted records, for a failure message that says where records stopped. */
export async function stageLags(admin: Admin): Promise<string> {
  const lags = await Promise.all(stageInputs.map(async ([group, inputs]) => `${group} ${await groupLag(admin, group, inputs)}`));
  return `lag: ${lags.join(', ')}`;
}

/**
 * waitUntil for checks that explain themselves: `true` when done, else what is still missing.
 * On timeout the error carries the last explanation and, when given, `context()` (e.g. stageLags).
 */
export async function waitFor(
  what: string,
  check: () => Promise<true | string> | true | string,
  timeoutMs: number,
  context?: () => Promise<string>,
): Promise<void> {
  let last = '';
  try {
    await waitUntil(what, async () => {
      const result = await check();
      if (result === true) return true;
      last = result;
      return false;
    }, { timeoutMs, intervalMs: 200 });
  } catch (error) {
    const more = context === undefined ? '' : `; ${await context().catch((e: unknown) => String(e))}`;
    throw new Error(`${(error as Error).message}; ${last}${more}`);
  }
}

export interface SeenDeadLetter {
  readonly topic: string;
  readonly reason: string;
  /** Every dlq-* header, joined: what an operator reads of the letter besides its value. */
  readonly dlqHeaders: string;
  readonly value: string;
}

export interface DeadLetterWatch {
  /** Dead letters seen so far, in arrival order. */
  readonly seen: SeenDeadLetter[];
  stop(): Promise<void>;
}

/**
 * Watches dlq.hydrate and dlq.normalize for the dead letters of one run: those whose value names
 * `run` (every record a run sends does). The topics are shared, so others' letters are ignored.
 */
export async function watchRunDeadLetters(kafka: Kafka, run: string): Promise<DeadLetterWatch> {
  const seen: SeenDeadLetter[] = [];
  const consumer = testConsumer(kafka, { groupId: `test.dlq-watch.${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [dlqTopic('hydrate'), dlqTopic('normalize')], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const value = message.value?.toString() ?? '';
      if (!value.includes(run)) return;
      const headers = Object.entries(message.headers ?? {}).filter(([name]) => name.startsWith('dlq-'));
      seen.push({ topic, reason: message.headers?.['dlq-reason']?.toString() ?? '', dlqHeaders: headers.map(([name, v]) => `${name}: ${String(v)}`).join('\n'), value });
    },
  });
  return { seen, stop: () => consumer.disconnect() };
}
