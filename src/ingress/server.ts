import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../obs/logger.ts';
import { raceTimeout } from '../streams/awaitable.ts';
import { vendorById, type VendorEntry } from '../vendors/index.ts';
import { createAccessLog } from './access-log.ts';
import { checkAuthHeaders, checkHeaders } from './cheap-checks.ts';
import { getHandshake, postHandshake, type HandshakeSettings } from './handshakes.ts';
import { createIngressMetrics, type IngressMetrics } from './metrics.ts';
import { firstHeaderValues, rawMessage } from './raw-record.ts';
import { RecordTooLargeError, SinkUnavailableError, type RawSink } from './raw-sink.ts';
import { readBody } from './read-body.ts';

export interface IngressOptions extends HandshakeSettings {
  readonly sink: RawSink;
  readonly logger: Logger;
  readonly host: string;
  /** 0 picks a free port (tests, benchmarks). */
  readonly port: number;
  /** Prefix of every path, e.g. `/api/bridge`; '' for none. */
  readonly basePath: string;
  readonly maxBodyBytes: number;
  /** Longest a body may take to arrive once the headers are in, in ms; then 408. */
  readonly bodyTimeoutMs: number;
  /** Requests whose body is complete and not yet answered (waiting for Kafka); beyond it 503. */
  readonly maxInFlight: number;
  /** Body bytes of those requests; beyond it 503, except for a request when none is in flight (a body of any accepted size gets through). */
  readonly maxInFlightBytes: number;
  /** Open requests from one source address (each holds a connection); beyond it 429. */
  readonly maxConnectionsPerSource: number;
  /** How long an idle kept-alive connection stays open, in ms (INGRESS_KEEP_ALIVE_TIMEOUT_MS). */
  readonly keepAliveTimeoutMs: number;
  /** Take the source address from the last X-Forwarded-For hop (only behind our own proxy). */
  readonly trustProxy: boolean;
  readonly shutdownGraceMs: number;
  readonly version: string;
  readonly metrics?: IngressMetrics;
  /** Where a vendor's raw records go; the registry's `raw.<vendor>` unless a test isolates its topics. */
  readonly rawTopic?: (vendor: VendorEntry) => string;
  /** One in this many 2xx answers is access-logged at info (see access-log.ts); 1 logs them all. */
  readonly accessLogSampleEvery?: number;
  /** Serves `<base>/connect/…` (src/connections/http), given the request target after that prefix. */
  readonly connectRoutes?: (req: IncomingMessage, res: ServerResponse, rest: string) => Promise<void>;
}

