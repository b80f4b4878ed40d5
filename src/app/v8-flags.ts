import { setFlagsFromString } from 'node:v8';

/**
 * V8's settings for a bridge process, set before it runs anything (bin/bridge.js; benchmarks that
 * run a stage as deployed set them too). Allocation-site pretenuring off: a stage holds a chunk's
 * records, outputs and state writes until the chunk is sent, so the objects of its busiest
 * allocation sites outlive a scavenge or two and then die. In some runs V8 judged such a site
 * long-lived and made its objects in the old generation from then on, and the stage collected
 * garbage twice as much all through: enrich with its baseline store drained a backlog at 95k–111k
 * instead of 136k–144k events/s in those rounds. Off, the rounds keep together (`npm run
 * bench:state`, docs/design.md).
 */
export const bridgeV8Flags = ['--no-allocation-site-pretenuring'] as const;

/** The flags of `bridgeV8Flags` that the process was not started with a setting of its own for (`node --allocation-site-pretenuring bin/bridge.js …`). */
export function v8FlagsToSet(execArgv: readonly string[]): string[] {
  const given = new Set(execArgv.map(flagName));
  return bridgeV8Flags.filter((flag) => !given.has(flagName(flag)));
}

/** A V8 flag's name, without `--`, `no-` or a value; V8 reads `_` as `-`. */
function flagName(arg: string): string {
  return arg.replace(/^--?(no[-_])?/, '').split('=')[0]!.replace(/_/g, '-');
}

export function applyBridgeV8Flags(): void {
  for (const flag of v8FlagsToSet(process.execArgv)) setFlagsFromString(flag);
}
