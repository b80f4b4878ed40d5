import type { Command } from 'commander';
import { usesExternalStack } from '../../config/native-stack.ts';
import { stackDown, stackStatus, stackUp } from '../stack/index.ts';

const say = (line: string) => console.log(line);

export function registerStack(program: Command): void {
  const stack = program
    .command('stack')
    .description('run the native development stack: Kafka (KRaft), Apicurio Registry, PostgreSQL, Redis');

  stack
    .command('up')
    .argument('[services...]', 'postgres, redis, kafka, registry (default: all)')
    .description('start the stack and wait until every service answers (idempotent)')
    .action(async (services: string[]) => {
      if (usesExternalStack()) {
        say('KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL and REDIS_URL are set: using them, starting nothing');
        return;
      }
      const started = Date.now();
      await stackUp(services, say);
      say(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

  stack
    .command('down')
    .argument('[services...]', 'postgres, redis, kafka, registry (default: all)')
    .description('stop what `stack up` started (data is kept in .stack/)')
    .action(async (services: string[]) => stackDown(services, say));

  stack
    .command('status')
    .description('print each service, its endpoint, pid and whether it answers')
    .action(async () => {
      const rows = await stackStatus();
      for (const row of rows) {
        const state = row.answering ? 'up' : row.pid ? 'starting or unhealthy' : 'down';
        say(`${row.name.padEnd(9)} ${state.padEnd(22)} ${row.endpoint.padEnd(48)} pid ${row.pid ?? '-'}  log ${row.logFile}`);
      }
      process.exitCode = rows.every((r) => r.answering) ? 0 : 1;
    });
}
