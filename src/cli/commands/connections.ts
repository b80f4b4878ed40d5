import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { loadConfig, vendorIds, type Env, type VendorId } from '../../config/index.ts';
import {
  findConnection,
  importConnections,
  listConnections,
  rekeyTokens,
  revokeConnectionRow,
  subscribeOura,
  tokenCipherFromConfig,
  vendorClientsFromConfig,
  type ConnectionSummary,
} from '../../connections/index.ts';
import { createLogger } from '../../obs/logger.ts';
import { exitCodes, OperatorError } from '../../operators/errors.ts';
import { assertTopicsExist } from '../../operators/index.ts';
import { connectionsMigrations } from '../../connections/migrations.ts';
import { createPostgresPool, migrate } from '../../sink/index.ts';
import { operatorKafka, refusable } from './operator-kafka.ts';
import { reliableProducer } from '../../streams/index.ts';
import { backfillMessages, backfillVendors, backfillWindow, defaultBackfillDays, maxBackfillDays } from '../../hydrate/backfill.ts';
import { topics, type HydratedVendorId } from '../../topics.ts';

/** Why a vendor has no backfill, for the refusal. */
const backfillRefusals: Partial<Record<VendorId, string>> = {
  polar: 'AccessLink serves new data only, through its notifications',
  garmin: "its summaries are pushed or pulled per notification; Garmin's own backfill request re-sends them",
};

const vendorArgument = () => new Argument('<vendor>', 'the vendor').choices(vendorIds);
const statuses = ['active', 'revoked', 'error'] as const;

/** Runs `action` with a pool on a migrated database, closing it afterwards. */
async function withDatabase<T>(config: Env, action: (pool: ReturnType<typeof createPostgresPool>) => Promise<T>): Promise<T> {
  const pool = createPostgresPool({ connectionString: config.DATABASE_URL, max: 2, logger: createLogger({ level: config.LOG_LEVEL }) });
  try {
    await migrate({ pool, ...connectionsMigrations });
    return await action(pool);
  } finally {
    await pool.end();
  }
}

const time = (date: Date | undefined) => (date === undefined ? '-' : date.toISOString());

/** Never prints a token: ConnectionSummary does not carry them. */
function describe(c: ConnectionSummary): string {
  return [
    `id               ${c.id}`,
    `vendor           ${c.vendor}`,
    `vendor user id   ${c.vendorUserId}`,
    `user id          ${c.userId}`,
    `status           ${c.status}`,
    `scopes           ${c.scopes.join(' ') || '-'}`,
    `connected at     ${time(c.connectedAt)}`,
    `disconnected at  ${time(c.disconnectedAt)}`,
    `token expires at ${time(c.expiresAt)}`,
    `last refresh     ${time(c.lastRefreshAt)}`,
    `last error       ${c.lastError ?? '-'}`,
    `tokens           ${c.hasAccessToken ? 'access' : 'no access'}, ${c.hasRefreshToken ? 'refresh' : 'no refresh'}${c.tokenKeyId ? ` (key ${c.tokenKeyId})` : ''}`,
  ].join('\n');
}

