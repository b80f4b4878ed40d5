import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the vendors' resource APIs (Oura v2, WHOOP v2, Withings…): a real HTTP server on
 * loopback, port 0. Each vendor lives under its own prefix (`<url>/oura`, `<url>/whoop`), so a
 * client's base URL is `sim.baseUrl(vendor)` and the paths are the vendor's own. Documents are the
 * shapes of the vendors' docs (test/fixtures/vendors/<vendor>/api/). It checks bearer tokens
 * against the set a test granted (401 otherwise), answers 404 for unknown resources, and plays
 * scripted answers (401, 404, 429 with Retry-After, 5xx, slow) before the normal one.
 */
export interface ScriptedAnswer {
  readonly status: number;
  /** e.g. `{ 'retry-after': '1' }` */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Wait this long before answering, in ms (timeouts, slow vendors). */
  readonly delayMs?: number;
}

export interface SimRequest {
  readonly vendor: string;
  /** The vendor's path, without the simulator's prefix, with its query string. */
  readonly path: string;
  readonly status: number;
}

export interface VendorApiSim {
  readonly url: string;
  baseUrl(vendor: string): string;
  /** Serves `body` (JSON) at the vendor's `path`; a path with a query matches that query exactly. */
  serve(vendor: string, path: string, body: unknown): void;
  /**
   * Serves a list endpoint over `documents` as the vendor pages it (collectionStyles): the query's
   * window picks the documents, `pageSize` of them a page, a token names the next. An exact
   * `serve` of the same path and query wins.
   */
  collection(vendor: string, path: string, style: CollectionStyle, documents: readonly Record<string, unknown>[], pageSize?: number): void;
  /** Answers the next requests whose path starts with `pathPrefix` with these, in order. */
  script(vendor: string, pathPrefix: string, answers: readonly ScriptedAnswer[]): void;
  grant(token: string): void;
  revoke(token: string): void;
  /**
   * Also accepts the bearer tokens `accepts` vouches for: the vendor's OAuth simulator, so a
   * token it issued works here until it expires or is revoked there, as at the real vendor.
   */
  trust(vendor: string, accepts: (token: string) => boolean): void;
  /** Every request answered so far, in order. */
  requests(vendor?: string): SimRequest[];
  /** Extra latency of every normal answer, in ms (the benchmark's 100 ms vendor). */
  latencyMs: number;
  close(): Promise<void>;
}

/**
 * How a vendor's list endpoints take a window and page (docs/vendors.md, Backfill):
 * Oura `?start_date&end_date&next_token` → `{data, next_token}` (null on the last page), a
 * document in the window by its `day`; WHOOP `?start&end&limit&nextToken` → `{records,
 * next_token}` (absent on the last page), a record in the window by its `start` (recoveries by
 * `created_at`), `limit` at most 25; Withings sleep v2 Getsummary and measure v2 Getactivity
 * `?startdateymd&enddateymd` (both days included) or, never with them, `?lastupdate` (changed
 * after that Unix time), `offset` → HTTP 200 `{status: 0, body: {series|activities, more,
 * offset}}`, a document in the window by its `date`, refusals as `{status: 503}` inside a 200.
 */
export interface CollectionStyle {
  readonly from: string;
  readonly to: string;
  readonly token: string;
  /** The field of each document that places it in the window. */
  readonly at: (document: Record<string, unknown>) => string;
  readonly page: (documents: readonly Record<string, unknown>[], nextToken: string | undefined) => unknown;
  /** The largest page a client may ask for with `limit`; absent: the vendor takes no limit. */
  readonly maxLimit?: number;
  /** `to` names the window's last day, included (Withings' `enddateymd`); absent: the first instant after the window. */
  readonly toIncluded?: boolean;
  /** The form `from` and `to` must have (Withings' Y-m-d); absent: any. */
  readonly bound?: RegExp;
  /** The other way to ask, never with the window: documents changed after a Unix time (Withings' `lastupdate`). */
  readonly since?: { readonly param: string; readonly at: (document: Record<string, unknown>) => number };
  /** How the vendor refuses a query it cannot answer; absent: HTTP 400 `{detail}`. */
  readonly refuse?: (detail: string) => ScriptedAnswer;
}

