import { setFlagsFromString } from 'node:v8';

/**
 * V8's settings for a bridge process, set before it runs anything (bin/bridge.js; benchmarks that
 * run a stage as deployed set them too). Allocation-site pretenuring off: a stage holds a chunk's
 * records, outputs and state writes until the chunk is sent, so the objects of its busiest
 * allocation sites outlive a scavenge or two and then die, and V8 may judge such a site
 * long-lived and make its objects in the old generation from then on. Some runs of enrich with its
 * baseline store collected garbage twice as much all through and drained a backlog at 95k–111k
 * instead of 136k–144k events/s. Off, its rounds keep together and the whole chain drains a backlog
 * 10–12 % faster (`npm run bench:state`, `npm run bench:pipeline -- --backlog`; README).
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
