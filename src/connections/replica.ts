import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../obs/logger.ts';

/**
 * `vendor_connections` as the stages read it, held in memory: who is connected (verify trusts
 * unsigned webhooks only for them) and whose user id an event carries (normalize). A row the
 * replica has answers at once, without Postgres, also while Postgres is away. So does a question
 * about a record produced well before the last read began (`producedAtMs`, a backlog): any
 * connection committed before the record was, that read saw. Otherwise a missing row is confirmed
 * by a read that began after the question, because the connection may be younger than the last
 * read (a user connects and the backfill's first events follow at once): such answers are
 * promises, shared by every question asked while one read runs, and reject with
 * ConnectionsUnreadableError while Postgres does not answer, so a caller pauses rather than
 * deciding on a table it could not read.
 */
export interface ConnectionReplica {
  /**
   * Our user id behind a vendor's; a revoked connection still maps (late data is the same
   * person's). `producedAtMs`: when the record asked about was produced (its Kafka timestamp).
   */
  userIdFor(vendor: string, vendorUserId: string, producedAtMs?: number): string | undefined | Promise<string | undefined>;
  /** Connected and not revoked. */
  isConnected(vendor: string, vendorUserId: string, producedAtMs?: number): boolean | Promise<boolean>;
  /** Reads the whole table, then follows its changes until close(). Rejects when Postgres does not answer. */
  start(): Promise<void>;
  close(): void;
  readonly size: number;
}

/** A question the replica could not confirm: Postgres did not answer the read it needed. */
export class ConnectionsUnreadableError extends Error {
  constructor(options?: ErrorOptions) {
    super('vendor_connections could not be read', options);
    this.name = 'ConnectionsUnreadableError';
  }
}

export interface ConnectionReplicaOptions {
  readonly pool: pg.Pool;
  readonly log: Logger;
  /** How often changed rows are read: a new or revoked connection is seen within about this. */
  readonly refreshMs?: number;
  /**
   * How far before the last read each read starts again. A write committed after a read began
   * but stamped before it would otherwise be skipped; writes to the table are single statements.
   */
  readonly overlapMs?: number;
  /**
   * How far the clocks of the record's producer and of this process may disagree, ms: a record
   * counts as produced before a read only when it was by at least this much.
   */
  readonly clockSkewMs?: number;
  /** How often the whole table is read again, as a backstop. */
  readonly fullReadMs?: number;
  readonly pageRows?: number;
  readonly metrics?: Registry;
}

interface Entry {
  readonly userId: string;
  readonly connected: boolean;
}

interface Row {
  readonly vendor: string;
  readonly vendor_user_id: string;
  readonly user_id: string;
  readonly connected: boolean;
}

const keyOf = (vendor: string, vendorUserId: string): string => `${vendor}\u0000${vendorUserId}`;
const columns = 'vendor, vendor_user_id, user_id, disconnected_at IS NULL AS connected';

