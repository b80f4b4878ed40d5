import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../obs/logger.ts';
import { badTargetText, requestUrl } from '../obs/request-url.ts';
import type { TokenVerifier, Verified } from './auth.ts';
import { CursorError, decodeCursor, foreignPosition, type Cursor, type UserPartitions } from './cursor.ts';
import { watchDeparture, type Departure } from './departure.ts';
import { atExpiry } from './expiry.ts';
import type { DropReason, Hub, Subscriber } from './hub.ts';
import type { PushMetrics, Refusal } from './metrics.ts';
import { sseSubscriber } from './sse.ts';
import { closeCodes, closeSocket, webSocketSubscriber } from './websocket.ts';

export const pushPaths = { sse: '/events', websocket: '/ws' } as const;

export interface PushServerOptions {
  readonly port: number; // 0 picks a free one
  readonly host: string;
  readonly hub: Hub;
  readonly verify: TokenVerifier;
  /** The user's own partition of each priority topic, which a resume position must name. */
  readonly partitions: (userId: string) => Promise<UserPartitions>;
  readonly metrics: PushMetrics;
  readonly log: Logger;
  /** Bytes written but not yet taken by one client before it is dropped. */
  readonly maxBufferedBytes: number;
  /** How often idle connections get a keep-alive (SSE comment, WebSocket ping), in ms. */
  readonly keepAliveMs: number;
}

export interface PushServer {
  readonly port: number;
  close(): Promise<void>;
}

const refusalText: Record<Exclude<Refusal, 'keys-unavailable' | 'bad-resume'>, string> = {
  missing: 'a bearer token is required (Authorization header or access_token parameter)',
  expired: 'token expired',
  'no-expiry': 'token has no expiry: an exp claim is required',
  invalid: 'invalid token',
};

// Clients retry after a few seconds; jose fetches the set again on the next token that needs it.
const keysUnavailableText = 'token keys could not be fetched; try again later';
const keysRetryAfterSeconds = 5;