export interface Ingress {
  readonly server: Server;
  readonly metrics: IngressMetrics;
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets open requests finish, bodies still arriving included (bounded by the grace), then disconnects the producer. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** Recorded (metrics, access log) when the client disconnected mid-body; nginx's code for it. */
const clientClosedRequest = 499;

function send(res: ServerResponse, status: number, body?: Json, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

// The answer to almost every request, written without an object or JSON.stringify per request:
// `{"id":"<uuid>"}` is always 44 bytes, so its headers are one constant array.
const acceptedLength = JSON.stringify({ id: '00000000-0000-0000-0000-000000000000' }).length;
const acceptedHeaders = ['content-type', 'application/json', 'content-length', String(acceptedLength)];

function sendAccepted(res: ServerResponse, requestId: string): void {
  res.writeHead(202, acceptedHeaders);
  res.end(`{"id":"${requestId}"}`);
}

/**
 * The webhook HTTP server on node:http: the routes are five, so a framework's router would add
 * cost for no gain (bench/ingress.ts measures the ingress against a bare node:http handler).
 */
export function createIngress(options: IngressOptions): Ingress {
  const metrics = options.metrics ?? createIngressMetrics();
  const log = options.logger.child({ component: 'ingress' });
  const accessLog = createAccessLog(log, options.accessLogSampleEvery ?? 100);
  // prom-client hashes a label object on every call; the children per vendor and status are kept.
  const eventsBy = new Map<string, ReturnType<typeof metrics.events.labels>>();
  const durationBy = new Map<string, ReturnType<typeof metrics.duration.labels>>();
  const countEvent = (source: string, status: number, seconds: number) => {
    const key = `${source} ${status}`;
    let events = eventsBy.get(key);
    if (events === undefined) eventsBy.set(key, (events = metrics.events.labels(source, String(status))));
    events.inc();
    let duration = durationBy.get(source);
    if (duration === undefined) durationBy.set(source, (duration = metrics.duration.labels(source)));
    duration.observe(seconds);
  };
  const base = options.basePath;
  const webhookPrefix = `${base}/webhooks/`;
  let inFlight = 0;
  let inFlightBytes = 0;
  const openBySource = new Map<string, number>();
  /** Every request not yet answered, bodies still arriving included: shutdown waits for them. */
  let openRequests = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  function sourceAddress(req: IncomingMessage): string | undefined {
    const forwarded = req.headers['x-forwarded-for'];
    if (options.trustProxy && typeof forwarded === 'string') return forwarded.split(',').at(-1)?.trim();
    return req.socket.remoteAddress;
  }

  async function webhook(req: IncomingMessage, res: ServerResponse, vendor: VendorEntry, query: string, requestId: string): Promise<number> {
    const answer = (status: number, body?: Json, headers?: Record<string, string>) => {
      send(res, status, body, headers);
      return status;
    };
    const getReply = req.method === 'GET' ? getHandshake(vendor, new URLSearchParams(query), options) : undefined;
    if (getReply) return answer(getReply.status, getReply.body as Json);
    if (req.method === 'HEAD' && vendor.handshakes.includes('withings-head')) return answer(200);
    if (req.method !== 'POST') return answer(405, { error: 'use POST' }, { allow: 'POST' });
    if (draining) return answer(503, { error: 'shutting down' }, { 'retry-after': '1', connection: 'close' });

    const headerProblem = checkHeaders(vendor, req.headers, options.maxBodyBytes);
    if (headerProblem?.status === 413) return answer(413, { error: headerProblem.reason }, { connection: 'close' });
    if (headerProblem) return answer(headerProblem.status, { error: headerProblem.reason });
    const read = await readBody(req, { limitBytes: options.maxBodyBytes, timeoutMs: options.bodyTimeoutMs });
    if (read.kind === 'too_large') return answer(413, { error: `body larger than ${options.maxBodyBytes} bytes` }, { connection: 'close' });
    if (read.kind === 'timeout') return answer(408, { error: `body not complete within ${options.bodyTimeoutMs} ms` }, { connection: 'close' });
    if (read.kind === 'aborted') {
      // The client left: nobody to answer, nothing wrong on our side.
      metrics.aborted.inc();
      return clientClosedRequest;
    }
    const body = read.body;
    const handshake = postHandshake(vendor, req.headers.authorization, body, options);
    if (handshake) return answer(handshake.status, handshake.body as Json);
    const authProblem = checkAuthHeaders(vendor, req.rawHeaders);
    if (authProblem) return answer(authProblem.status, { error: authProblem.reason });
    if (body.length === 0) return answer(400, { error: 'empty body' });
    // Only requests waiting for Kafka count as in flight: a slow body is bounded by its timeout
    // and the per-source limit, and must not crowd out complete webhooks.
    if (inFlight >= options.maxInFlight) return answer(503, { error: 'too many requests in flight' }, { 'retry-after': '1' });
    if (inFlight > 0 && inFlightBytes + body.length > options.maxInFlightBytes) return answer(503, { error: 'too many bytes in flight' }, { 'retry-after': '1' });

    const message = rawMessage(vendor, {
      requestId,
      receivedAtMs: Date.now(),
      sourceAddress: sourceAddress(req),
      headers: firstHeaderValues(req.headersDistinct),
      body,
    });
    inFlight++;
    inFlightBytes += body.length;
    metrics.active.inc();
    metrics.inFlightBytes.inc(body.length);
    try {
      await options.sink.send(options.rawTopic?.(vendor) ?? vendor.rawTopic, message);
    } catch (error) {
      if (error instanceof RecordTooLargeError) return answer(413, { error: error.message }, { connection: 'close' });
      if (!(error instanceof SinkUnavailableError)) throw error;
      metrics.producerErrors.inc({ kind: error.kind });
      return answer(503, { error: 'temporarily unavailable, retry later' }, { 'retry-after': String(error.retryAfterSeconds) });
    } finally {
      inFlight--;
      inFlightBytes -= body.length;
      metrics.active.dec();
      metrics.inFlightBytes.dec(body.length);
    }
    sendAccepted(res, requestId);
    return 202;
  }

  async function handleWebhook(req: IncomingMessage, res: ServerResponse, vendorId: string, query: string): Promise<void> {
    const vendor = vendorById(vendorId);
    const requestId = randomUUID();
    const started = performance.now();
    const source = vendor?.id ?? 'unknown';
    let status: number;
    if (vendor === undefined) {
      send(res, 404, { error: 'unknown vendor' });
      status = 404;
    } else {
      try {
        status = await webhook(req, res, vendor, query, requestId);
      } catch (error) {
        // Unexpected: keep the process up and answer, so the vendor retries.
        log.error({ err: error, requestId, vendor: source }, 'webhook request failed');
        if (!res.headersSent) send(res, 503, { error: 'temporarily unavailable, retry later' }, { 'retry-after': '1' });
        status = 503;
      }
    }
    const ms = performance.now() - started;
    countEvent(source, status, ms / 1000);
    accessLog.write({ requestId, vendor: source, method: req.method, status, ms: Math.round(ms * 10) / 10 });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    if (path.startsWith(webhookPrefix)) return handleWebhook(req, res, path.slice(webhookPrefix.length), query);
    if (options.connectRoutes && path.startsWith(`${base}/connect/`)) return options.connectRoutes(req, res, url.slice(`${base}/connect`.length));
    if (req.method !== 'GET') return send(res, 404, { error: 'not found' });
    if (path === `${base}/health`) {
      const kafka = options.sink.ready();
      return send(res, 200, { status: kafka ? 'healthy' : 'degraded', service: 'biometric-bridge', version: options.version, connections: { kafka } });
    }
    if (path === `${base}/ready`) {
      const ready = options.sink.ready() && !draining;
      return send(res, ready ? 200 : 503, { ready });
    }
    if (path === `${base}/metrics`) {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return;
    }
    send(res, 404, { error: 'not found' });
  }

  /**
   * Bounds the requests one address keeps open, so a few slow or stalled clients cannot take
   * every connection. True when the request may go on; its slot frees when its response closes.
   */
  function admitSource(req: IncomingMessage, res: ServerResponse): boolean {
    const address = sourceAddress(req) ?? 'unknown';
    const open = openBySource.get(address) ?? 0;
    if (open >= options.maxConnectionsPerSource) {
      metrics.sourceLimited.inc();
      send(res, 429, { error: 'too many open requests from this address' }, { 'retry-after': '1', connection: 'close' });
      return false;
    }
    openBySource.set(address, open + 1);
    openRequests++;
    res.once('close', () => {
      const left = (openBySource.get(address) ?? 1) - 1;
      if (left === 0) openBySource.delete(address);
      else openBySource.set(address, left);
      if (--openRequests === 0) drained?.();
    });
    return true;
  }

  const server = createServer((req, res) => {
    if (!admitSource(req, res)) return;
    route(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'request handling failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
    });
  });
  // Slow senders must not pin connections: headers get 10 s, a body bodyTimeoutMs after them
  // (answered 408 by readBody); Node's own request timeout is only the backstop behind both.
  server.headersTimeout = 10_000;
  server.requestTimeout = server.headersTimeout + options.bodyTimeoutMs + 1_000;
  server.keepAliveTimeout = options.keepAliveTimeoutMs;

  return {
    server,
    metrics,
    async listen() {
      await options.sink.connect();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      log.info({ host: address.address, port: address.port, basePath: base }, 'ingress listening');
      return address;
    },
    async close() {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (openRequests > 0) {
        await raceTimeout(new Promise<void>((resolve) => (drained = resolve)), options.shutdownGraceMs, () => undefined);
        if (openRequests > 0) log.warn({ openRequests, inFlight }, 'shutdown grace elapsed with requests open');
      }
      server.closeAllConnections();
      await closed;
      await options.sink.disconnect();
      log.info('ingress stopped');
    },
  };
}