export function registerConnections(program: Command): void {
  const connections = program.command('connections').description('users’ vendor connections (OAuth): list, show, backfill, revoke, import, rekey, subscribe');

  connections
    .command('list')
    .addOption(new Option('--vendor <vendor>', 'only this vendor').choices(vendorIds))
    .addOption(new Option('--status <status>', 'only this status').choices(statuses))
    .option('--user <userId>', 'only this user of ours')
    .description('one line per connection (never a token)')
    .action((options: { vendor?: VendorId; status?: (typeof statuses)[number]; user?: string }) =>
      withDatabase(loadConfig(), async (pool) => {
        const rows = await listConnections(pool, { ...(options.vendor ? { vendor: options.vendor } : {}), ...(options.status ? { status: options.status } : {}), ...(options.user ? { userId: options.user } : {}) });
        console.log(`${'vendor'.padEnd(14)} ${'vendor user id'.padEnd(24)} ${'user id'.padEnd(24)} ${'status'.padEnd(8)} ${'expires'.padEnd(24)} last error`);
        for (const c of rows) {
          console.log(`${c.vendor.padEnd(14)} ${c.vendorUserId.padEnd(24)} ${c.userId.padEnd(24)} ${c.status.padEnd(8)} ${time(c.expiresAt).padEnd(24)} ${c.lastError ?? ''}`);
        }
        console.log(`${rows.length} connection(s)`);
      }),
    );

  connections
    .command('show')
    .addArgument(vendorArgument())
    .argument('<vendorUserId>', "the vendor's user id")
    .description('every field of one connection (never a token)')
    .action((vendor: VendorId, vendorUserId: string) =>
      refusable(() =>
        withDatabase(loadConfig(), async (pool) => {
          const connection = await findConnection(pool, vendor, vendorUserId);
          if (connection === undefined) throw new OperatorError(`no ${vendor} connection for that vendor user id`, exitCodes.notFound);
          console.log(describe(connection));
        }),
      ),
    );

  connections
    .command('backfill')
    .addArgument(vendorArgument())
    .argument('<userId>', 'our user id (as the connect link named it)')
    .option('--days <n>', `days of history, 1 to ${maxBackfillDays}`, String(defaultBackfillDays))
    // A second pipeline on the same cluster, or a test, reads its own requests topic.
    .option('--topic <name>', 'the topic the hydrate stage reads backfill requests from', topics.backfill)
    .description("fetch the user's last days from the vendor through the hydrate stage, behind live notifications")
    // Its refusals are one line each, like the ones below: an unknown vendor lists the choices.
    .showHelpAfterError(false)
    .action((vendor: VendorId, userId: string, options: { days: string; topic: string }) =>
      refusable(async () => {
        const config = loadConfig();
        const days = Number(options.days);
        if (!Number.isInteger(days) || days < 1 || days > maxBackfillDays) throw new OperatorError(`--days must be a whole number from 1 to ${maxBackfillDays}, not ${options.days}`, exitCodes.usage);
        if (!(backfillVendors as readonly string[]).includes(vendor)) {
          throw new OperatorError(`${vendor} cannot be backfilled: ${backfillRefusals[vendor] ?? 'its webhooks carry the data'} (docs/vendors.md)`, exitCodes.usage);
        }
        const active = await withDatabase(config, (pool) => listConnections(pool, { vendor, userId, status: 'active' }));
        if (active.length === 0) throw new OperatorError(`no active ${vendor} connection for that user`, exitCodes.notFound);
        const window = backfillWindow(days);
        const kafka = operatorKafka(config);
        const admin = kafka.admin();
        await admin.connect();
        try {
          await assertTopicsExist(admin, [options.topic]);
        } finally {
          await admin.disconnect();
        }
        const messages = active.flatMap((c) => backfillMessages(vendor as HydratedVendorId, c.vendorUserId, days));
        const producer = reliableProducer(kafka);
        await producer.connect();
        try {
          await producer.send({ topic: options.topic, acks: -1, messages });
        } finally {
          await producer.disconnect();
        }
        console.log(`queued a ${vendor} backfill of ${window.startDate} up to ${window.endDate} for ${active.length} connection(s) on ${options.topic}, in ${messages.length / active.length} request(s) of at most a week`);
      }),
    );

  connections
    .command('revoke')
    .addArgument(vendorArgument())
    .argument('<vendorUserId>', "the vendor's user id")
    .option('--reason <reason>', 'recorded as last_error', 'operator')
    .description('mark a connection revoked and drop its tokens (the user must reconnect)')
    .action((vendor: VendorId, vendorUserId: string, options: { reason: string }) =>
      refusable(() =>
        withDatabase(loadConfig(), async (pool) => {
          const revoked = await revokeConnectionRow(pool, vendor, vendorUserId, options.reason);
          if (!revoked) throw new OperatorError(`no active ${vendor} connection for that vendor user id`, exitCodes.notFound);
          console.log(`revoked the ${vendor} connection`);
        }),
      ),
    );

  connections
    .command('import')
    .argument('<file>', 'CSV (header line) or JSON (array) of vendor, vendor_user_id, user_id, access_token[, refresh_token, expires_at, scopes]')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'json']))
    .description('bulk-load tokens of users connected elsewhere, encrypted on the way in (all or nothing)')
    .action((file: string, options: { format?: 'csv' | 'json' }) =>
      refusable(async () => {
        const config = loadConfig();
        const format = options.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
        const content = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new OperatorError(`cannot read ${file}: ${error.code ?? error.message}`, exitCodes.notFound);
        });
        const cipher = tokenCipherFromConfig(config);
        const result = await withDatabase(config, (pool) => importConnections(pool, cipher, content, format));
        if (result.problems.length > 0) {
          for (const problem of result.problems) console.error(problem);
          throw new OperatorError(`${file}: ${result.problems.length} problem(s), nothing imported`, exitCodes.incompatible);
        }
        console.log(`imported ${result.imported} connection(s)`);
      }),
    );

  connections
    .command('rekey')
    .description('re-encrypt every token with the newest TOKEN_ENCRYPTION_KEYS key; afterwards the old keys can go')
    .action(() =>
      refusable(async () => {
        const config = loadConfig();
        const cipher = tokenCipherFromConfig(config);
        const result = await withDatabase(config, (pool) => rekeyTokens(pool, cipher));
        console.log(`rekeyed ${result.rekeyed} connection(s) to key ${cipher.currentKeyId}; ${result.alreadyCurrent} already on it`);
        if (result.remaining > 0) {
          throw new OperatorError(
            `${result.remaining} connection(s) were re-sealed under an older key meanwhile by a process not yet given the new key; restart it and run rekey again`,
            exitCodes.busy,
          );
        }
      }),
    );

  connections
    .command('subscribe')
    .addArgument(new Argument('<vendor>', 'the vendor with per-app subscriptions').choices(['oura']))
    .requiredOption('--callback-url <url>', 'the public webhook URL, e.g. https://bridge.example.com/api/bridge/webhooks/oura')
    .description("create Oura's missing webhook subscriptions, renew those expiring within a week and delete ours to data types the bridge does not map (idempotent)")
    .action((_vendor: 'oura', options: { callbackUrl: string }) =>
      refusable(async () => {
        const config = loadConfig();
        const client = vendorClientsFromConfig(config).get('oura');
        if (client === undefined) throw new OperatorError('set OURA_CLIENT_ID and OURA_CLIENT_SECRET first', exitCodes.config);
        if (config.OURA_VERIFICATION_TOKEN === undefined) throw new OperatorError('set OURA_VERIFICATION_TOKEN first (the ingress answers the handshake with it)', exitCodes.config);
        const result = await subscribeOura({ oauth: client.oauth, credentials: client.credentials, callbackUrl: options.callbackUrl, verificationToken: config.OURA_VERIFICATION_TOKEN });
        for (const s of result.created) console.log(`created ${s}`);
        for (const s of result.renewed) console.log(`renewed ${s}`);
        for (const s of result.removed) console.log(`removed ${s} (a data type the bridge does not map)`);
        console.log(`${result.created.length} created, ${result.renewed.length} renewed, ${result.kept.length} kept, ${result.removed.length} removed`);
      }),
    );
}
