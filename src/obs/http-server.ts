import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.ts';
import { badTargetText, requestUrl } from './request-url.ts';

/** A dependency probe: resolves true when it answers. Probes get `probeTimeoutMs` each. */
export type ConnectionProbe = () => Promise<boolean>;

/**
 * A further GET path's handler. `segments` is the path after the route's prefix split at `/`,
 * each segment percent-decoded exactly once (so `%2F` stays inside its segment and `%25` is a
 * `%`); `req` is there for its headers.
 */
export type ObsRoute = (segments: readonly string[], req: IncomingMessage) => Promise<{ status: number; body: unknown; headers?: Readonly<Record<string, string>> }>;

export interface ObsServerOptions {
  port: number; // 0 picks a free one
  host?: string; // 127.0.0.1 (METRICS_HOST)
  registry: Registry;
  version: string;
  /** Only the dependencies this process uses (docs/design.md §9), e.g. { kafka, registry }. */
  connections: () => Record<string, ConnectionProbe>;
  /** True once the process does its work (e.g. every topology joined its group). */
  ready: () => boolean;
  log: Logger;
  probeTimeoutMs?: number; // 2_000
  /**
   * Further GET paths by prefix (e.g. `/state/`), answered with a status and a JSON body. A path
   * that is not valid percent-encoding is answered 400 before its handler is called.
   */
  routes?: Readonly<Record<string, ObsRoute>>;
}

export interface ObsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface HealthBody {
  status: 'healthy' | 'degraded';
  service: 'biometric-bridge';
  version: string;
  connections: Record<string, boolean>;
}

/** `/metrics`, `/health` and `/ready` for a stage process. */
export async function startObsServer(options: ObsServerOptions): Promise<ObsServer> {
  const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;

  const health = async (): Promise<HealthBody> => {
    const probes = Object.entries(options.connections());
    const results = await Promise.all(probes.map(([, probe]) => withTimeout(probe(), probeTimeoutMs)));
    const connections = Object.fromEntries(probes.map(([name], i) => [name, results[i] === true]));
    const status = Object.values(connections).every(Boolean) ? 'healthy' : 'degraded';
    return { status, service: 'biometric-bridge', version: options.version, connections };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (url === undefined) return send(res, 400, { error: badTargetText });
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET and HEAD are served' });
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(await options.registry.metrics());
      return;
    }
    if (path === '/health') {
      const body = await health();
      // Monitors parse the body; the code lets a load balancer act without parsing it.
      return send(res, body.status === 'healthy' ? 200 : 503, body);
    }
    if (path === '/ready') {
      const ready = options.ready();
      return send(res, ready ? 200 : 503, { ready });
    }
    for (const [prefix, route] of Object.entries(options.routes ?? {})) {
      if (!path.startsWith(prefix)) continue;
      const segments = decodedSegments(path.slice(prefix.length));
      if (segments === undefined) return send(res, 400, { error: 'the path is not valid percent-encoding: each % must start an escape such as %25 (%) or %2F (/), of UTF-8 bytes' });
      const answer = await route(segments, req);
      return send(res, answer.status, answer.body, answer.headers);
    }
    return send(res, 404, { error: `no such path ${path}; try /metrics, /health or /ready` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log.warn({ error: error instanceof Error ? error.name : typeof error }, 'observability request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ host: options.host ?? '127.0.0.1', port }, 'serving /metrics, /health, /ready');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The path's segments, each decoded once; undefined when one is not valid percent-encoded UTF-8. */
function decodedSegments(path: string): string[] | undefined {
  try {
    return path.split('/').map((segment) => decodeURIComponent(segment));
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers?: Readonly<Record<string, string>>): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function withTimeout(probe: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    // A probe that throws counts as "not connected": that is what the health body reports.
    return await Promise.race([probe.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