/**
 * Withings' list calls (https://developer.withings.com/api-reference, sleepv2-getsummary and
 * measurev2-getactivity): HTTP 200 always, the outcome in `status`; 503 is one of its "Invalid
 * params" statuses (501..511 in its status table), answered with an `error` that says which.
 */
const withingsList = (list: 'series' | 'activities'): CollectionStyle => ({
  from: 'startdateymd',
  to: 'enddateymd',
  token: 'offset',
  at: (d) => String(d['date']),
  page: (documents, next) => ({ status: 0, body: { [list]: documents, more: next !== undefined, offset: Number(next ?? 0) } }),
  toIncluded: true,
  bound: /^\d{4}-\d{2}-\d{2}$/,
  since: { param: 'lastupdate', at: (d) => Number(d['modified']) },
  refuse: (detail) => ({ status: 200, body: { status: 503, body: {}, error: `Invalid Params: ${detail}` } }),
});

export const collectionStyles = {
  oura: { from: 'start_date', to: 'end_date', token: 'next_token', at: (d) => String(d['day']), page: (data, next) => ({ data, next_token: next ?? null }) },
  whoop: {
    from: 'start',
    to: 'end',
    token: 'nextToken',
    at: (d) => String(d['start'] ?? d['created_at']),
    page: (records, next) => ({ records, ...(next === undefined ? {} : { next_token: next }) }),
    maxLimit: 25,
  },
  /** `GET /v2/sleep?action=getsummary`: nights by their `date`. */
  withingsSleep: withingsList('series'),
  /** `GET /v2/measure?action=getactivity`: days by their `date`. */
  withingsActivity: withingsList('activities'),
} satisfies Record<string, CollectionStyle>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface VendorApiSimOptions {
  readonly latencyMs?: number;
  /** Keep every request for requests(); the benchmark turns it off and counts through onAnswer. */
  readonly logRequests?: boolean;
  readonly onAnswer?: (request: SimRequest) => void;
}