/** The client-facing server: SSE on /events, WebSocket on /ws, both for the token's user only. */
export async function startPushServer(options: PushServerOptions): Promise<PushServer> {
  const open = new Set<{ keepAlive(): void }>();

  /**
   * Streams to one authenticated client until it leaves, its token expires or it is dropped.
   * Returns the server's own drop, for what the transport learns of (a protocol error).
   */
  const stream = (subscriber: Subscriber & { keepAlive(): void }, expiresAt: number, resumeFrom: Cursor | undefined, departure: Departure): ((reason: DropReason) => void) => {
    const { transport } = subscriber;
    options.metrics.connected(transport, 1);
    const entry = { keepAlive: () => subscriber.keepAlive() };
    open.add(entry);
    // The first of leaving, expiry and a drop (the hub's or ours) ends the stream at once: out of
    // the hub (its replay stopped), the keep-alive and the expiry, so nothing later writes to the
    // client or counts it a second time. The connection's own close can come much later.
    const ended = new AbortController();
    const end = (): boolean => {
      if (ended.signal.aborted) return false;
      ended.abort();
      open.delete(entry);
      cancelExpiry();
      return true;
    };
    const drop = (reason: DropReason): void => {
      if (!end()) return;
      options.metrics.dropped(reason);
      subscriber.drop(reason);
    };
    const cancelExpiry = atExpiry(expiresAt, () => drop('token-expired'));
    departure.onLeave(() => {
      end();
      options.metrics.connected(transport, -1);
    });
    // The hub counts its own drops.
    const hubSide: Subscriber = { userId: subscriber.userId, transport, send: (frame) => subscriber.send(frame), drop: (reason) => {
      if (end()) subscriber.drop(reason);
    } };
    void options.hub.subscribe(hubSide, resumeFrom, ended.signal);
    return drop;
  };

  const refuse = (transport: Subscriber['transport'], reason: Refusal): void => {
    options.metrics.refused(transport, reason);
  };

  /**
   * The position a client resumes from (none: from now), or why it is refused: unreadable, or
   * naming a partition other than the user's own, which would be read for nothing.
   */
  const resumePosition = async (userId: string, text: string | undefined): Promise<{ cursor: Cursor | undefined } | string> => {
    if (text === undefined || text === '') return { cursor: undefined };
    let cursor: Cursor;
    try {
      cursor = decodeCursor(text);
    } catch (error) {
      if (!(error instanceof CursorError)) throw error;
      return error.message;
    }
    // Kafka not answering is not the client's fault: the resume goes on and fails as
    // replay-failed, which clients retry, and the replay reads only the user's partitions anyway.
    const foreign = await options.partitions(userId).then((own) => foreignPosition(cursor, own), () => undefined);
    return foreign ?? { cursor };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (url === undefined) return send(res, 400, { error: badTargetText });
    if (url.pathname !== pushPaths.sse) return send(res, 404, { error: `no such path ${url.pathname}; events are at ${pushPaths.sse} (SSE) and ${pushPaths.websocket} (WebSocket)` });
    if (req.method !== 'GET') return send(res, 405, { error: 'only GET is served' });
    const departure = watchDeparture(res);
    const verified = await options.verify(bearer(req, url));
    if (!verified.ok) {
      refuse('sse', verified.reason);
      const { status, headers, error } = tokenRefusal(verified);
      return send(res, status, { error }, headers);
    }
    const resume = await resumePosition(verified.userId, header(req, 'last-event-id') ?? url.searchParams.get('last_event_id') ?? undefined);
    if (typeof resume === 'string') {
      refuse('sse', 'bad-resume');
      return send(res, 400, { error: resume });
    }
    const resumeFrom = resume.cursor;
    if (departure.hasLeft()) return;
    stream(sseSubscriber(res, verified.userId, options.maxBufferedBytes), verified.expiresAt, resumeFrom, departure);
  };

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4_096 }); // clients only listen
  /** Upgrades whose token is being checked. */
  const verifying = new Set<Duplex>();
  /**
   * Checks the token before the upgrade completes, so a refused one is an HTTP answer (401, or 503
   * when the keys cannot be fetched) and never a 101 followed by a close.
   */
  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> => {
    // Node hands an upgrade's socket over without an error listener: a client resetting it while
    // its token is checked would otherwise raise an unhandled error and end the process.
    const onError = (): void => void socket.destroy();
    socket.on('error', onError);
    // Neither an HTTP connection (closeAllConnections passes it by) nor a ws client yet: close()
    // must find it, or a check that ends after it would stream to a client that holds the stop.
    verifying.add(socket);
    let verified: Verified;
    try {
      verified = await options.verify(bearer(req, url));
    } finally {
      verifying.delete(socket);
    }
    if (!verified.ok) {
      refuse('websocket', verified.reason);
      const { status, headers, error } = tokenRefusal(verified);
      return refuseUpgrade(socket, status, error, headers);
    }
    if (socket.destroyed) return; // it left, or the server closed, while its token was checked
    socket.off('error', onError); // ws listens from here on
    sockets.handleUpgrade(req, socket, head, (ws) => {
      accept(ws, verified, url).catch((error: unknown) => {
        options.log.warn({ error: error instanceof Error ? error.name : typeof error }, 'push socket failed');
        closeSocket(ws, closeCodes['replay-failed'], 'internal error');
      });
    });
  };

  /** Streams to a client whose token was verified at the upgrade, unless its resume position is refused. */
  const accept = async (socket: WebSocket, verified: Extract<Verified, { ok: true }>, url: URL): Promise<void> => {
    const departure = watchDeparture(socket);
    let drop: ((reason: DropReason) => void) | undefined;
    // ws reports a client breaking the protocol (a message over maxPayload, an unmasked frame, a
    // bad opcode, invalid UTF-8) as 'error' once it has begun the close: unheard, that error ends
    // the process, and it can come before the resume position is checked.
    let broken = false;
    socket.on('error', () => {
      if (drop !== undefined) return drop('protocol-error');
      if (broken) return;
      broken = true;
      options.metrics.dropped('protocol-error');
      closeSocket(socket, closeCodes['protocol-error'], 'protocol-error');
    });
    const resume = await resumePosition(verified.userId, url.searchParams.get('resume') ?? undefined);
    if (typeof resume === 'string') {
      refuse('websocket', 'bad-resume');
      return closeSocket(socket, closeCodes.refused, resume.slice(0, 120)); // close reasons hold 123 bytes
    }
    const resumeFrom = resume.cursor;
    if (broken || departure.hasLeft()) return;
    drop = stream(webSocketSubscriber(socket, verified.userId, options.maxBufferedBytes), verified.expiresAt, resumeFrom, departure);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log.warn({ error: error instanceof Error ? error.name : typeof error }, 'push request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const url = requestUrl(req);
    if (url === undefined) return refuseUpgrade(socket, 400, badTargetText);
    if (url.pathname !== pushPaths.websocket) return refuseUpgrade(socket, 404, `no such path ${url.pathname}; WebSocket clients connect to ${pushPaths.websocket}`);
    upgrade(req, socket, head, url).catch((error: unknown) => {
      options.log.warn({ error: error instanceof Error ? error.name : typeof error }, 'push upgrade failed');
      refuseUpgrade(socket, 500, 'internal error');
    });
  });
  // Many idle clients: one timer for all of them, not one each.
  const keepAlive = setInterval(() => open.forEach((entry) => entry.keepAlive()), options.keepAliveMs);
  keepAlive.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ port, paths: pushPaths }, 'serving push (SSE and WebSocket)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        clearInterval(keepAlive);
        for (const socket of sockets.clients) socket.close(1001, 'server shutting down');
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
        for (const socket of verifying) socket.destroy();
        for (const socket of sockets.clients) socket.terminate();
      }),
  };
}

/** The bearer token: the Authorization header, or `access_token` for browsers' EventSource and WebSocket, which cannot set headers. */
function bearer(req: IncomingMessage, url: URL): string | undefined {
  const authorization = header(req, 'authorization');
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)$/i.exec(authorization);
  return match?.[1] ?? url.searchParams.get('access_token') ?? undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The answer to a refused token, the same over SSE and at a WebSocket upgrade. */
function tokenRefusal(verified: Extract<Verified, { ok: false }>): { status: 401 | 503; headers: Record<string, string>; error: string } {
  if (verified.unavailable) return { status: 503, headers: { 'retry-after': String(keysRetryAfterSeconds) }, error: keysUnavailableText };
  const error = refusalText[verified.reason];
  // RFC 6750: a request without a token gets the bare challenge, a bad token the error with it.
  const challenge = verified.reason === 'missing' ? 'Bearer' : `Bearer error="invalid_token", error_description="${error}"`;
  return { status: 401, headers: { 'www-authenticate': challenge }, error };
}

/** Answers an upgrade request that will not become a WebSocket (there is no ServerResponse for it) and closes. */
function refuseUpgrade(socket: Duplex, status: number, error: string, headers: Record<string, string> = {}): void {
  // Node hands an upgrade's socket over without an error listener: a client resetting it while
  // the answer is written would otherwise raise an unhandled error and end the process.
  socket.on('error', () => socket.destroy());
  const body = JSON.stringify({ error });
  const lines = Object.entries({ ...headers, connection: 'close', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
