import type { Command } from 'commander';
import { loadConfig } from '../../config/index.ts';
import {
  OperatorError,
  assertTopicsExist,
  checkWindow,
  copyRange,
  createProgress,
  exitCodes,
  parseOffsets,
  parseTime,
  planReplay,
  rangeSize,
  resetGroupToTime,
  type ReplaySelection,
} from '../../operators/index.ts';
import { operatorKafka, refusable } from './operator-kafka.ts';

interface ReplayOptions {
  fromTopic?: string;
  toTopic?: string;
  start?: string;
  end?: string;
  offsets?: string;
  rate?: string;
  group?: string;
  toDatetime?: string;
  topic?: string[];
  dryRun?: boolean;
  resetState?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'copy a time or offset range of one topic into another, or reset a stopped group to a time\n' +
        '  copy:  --from-topic T --to-topic U [--start ISO] [--end ISO | --offsets 0:100-200,1:0-50] [--rate N]\n' +
        '  reset: --group bridge.<stage> --to-datetime ISO [--topic T ...] [--reset-state]',
    )
    .option('--from-topic <topic>', 'topic to read')
    .option('--to-topic <topic>', 'topic to write (keys, headers and order per partition kept; adds replayed-from)')
    .option('--start <iso>', 'first record time, inclusive (default: the oldest record)')
    .option('--end <iso>', 'last record time, exclusive (default: now)')
    .option('--offsets <ranges>', 'per partition offsets instead of times: <partition>:<start>-<end>, end exclusive')
    .option('--rate <records-per-second>', 'limit the copy rate (default: unlimited)')
    .option('--group <group>', 'consumer group to reset, e.g. bridge.normalize (must have no active members)')
    .option('--to-datetime <iso>', 'reset the group to the first record at or after this time')
    .option('--topic <topic...>', 'with --group: topics to reset (default: those the group committed on)')
    .option('--reset-state', "with --group: delete the group's state store changelogs too, so the stage rebuilds its state from the new offsets (needed to move a stage with state back)")
    .option('--dry-run', 'show what would move, per partition; move nothing')
    .action((options: ReplayOptions) => refusable(() => (options.group ? resetGroup(options) : copy(options))));
}

async function copy(options: ReplayOptions): Promise<void> {
  if (!options.fromTopic || !options.toTopic) {
    throw new OperatorError('replay needs --from-topic and --to-topic (or --group with --to-datetime)', exitCodes.usage);
  }
  if (options.resetState) {
    throw new OperatorError('--reset-state goes with --group (a reset of a stage with state); a copy leaves every group and changelog as it is', exitCodes.usage);
  }
  if (options.fromTopic === options.toTopic) {
    throw new OperatorError('--from-topic and --to-topic are the same topic: a replay into itself never ends', exitCodes.usage);
  }
  if (options.offsets && (options.start || options.end)) {
    throw new OperatorError('use either --offsets or --start/--end, not both', exitCodes.usage);
  }
  const rate = options.rate === undefined ? 0 : Number(options.rate);
  if (options.rate !== undefined && (!Number.isFinite(rate) || rate <= 0)) {
    throw new OperatorError(`--rate "${options.rate}" must be a positive number of records per second`, exitCodes.usage);
  }
  const selection: ReplaySelection = options.offsets
    ? { kind: 'offsets', ranges: parseOffsets(options.offsets) }
    : {
        kind: 'time',
        ...(options.start ? { start: parseTime('--start', options.start) } : {}),
        ...(options.end ? { end: parseTime('--end', options.end) } : {}),
      };
  // Argument mistakes are answered before any broker is asked.
  if (selection.kind === 'time') checkWindow(selection.start, selection.end);

  const kafka = operatorKafka(loadConfig());
  const admin = kafka.admin();
  await admin.connect();
  const plan = await (async () => {
    await assertTopicsExist(admin, [options.fromTopic as string, options.toTopic as string]);
    return planReplay(admin, options.fromTopic as string, selection);
  })().finally(() => admin.disconnect());

  for (const r of plan.ranges) {
    console.log(`${plan.topic}/${r.partition}: offsets ${r.start}..${r.end} (${rangeSize(r)} record(s))`);
  }
  if (options.dryRun) {
    console.log(`dry run: would copy ${plan.total} record(s) from ${plan.topic} to ${options.toTopic}; nothing copied`);
    return;
  }
  const progress = createProgress({ total: plan.total, label: `replay ${plan.topic} → ${options.toTopic}` });
  const result = await copyRange(kafka, plan, {
    toTopic: options.toTopic,
    rate,
    onProgress: (n) => progress.advance(n),
  });
  progress.done();
  console.log(`copied ${result.copied} record(s) from ${plan.topic} to ${options.toTopic} (${result.partitionMap})`);
}

async function resetGroup(options: ReplayOptions): Promise<void> {
  if (!options.toDatetime) {
    throw new OperatorError('--group needs --to-datetime <iso>', exitCodes.usage);
  }
  if (options.fromTopic || options.toTopic) {
    throw new OperatorError('use either --group (reset) or --from-topic/--to-topic (copy), not both', exitCodes.usage);
  }
  const time = parseTime('--to-datetime', options.toDatetime);
  const admin = operatorKafka(loadConfig()).admin();
  await admin.connect();
  try {
    const { changes, deletedChangelogs } = await resetGroupToTime(admin, {
      group: options.group as string,
      time,
      ...(options.topic ? { topics: options.topic } : {}),
      dryRun: options.dryRun === true,
      resetState: options.resetState === true,
    });
    for (const c of changes) console.log(`${c.topic}/${c.partition}: ${c.from} -> ${c.to}`);
    for (const topic of deletedChangelogs) console.log(`${options.dryRun ? 'would delete' : 'deleted'} changelog ${topic}`);
    if (deletedChangelogs.length > 0) {
      console.log(`before starting the stage, remove $STATE_DIR/${options.group} on every instance that has one: the stage recreates the changelog and rebuilds its state from the new offsets`);
    }
    console.log(
      options.dryRun
        ? `dry run: group ${options.group} would move to ${time.toISOString()}; nothing changed`
        : `group ${options.group} reset to ${time.toISOString()}`,
    );
  } finally {
    await admin.disconnect();
  }
}
