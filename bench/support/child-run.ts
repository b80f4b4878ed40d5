import { spawnSync } from 'node:child_process';

/**
 * Runs `script` again in a process of its own with `flag` set to `args` joined by commas, and
 * returns the JSON its last line of output prints: a measurement taken without what this process
 * compiled and allocated before it. `what` names the run in the error when it fails.
 * STAGE_NODE_ARGS: Node.js flags for the run, as for every process a benchmark spawns (e.g.
 * `--cpu-prof --cpu-prof-dir=DIR`).
 */
export function runChild<T>(script: string, flag: string, args: ReadonlyArray<string | number>, what: string): T {
  const nodeArgs = process.env['STAGE_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const run = spawnSync(process.execPath, [...nodeArgs, script, `--${flag}`, args.join(',')], { encoding: 'utf8', env: process.env });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`${what} failed: ${run.stderr.slice(-2_000)}`);
  return JSON.parse(line) as T;
}
