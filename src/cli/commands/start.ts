import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig, usesExternalStack, type Env } from '../../config/index.ts';
import { createRegistryClient, registerSchemas } from '../../schemas/index.ts';
import { vendorIds } from '../../vendors/index.ts';
import { stackUp } from '../stack/index.ts';
import { waitUntil } from '../stack/processes.ts';
import { createPipelineTopics } from './topics.ts';
import { runStages } from './run.ts';

const say = (line: string) => console.log(line);

async function prepareTopicsAndSchemas(config: Readonly<Env>): Promise<void> {
  const reports = await createPipelineTopics(config);
  say(`topics: ${reports.filter((r) => r.status === 'created').length} created, ${reports.length} in all`);
  const ids = await registerSchemas(createRegistryClient(config.SCHEMA_REGISTRY_URL));
  say(`schemas: ${ids.size} subjects registered`);
}

/** A ready-to-paste signed HealthKit upload, so a new user sees one event go all the way through. */
function sampleCurl(config: Readonly<Env>, secret: string): string {
  const now = new Date();
  const body = JSON.stringify({
    user_id: 'demo-user',
    device: 'iPhone',
    samples: [
      {
        type: 'HKQuantityTypeIdentifierRestingHeartRate',
        value: 54,
        unit: 'count/min',
        start: new Date(now.getTime() - 60_000).toISOString(),
        end: now.toISOString(),
        uuid: randomUUID(),
      },
    ],
  });
  const timestamp = String(now.getTime());
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  const url = `http://${config.INGRESS_HOST}:${config.INGRESS_PORT}${config.INGRESS_BASE_PATH}/webhooks/healthkit`;
  return [
    `curl -i -X POST ${url} \\`,
    `  -H 'content-type: application/json' \\`,
    `  -H 'x-bridge-timestamp: ${timestamp}' \\`,
    `  -H 'x-bridge-signature: ${signature}' \\`,
    `  --data-binary '${body}'`,
  ].join('\n');
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('bring the local stack up if needed, create topics, register schemas, then run the ingress and every stage in one process')
    .action(async () => {
      if (usesExternalStack()) say('using the stack named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, REDIS_URL');
      else await stackUp([], say);
      // Without a configured app secret nothing could be signed; a random one lives for this run only.
      if ((process.env['HEALTHKIT_WEBHOOK_SECRETS'] ?? '').trim() === '') {
        process.env['HEALTHKIT_WEBHOOK_SECRETS'] = randomBytes(24).toString('base64url');
        say('HEALTHKIT_WEBHOOK_SECRETS is unset: this run uses a random secret (set it to sign your own uploads)');
      }
      const config = loadConfig();
      await prepareTopicsAndSchemas(config);

      const running = runStages(config, 'all');
      const readyUrl = `http://127.0.0.1:${config.METRICS_PORT}/ready`;
      let settled = false;
      void running.finally(() => {
        settled = true;
      });
      await waitUntil(async () => (await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) })).ok, {
        what: 'the pipeline',
        timeoutMs: 120_000,
        alive: () => !settled,
      }).catch(async (error: unknown) => {
        await running; // surfaces the pipeline's own start-up error first
        throw error;
      });
      const base = `http://${config.INGRESS_HOST}:${config.INGRESS_PORT}${config.INGRESS_BASE_PATH}`;
      const secret = config.HEALTHKIT_WEBHOOK_SECRETS[0] ?? '';
      say('');
      say('biometric-bridge is running (Ctrl-C stops it gracefully)');
      say(`  webhooks   ${base}/webhooks/<${vendorIds.join('|')}>`);
      say(`  ingress    ${base}/health  ${base}/ready  ${base}/metrics`);
      say(`  stages     http://127.0.0.1:${config.METRICS_PORT}/health  /ready  /metrics`);
      say(`  stack      ${config.KAFKA_BROKERS.join(',')}  ${config.SCHEMA_REGISTRY_URL}`);
      say('');
      say('Send a signed HealthKit upload (valid for HEALTHKIT_TIMESTAMP_TOLERANCE_SECONDS):');
      say(sampleCurl(config, secret));
      say('It lands on neuros.priority.normal and in the biometric_events table.');
      await running;
    });
}
