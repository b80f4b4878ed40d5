// How benchmarks read their options: `--<name> value` flags, BENCH_* environment variables and a leading count.
/** The value after `--<name>` on the benchmark's command line, if given. */
export function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

/** `--<name>` as a whole number of at least `min`, or `fallback` when absent; anything else stops the benchmark, naming the flag. */
export function countFlag(name: string, fallback: number, min = 1): number {
  return count(`--${name}`, flag(name), fallback, min);
}

/** The environment variable `name` as a whole number of at least `min`, or `fallback` when unset. */
export function countEnv(name: string, fallback: number, min = 1): number {
  return count(name, process.env[name] || undefined, fallback, min);
}

/** The command line's first argument as a whole number (what it counts: `what`), or `fallback` when absent. */
export function countArgument(what: string, fallback: number, min = 1): number {
  return count(`the first argument (${what})`, process.argv[2], fallback, min);
}

function count(name: string, given: string | undefined, fallback: number, min: number): number {
  if (given === undefined) return fallback;
  const value = Number(given);
  if (!Number.isInteger(value) || value < min) refuse(`${name} must be a whole number of at least ${min}, got ${given}`);
  return value;
}

/** `--<name>` as one of `choices`, or `fallback` when absent; anything else stops the benchmark, naming the choices. */
export function choiceFlag<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const given = flag(name) ?? fallback;
  if (!(choices as readonly string[]).includes(given)) refuse(`--${name} must be ${choices.join(', ')}; got ${given}`);
  return given as T;
}

/** A usage error: the reason on stderr and exit status 2, without a stack trace. */
function refuse(reason: string): never {
  console.error(reason);
  process.exit(2);
}
