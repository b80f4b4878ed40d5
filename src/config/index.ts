import { envSchema, type Env, type StageName, type DeliveryMode } from './schema.ts';

export * from './schema.ts';
export { nativeEndpoints, nativeStack, usesExternalStack } from './native-stack.ts';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads and validates the environment once, at an entry point. Empty values count as unset so
 * that `FOO=` in an env file falls back to the default rather than failing.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = present[name];
        const shown = value === undefined || /SECRET|PASSWORD|DATABASE_URL/.test(name) ? '' : ` (got "${value}")`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  return Object.freeze(parsed.data);
}

export function deliveryFor(config: Env, stage: StageName): DeliveryMode {
  const override = config[`DELIVERY_${stage.toUpperCase()}` as `DELIVERY_${Uppercase<StageName>}`];
  return override ?? config.DELIVERY;
}
