import { Argument, type Command } from 'commander';
import { loadConfig, stageNames, type StageName } from '../../config/index.ts';
import { listDeadLetters, redriveDeadLetters } from '../../operators/index.ts';
import { dlqTopic } from '../../topics.ts';
import { operatorKafka, refusable } from './operator-kafka.ts';

const stageArgument = () => new Argument('<stage>', 'the stage whose dead letters to read').choices(stageNames);

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('inspect and redrive dead letters (dlq.<stage>)');

  dlq
    .command('list')
    .addArgument(stageArgument())
    .description('count dead letters by dlq-reason, with first and last time (no keys or values shown)')
    .action((stage: StageName) =>
      refusable(async () => {
        const topic = dlqTopic(stage);
        const summaries = await listDeadLetters(operatorKafka(loadConfig()), topic);
        if (summaries.length === 0) {
          console.log(`${topic}: empty`);
          return;
        }
        console.log(`${'reason'.padEnd(24)} ${'count'.padStart(7)}  ${'first'.padEnd(24)} ${'last'.padEnd(24)} sources`);
        for (const s of summaries) {
          console.log(
            `${s.reason.padEnd(24)} ${String(s.count).padStart(7)}  ${s.first.toISOString().padEnd(24)} ${s.last.toISOString().padEnd(24)} ${s.sources.join(',')}`,
          );
        }
        console.log(`${topic}: ${summaries.reduce((n, s) => n + s.count, 0)} dead letter(s)`);
      }),
    );

  dlq
    .command('redrive')
    .addArgument(stageArgument())
    .option('--reason <reason>', 'only dead letters with this dlq-reason')
    .option('--dry-run', 'count what would go back, send nothing')
    .description("send dead letters back to each record's source topic (its dlq-source header)")
    .action((stage: StageName, options: { reason?: string; dryRun?: boolean }) =>
      refusable(async () => {
        const topic = dlqTopic(stage);
        const result = await redriveDeadLetters(operatorKafka(loadConfig()), topic, options);
        const verb = options.dryRun ? 'would redrive' : 'redrove';
        const entries = Object.entries(result.byTopic);
        for (const [target, count] of entries) console.log(`${verb} ${count} to ${target}`);
        const total = entries.reduce((n, [, c]) => n + c, 0);
        if (result.withoutSource > 0) console.log(`skipped ${result.withoutSource} without a usable dlq-source header`);
        if (result.unknownTopic > 0) console.log(`skipped ${result.unknownTopic} whose source topic no longer exists`);
        if (result.repeats > 0) console.log(`skipped ${result.repeats} of records that failed again after an earlier redrive (sent once)`);
        console.log(`${topic}: ${verb} ${total} record(s)${options.reason ? ` with reason ${options.reason}` : ''}${options.dryRun ? ' (dry run: nothing sent)' : ''}`);
      }),
    );
}