export function createConnectionReplica(options: ConnectionReplicaOptions): ConnectionReplica {
  const refreshMs = options.refreshMs ?? 1_000;
  const overlapMs = options.overlapMs ?? 60_000;
  const fullReadMs = options.fullReadMs ?? 15 * 60_000;
  const pageRows = options.pageRows ?? 10_000;
  const clockSkewMs = options.clockSkewMs ?? 1_000;
  let entries = new Map<string, Entry>();
  /** The database's clock when the last successful read began; the next read starts `overlapMs` before it. */
  let readFrom: Date | undefined;
  let lastRead = 0;
  /** When the last successful read began, on this process's clock. */
  let lastReadBegan = 0;
  let lastFullRead = 0;
  let failingSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const put = (into: Map<string, Entry>, row: Row) => into.set(keyOf(row.vendor, row.vendor_user_id), { userId: row.user_id, connected: row.connected });

  async function readAll(): Promise<void> {
    const { rows: clock } = await options.pool.query<{ at: Date }>('SELECT statement_timestamp() AS at');
    const next = new Map<string, Entry>();
    let after: Row | undefined;
    for (;;) {
      const { rows } = after
        ? await options.pool.query<Row>(`SELECT ${columns} FROM vendor_connections WHERE (vendor, vendor_user_id) > ($1, $2) ORDER BY vendor, vendor_user_id LIMIT $3`, [after.vendor, after.vendor_user_id, pageRows])
        : await options.pool.query<Row>(`SELECT ${columns} FROM vendor_connections ORDER BY vendor, vendor_user_id LIMIT $1`, [pageRows]);
      for (const row of rows) put(next, row);
      if (rows.length < pageRows) break;
      after = rows[rows.length - 1];
    }
    entries = next;
    readFrom = clock[0]!.at;
    lastFullRead = Date.now();
  }

  async function readChanges(): Promise<void> {
    const since = new Date(readFrom!.getTime() - overlapMs);
    const { rows } = await options.pool.query<Row & { at: Date }>(
      `SELECT statement_timestamp() AS at, c.* FROM (SELECT 1) AS one
         LEFT JOIN (SELECT ${columns} FROM vendor_connections WHERE updated_at > $1) AS c ON true`,
      [since],
    );
    for (const row of rows) if (row.vendor !== null) put(entries, row);
    readFrom = rows[0]!.at;
  }

  function readSucceeded(began: number): void {
    lastRead = Date.now();
    lastReadBegan = began;
  }

  /** One read: the whole table when due, else the changes. Failures are logged once per outage. */
  async function read(): Promise<boolean> {
    const began = Date.now();
    try {
      if (Date.now() - lastFullRead >= fullReadMs) await readAll();
      else await readChanges();
      readSucceeded(began);
      if (failingSince !== undefined) {
        options.log.info({ dependency: 'postgres', staleForMs: lastRead - failingSince }, 'connections replica reading changes again');
        failingSince = undefined;
      }
      return true;
    } catch (error) {
      if (failingSince === undefined) {
        failingSince = Date.now();
        options.log.warn({ dependency: 'postgres', error: (error as Error).message }, 'connections replica cannot read changes; going on with the connections it has');
      }
      return false;
    }
  }

  // Reads run one at a time. `running` began at `runningSince`; `queued` follows it.
  let running: Promise<boolean> | undefined;
  let runningSince = 0;
  let queued: Promise<boolean> | undefined;
  function runRead(): Promise<boolean> {
    runningSince = Date.now();
    const done = read().finally(() => {
      if (running === done) running = undefined;
    });
    running = done;
    return done;
  }
  /** A read that begins at or after `asked`: the running one if it began since, else the next. */
  function readSince(asked: number): Promise<boolean> {
    if (running === undefined) return runRead();
    if (runningSince >= asked) return running;
    queued ??= running.then(() => {
      queued = undefined;
      return runRead();
    });
    return queued;
  }
  /** True when the last read began after a record produced at `producedAtMs`, skew included. */
  const seenByLastRead = (producedAtMs: number | undefined) => producedAtMs !== undefined && producedAtMs < lastReadBegan - clockSkewMs;
  function confirmed<T>(answer: () => T): Promise<T> {
    return readSince(Date.now()).then((ok) => {
      if (!ok) throw new ConnectionsUnreadableError();
      return answer();
    });
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => void readSince(Date.now()).finally(schedule), refreshMs);
    timer.unref();
  }

  if (options.metrics) {
    new Gauge({ name: 'connections_replica_rows', help: 'Vendor connections held by this process (verify, normalize)', registers: [options.metrics], collect() { this.set(entries.size); } });
    new Gauge({
      name: 'connections_replica_age_seconds',
      help: 'Seconds since this process last read the changes to vendor connections; grows while Postgres is away',
      registers: [options.metrics],
      collect() {
        this.set(lastRead === 0 ? 0 : (Date.now() - lastRead) / 1000);
      },
    });
  }

  return {
    userIdFor(vendor, vendorUserId, producedAtMs) {
      const key = keyOf(vendor, vendorUserId);
      const entry = entries.get(key);
      if (entry !== undefined || seenByLastRead(producedAtMs)) return entry?.userId;
      return confirmed(() => entries.get(key)?.userId);
    },
    isConnected(vendor, vendorUserId, producedAtMs) {
      const key = keyOf(vendor, vendorUserId);
      const entry = entries.get(key);
      // A revoked connection is confirmed too: the user may have connected again since.
      if (entry?.connected === true || seenByLastRead(producedAtMs)) return entry?.connected === true;
      return confirmed(() => entries.get(key)?.connected === true);
    },
    async start() {
      const began = Date.now();
      await readAll();
      readSucceeded(began);
      options.log.info({ connections: entries.size }, 'connections replica loaded');
      schedule();
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
    get size() {
      return entries.size;
    },
  };
}