export async function startVendorApiSim(options: VendorApiSimOptions = {}): Promise<VendorApiSim> {
  const documents = new Map<string, string>();
  const collections = new Map<string, { style: CollectionStyle; documents: readonly Record<string, unknown>[]; pageSize: number }>();
  const scripts: { vendor: string; prefix: string; answers: ScriptedAnswer[] }[] = [];
  const tokens = new Set<string>();
  const issuers = new Map<string, (token: string) => boolean>();
  const log: SimRequest[] = [];
  const keepLog = options.logRequests ?? true;

  const answer = async (res: ServerResponse, vendor: string, path: string, reply: ScriptedAnswer) => {
    if (reply.delayMs) await sleep(reply.delayMs);
    if (keepLog) log.push({ vendor, path, status: reply.status });
    options.onAnswer?.({ vendor, path, status: reply.status });
    const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const slash = url.indexOf('/', 1);
    const vendor = url.slice(1, slash === -1 ? undefined : slash);
    const path = slash === -1 ? '/' : url.slice(slash);
    const scripted = scripts.find((s) => s.vendor === vendor && path.startsWith(s.prefix) && s.answers.length > 0);
    if (scripted) return answer(res, vendor, path, scripted.answers.shift()!);
    const auth = req.headers.authorization ?? '';
    if (req.method !== 'GET') return answer(res, vendor, path, { status: 405, body: { detail: 'Method Not Allowed' } });
    const bearer = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    if (bearer === undefined || !(tokens.has(bearer) || issuers.get(vendor)?.(bearer) === true)) {
      return answer(res, vendor, path, { status: 401, body: { detail: 'Unauthorized' } });
    }
    const [pathname = path, search = ''] = path.split('?');
    const collection = documents.has(`${vendor}${path}`) ? undefined : collections.get(`${vendor}${pathname}`);
    if (collection) return answer(res, vendor, path, { ...pageOf(collection, new URLSearchParams(search)), delayMs: sim.latencyMs });
    const document = documents.get(`${vendor}${path}`) ?? documents.get(`${vendor}${pathname}`);
    if (document === undefined) return answer(res, vendor, path, { status: 404, body: { detail: 'Not Found' } });
    return answer(res, vendor, path, { status: 200, body: document, delayMs: sim.latencyMs });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sim: VendorApiSim = {
    url,
    latencyMs: options.latencyMs ?? 0,
    baseUrl: (vendor) => `${url}/${vendor}`,
    serve: (vendor, path, body) => void documents.set(`${vendor}${path}`, JSON.stringify(body)),
    collection: (vendor, path, style, listed, pageSize = 25) => void collections.set(`${vendor}${path}`, { style, documents: listed, pageSize }),
    script: (vendor, prefix, answers) => void scripts.push({ vendor, prefix, answers: [...answers] }),
    grant: (token) => void tokens.add(token),
    revoke: (token) => void tokens.delete(token),
    trust: (vendor, accepts) => void issuers.set(vendor, accepts),
    requests: (vendor) => (vendor === undefined ? [...log] : log.filter((r) => r.vendor === vendor)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return sim;
}

/** One page of a collection, or the vendor's refusal (400 unless it has its own) of a window or limit. */
function pageOf(collection: { style: CollectionStyle; documents: readonly Record<string, unknown>[]; pageSize: number }, query: URLSearchParams): ScriptedAnswer {
  const { style, documents, pageSize } = collection;
  const refuse = style.refuse ?? ((detail: string) => ({ status: 400, body: { detail } }));
  const inWindow = listedDocuments(style, documents, query);
  if (typeof inWindow === 'string') return refuse(inWindow);
  const limit = style.maxLimit === undefined ? pageSize : Number(query.get('limit') ?? pageSize);
  if (!Number.isInteger(limit) || limit < 1 || limit > (style.maxLimit ?? Infinity)) return refuse(`limit must be 1 to ${style.maxLimit}`);
  const offset = Number(query.get(style.token) ?? 0);
  const page = inWindow.slice(offset, offset + Math.min(limit, pageSize));
  const next = offset + page.length < inWindow.length ? String(offset + page.length) : undefined;
  return { status: 200, body: style.page(page, next) };
}

/** The documents a query names (its window, or what changed since its `since`), or why the vendor refuses it. */
function listedDocuments(style: CollectionStyle, documents: readonly Record<string, unknown>[], query: URLSearchParams): readonly Record<string, unknown>[] | string {
  const [from, to] = [query.get(style.from), query.get(style.to)];
  if (style.since !== undefined && query.has(style.since.param)) {
    const { param, at: changedAt } = style.since;
    const since = query.get(param)!;
    if (from !== null || to !== null) return `${param} cannot go with ${style.from} or ${style.to}`;
    if (!/^\d+$/.test(since)) return `${param} must be a Unix time`;
    return documents.filter((document) => changedAt(document) > Number(since));
  }
  if (from === null || to === null || (style.toIncluded ? from > to : from >= to)) {
    return `${style.from} ${style.toIncluded ? 'up to' : 'before'} ${style.to} required${style.since ? ` (or ${style.since.param})` : ''}`;
  }
  if (style.bound !== undefined && !(style.bound.test(from) && style.bound.test(to))) return `${style.from} and ${style.to} must match ${String(style.bound)}`;
  const last = style.toIncluded ? (at: string) => at <= to : (at: string) => at < to;
  return documents.filter((document) => from <= style.at(document) && last(style.at(document)));
}
